"""Budgets in a real browser: an admin creates a budget, sees its bar fill with the month's
spend, edits its amount and sees the change; the overview draws the budget line."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.models import Budget
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tokentracker.models import Role
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_creates_a_budget_sees_its_bar_and_edits_its_amount(
    live_server, browser, screenshot
):
    organization = OrganizationFactory(slug="acme", name="Acme")
    MembershipFactory(
        organization=organization, role=Role.ADMIN, user=UserFactory(email="ada@example.com")
    )
    # $30 spent today, whatever day of the month the test runs on.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    events_record(
        organization_id=organization.pk,
        api_key_id=None,
        events=[
            EventInput(
                provider="openai",
                model="gpt-4o",
                input_tokens=100,
                output_tokens=10,
                total_cost=Decimal("30"),
                occurred_at=today,
            )
        ],
    )
    rollups_merge()

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("ada@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")

    # No budget yet: the page says what one does and offers to create one.
    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Budgets").click()
    expect(page.get_by_role("heading", name="No budgets yet")).to_be_visible()
    screenshot(page, "budgets-empty")
    page.get_by_role("link", name="Create a budget").click()

    # The form shows only the chosen scope's field (static/js/budget_form.js).
    expect(page.get_by_label("Project", exact=True)).to_be_hidden()
    expect(page.get_by_text("Fill in the field of the scope you chose")).to_have_count(0)
    page.get_by_label("Counts the spend of").select_option("project")
    expect(page.get_by_label("Project", exact=True)).to_be_visible()
    expect(page.get_by_label("Service", exact=True)).to_be_hidden()
    page.get_by_label("Counts the spend of").select_option("organization")
    page.get_by_label("Name", exact=True).fill("Whole team")
    page.get_by_label("Amount a month (USD)").fill("120")
    screenshot(page, "budget-form")
    page.get_by_role("button", name="Create budget").click()
    page.wait_for_url(f"{live_server.url}/o/acme/budgets/")
    expect(page.get_by_text("Budget “Whole team” created.")).to_be_visible()

    card = page.locator("section.budget", has=page.get_by_role("heading", name="Whole team"))
    bar = card.locator("progress.budget-bar")
    expect(bar).to_be_visible()
    assert bar.evaluate("bar => [bar.value, bar.max]") == [25, 100]
    assert bar.bounding_box()["width"] > 600  # the card's width, not a sliver
    expect(card.locator("[data-fact=spent]")).to_have_text("$30.00 of $120.00 (25.00%)")
    expect(card.locator("[data-fact=remaining]")).to_have_text("$90.00")
    screenshot(page, "budgets")

    # Edit the amount: now over budget.
    card.get_by_role("link", name="Edit Whole team").click()
    expect(page.get_by_label("Amount a month (USD)")).to_have_value("120")
    page.get_by_label("Amount a month (USD)").fill("20")
    page.get_by_role("button", name="Save budget").click()
    page.wait_for_url(f"{live_server.url}/o/acme/budgets/")
    expect(page.get_by_text("Budget “Whole team” saved.")).to_be_visible()
    expect(card.locator("[data-fact=spent]")).to_have_text("$30.00 of $20.00 (150.00%)")
    expect(card.locator("[data-fact=remaining]")).to_have_text("over by $10.00")
    expect(card.locator(".badge.danger")).to_have_text("Over budget")
    assert bar.evaluate("bar => bar.value") == 100
    assert Budget.objects.get().amount == Decimal("20")
    # Saving evaluated the budget: its three thresholds fired, each emailed to the admin.
    history = card.locator("details.alert-history")
    expect(history.locator("summary")).to_have_text("Alerts of the last 12 months (3)")
    expect(history.locator("tbody tr")).to_have_count(3)
    expect(history.locator("li.delivery")).to_have_count(3)
    for delivery in history.locator("li.delivery").all():
        expect(delivery).to_contain_text("Email ada@example.com delivered 1 attempt")
    assert [message.to for message in mail.outbox] == [["ada@example.com"]] * 3
    screenshot(page, "budgets-over")

    # The overview draws the month against the budget (Chart.js on the canvas).
    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Overview").click()
    chart = page.get_by_role("heading", name="This month against budget")
    expect(chart).to_be_visible()
    canvas = page.locator("canvas[data-month-chart]")
    expect(canvas).to_be_visible()
    assert page.evaluate(
        "() => window.Chart.getChart(document.querySelector('canvas[data-month-chart]'))"
        ".data.datasets.map(d => d.label)"
    ) == ["Spent", "Budget", "Projection", "p10", "p90"]
    screenshot(page, "overview-budget-line")
