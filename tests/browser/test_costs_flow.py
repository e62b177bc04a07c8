"""The Costs page in a real browser: a member logs in, opens Costs, adds a manual cost, sees
it in the table and the totals, edits it and deletes it."""

import pytest
from playwright.sync_api import expect

from billing.selectors.costs import Month
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_adds_edits_and_deletes_a_manual_cost(live_server, browser, record, screenshot):
    organization = OrganizationFactory(slug="acme", name="Acme")
    MembershipFactory(organization=organization, role=Role.MEMBER, user__email="mia@example.com")
    month = Month.current()
    # gpt-4o from the catalog: 100,000 x $2.50 + 10,000 x $10 per Mtok = $0.35, this month.
    record(
        {
            "occurred_at": f"{month.first_day.isoformat()}T00:00:00Z",
            "input_tokens": 100_000,
            "output_tokens": 10_000,
        },
        organization=organization,
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("mia@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")

    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Costs").click()
    page.wait_for_url(f"{live_server.url}/o/acme/costs/")
    total = page.get_by_test_id("month-total")
    expect(total).to_have_text("$0.35")
    expect(page.get_by_text("No manual costs yet.")).to_be_visible()

    # Add: the month and currency default to this month and the reporting currency.
    page.get_by_label("Service", exact=True).select_option(label="Cursor")
    page.get_by_label("Amount", exact=True).fill("40")
    page.get_by_label("Category", exact=True).fill("Seats")
    page.get_by_role("button", name="Add cost").click()
    page.wait_for_url(f"{live_server.url}/o/acme/costs/")
    expect(page.get_by_role("status")).to_have_text(f"Manual cost added: Cursor, {month.label}.")
    cursor = page.locator("table.costs-by-month tbody tr").filter(
        has=page.get_by_role("rowheader", name="Cursor")
    )
    expect(cursor.locator("td").nth(5)).to_have_text("$40.00")
    expect(total).to_have_text("$40.35")
    expect(page.locator("table.costs-by-month tfoot td").nth(5)).to_have_text("$40.35")
    listed = page.locator("table.manual-costs tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Seats")
    screenshot(page, "costs-added")

    # Edit it.
    page.get_by_role("link", name=f"Edit Cursor {month}").click()
    page.wait_for_url(f"{live_server.url}/o/acme/costs/manual/*")
    expect(page.get_by_label("Amount", exact=True)).to_have_value("40")
    page.get_by_label("Amount", exact=True).fill("55.5")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/o/acme/costs/")
    expect(page.get_by_role("status")).to_have_text(f"Manual cost saved: Cursor, {month.label}.")
    expect(cursor.locator("td").nth(5)).to_have_text("$55.50")
    expect(total).to_have_text("$55.85")

    # Delete it, confirmed in the page.
    page.get_by_text("Delete", exact=True).click()
    page.get_by_role("button", name="Yes, delete").click()
    page.wait_for_url(f"{live_server.url}/o/acme/costs/")
    expect(page.get_by_role("status")).to_have_text(f"Manual cost deleted: Cursor, {month.label}.")
    expect(total).to_have_text("$0.35")
    expect(page.get_by_text("No manual costs yet.")).to_be_visible()
    expect(cursor).to_have_count(0)
    screenshot(page, "costs-deleted")
