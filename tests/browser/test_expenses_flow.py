"""The Expenses page in a real browser: a member adds an expense by hand, uploads a rendered
receipt that real tesseract reads, reviews it beside its image, confirms it and finds both
in the list and its total."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, OrganizationFactory
from tests.receipt_files import receipt_image
from tokentracker.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_adds_an_expense_uploads_a_receipt_reviews_and_confirms_it(
    live_server, browser, screenshot, tmp_path
):
    organization = OrganizationFactory(slug="acme", name="Acme")
    MembershipFactory(organization=organization, role=Role.MEMBER, user__email="mia@example.com")
    today = datetime.now(UTC).date().isoformat()
    receipt = tmp_path / "Anthropic January.png"
    receipt.write_bytes(receipt_image())

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("mia@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")

    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Expenses").click()
    page.wait_for_url(f"{live_server.url}/o/acme/expenses/")
    expect(page.get_by_role("heading", name="No expenses yet")).to_be_visible()
    screenshot(page, "expenses-empty")

    # By hand: the date defaults to today and the currency to the reporting currency.
    page.get_by_role("link", name="Add an expense").first.click()
    expect(page.get_by_label("Date", exact=True)).to_have_value(today)
    expect(page.get_by_label("Currency", exact=True)).to_have_value("USD")
    page.get_by_label("Vendor", exact=True).fill("Cursor")
    page.get_by_label("Amount", exact=True).fill("40")
    page.get_by_label("Category", exact=True).fill("Seats")
    page.get_by_role("button", name="Add expense").click()
    page.wait_for_url(f"{live_server.url}/o/acme/expenses/")
    expect(page.get_by_role("status")).to_have_text(f"Expense added: Cursor, {today}.")
    expect(page.get_by_test_id("expenses-total")).to_have_text("$40.00")

    # A file that is no receipt stays on the page with the reason, and stores nothing.
    not_a_receipt = tmp_path / "notes.png"
    not_a_receipt.write_bytes(b"meeting notes, not a picture")
    page.get_by_label("Receipt", exact=True).set_input_files(str(not_a_receipt))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.locator(".upload-form .errorlist")).to_have_text(
        "The file is not a PNG, JPEG, WebP, TIFF or PDF file (judged by its content, not its name)."
    )
    screenshot(page, "expenses-upload-refused")

    # A receipt: read by tesseract in-process (no broker), then reviewed beside its image.
    page.get_by_label("Receipt", exact=True).set_input_files(str(receipt))
    page.get_by_role("button", name="Upload and read").click()
    page.wait_for_url(f"{live_server.url}/o/acme/expenses/*/review")
    expect(page.get_by_role("heading", name="Review receipt")).to_be_visible()
    image = page.get_by_role("img", name="The receipt Anthropic January.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(page.get_by_label("Vendor", exact=True)).to_have_value("Anthropic")
    expect(page.get_by_label("Amount", exact=True)).to_have_value("21.6")
    expect(page.get_by_label("Currency", exact=True)).to_have_value("USD")
    expect(page.get_by_label("Date", exact=True)).to_have_value("2026-01-15")
    expect(page.get_by_label("Tax", exact=True)).to_have_value("1.6")
    expect(page.get_by_test_id("reading-amount")).to_contain_text("confidence")
    page.get_by_label("Category", exact=True).fill("Subscriptions")
    screenshot(page, "expenses-review")

    page.get_by_role("button", name="Confirm").click()
    # January is before the default 90 days: the list reaches back to show it.
    page.wait_for_url(f"{live_server.url}/o/acme/expenses/?start=2026-01-15")
    expect(page.get_by_role("status")).to_have_text("Expense confirmed: Anthropic, 2026-01-15.")
    rows = page.locator("table.expenses tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Cursor")
    expect(rows.nth(1)).to_contain_text("Anthropic")
    expect(rows.nth(1)).to_contain_text("Confirmed")
    expect(rows.nth(1).get_by_role("link", name="Receipt")).to_be_visible()
    expect(page.get_by_test_id("expenses-total")).to_have_text("$61.60")
    expect(page.get_by_test_id("expenses-drafts")).to_have_text("None to confirm")
    screenshot(page, "expenses-list")
