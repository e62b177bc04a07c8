"""No broken links: every link on the usage pages leads to a page that answers 200."""

import re

import pytest

from tokentracker.models import Role
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db
HREF = re.compile(r'href="([/?][^"]*)"')


def _links(page: str, content: str) -> set[str]:
    """Site links of a page, a bare query string resolved against the page's path."""
    path = page.split("?")[0]
    return {
        (path + href if href.startswith("?") else href).replace("&amp;", "&")
        for href in HREF.findall(content)
    }


def test_every_link_on_the_usage_pages_answers(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    event = UsageEvent.objects.filter(organization=org).first()
    pages = [
        "/o/acme/",
        "/o/acme/explorer/?start_date=2026-03-20&end_date=2026-03-21",
        f"/o/acme/requests/{event.uuid}",
        "/o/acme/carbon/",
        "/o/acme/carbon/methodology",
        "/o/acme/costs/",
        "/o/acme/settings/",
    ]
    links: set[str] = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        links |= _links(page, response.content.decode())
    assert len(links) >= 40  # sort headings, breakdown rows, request pages, navigation
    broken = {
        link: status
        for link in sorted(links)
        if _followed(link) and (status := client.get(link).status_code) != 200
    }
    assert broken == {}


def test_the_empty_overview_links_answer_too(client, sign_in, org, now):
    sign_in(org, Role.OWNER)
    content = client.get("/o/acme/").content.decode()
    links = _links("/o/acme/", content)
    assert "/api/docs/" in links
    answers = {link: client.get(link).status_code for link in links if _followed(link)}
    assert answers == dict.fromkeys(answers, 200)


def _followed(link: str) -> bool:
    # Static files are served by the web server (whitenoise or nginx), not the test
    # client; "/" (the brand) redirects to the organization by design.
    return not link.startswith("/static/") and link != "/"
