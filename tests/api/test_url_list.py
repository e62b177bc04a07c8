"""Every public URL (route and name, in resolution order) as the clients and pages know it.

Moving a view between packages must not move its URL: a client written for any of the five
contracts keeps working only if these stay. A deliberate change updates `urls.txt`.
"""

from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

EXPECTED = Path(__file__).with_name("urls.txt")


def _walk(patterns: list, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.pattern} name={pattern.name}"


def test_the_url_list_is_the_one_clients_know():
    urls = [line for line in _walk(get_resolver().url_patterns) if not line.startswith("admin/")]
    assert urls == EXPECTED.read_text().splitlines()
