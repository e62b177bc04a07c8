"""From the sessions list, sorted by cost, to one session's requests with running totals,
to a request and back to its session (screenshots of the list and the session)."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role
from usage.sessions.summaries import session_summaries_merge

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_walks_from_the_list_to_a_session_and_a_request(
    live_server, browser, record, screenshot
):
    organization = OrganizationFactory(slug="teams", name="Teams")
    MembershipFactory(organization=organization, role=Role.VIEWER, user__email="vic@example.com")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    record(
        *(
            {
                "occurred_at": (start + timedelta(minutes=7 * step)).isoformat(),
                "session_id": "refactor/auth flow",
                "developer_id": "ann",
                "input_tokens": 4000 + 500 * step,
                "output_tokens": 300,
                "endpoint": "code-review",
            }
            for step in range(6)
        ),
        {
            "occurred_at": start.isoformat(),
            "session_id": "quick-question",
            "developer_id": "bob",
            "input_tokens": 200,
            "output_tokens": 50,
        },
        organization=organization,
    )
    session_summaries_merge()
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("vic@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/teams/")

    page.get_by_role("link", name="Sessions").first.click()
    page.get_by_label("Sort by").select_option("cost")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=cost**")
    rows = page.locator("table.sessions tbody tr")
    # Waits for the new page's rows: count() alone can read the page being replaced.
    expect(rows).to_have_count(2)
    assert "refactor/auth flow" in rows.nth(0).inner_text()
    screenshot(page, "sessions-list")

    page.get_by_role("link", name="refactor/auth flow").click()
    assert page.url.endswith("/o/teams/sessions/refactor%2Fauth%20flow/")
    requests = page.locator("table.session-requests tbody tr")
    expect(requests).to_have_count(6)
    assert page.get_by_role("link", name="ann").is_visible()
    screenshot(page, "session-view")

    requests.nth(2).get_by_role("link").click()
    page.wait_for_url("**/requests/**")
    page.get_by_role("link", name="refactor/auth flow").click()
    page.wait_for_url("**/sessions/refactor%2Fauth%20flow/")
