"""Playwright on Debian's headless chromium, against pytest-django's live_server.

Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from
a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set; the tests use the
ORM only between browser steps, never concurrently with them.

Screenshots go to test-artifacts/ (gitignored), where CI can pick them up.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip(
            "chromium is not installed (apt-get install chromium; make test does it as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot of `page` as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def screenshot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


@pytest.fixture(autouse=True)
def _cookies_over_plain_http(settings) -> None:
    # Production marks the session and CSRF cookies Secure (DEBUG off); live_server speaks
    # plain http, where a browser may refuse to store or send them.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


# Chromium logs a blocked inline script or style to the console itself; the page's own
# violation event is logged too, so a report-only policy or a blocked resource shows up in
# the same words. Init scripts are injected by the browser, outside the page's policy.
VIOLATIONS_TO_THE_CONSOLE = """document.addEventListener("securitypolicyviolation", (event) =>
    console.error(`Content Security Policy violation: ${event.violatedDirective} `
        + `blocked ${event.blockedURI || "inline code"} at ${event.sourceFile || ""}`))"""


@pytest.fixture(autouse=True)
def csp_violations(browser, monkeypatch) -> Iterator[list[str]]:
    """Every page of every context a test opens is watched for Content-Security-Policy
    violations; a test that meets one fails at teardown with the console lines.

    The contexts are closed at teardown too: an open one keeps a keep-alive connection,
    and with it a live_server thread and its database connection, which on PostgreSQL
    stops the test database from being dropped."""
    violations: list[str] = []
    contexts = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    new_context = browser.new_context

    def new_watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.add_init_script(VIOLATIONS_TO_THE_CONSOLE)
        context.on("console", watch)
        contexts.append(context)
        return context

    monkeypatch.setattr(browser, "new_context", new_watched_context)
    monkeypatch.setattr(
        browser, "new_page", lambda **kwargs: new_watched_context(**kwargs).new_page()
    )
    yield violations
    for context in contexts:
        context.close()
    assert violations == []
