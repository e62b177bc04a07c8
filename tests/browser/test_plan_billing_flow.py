"""The Plan & billing page in a real browser: an owner opens it from the navigation, chooses
Pro, lands on (the stand-in's) Stripe Checkout, pays, comes back to "Payment received", and
once Stripe's signed event reached the webhook the page shows Pro as the current plan."""

import time

import pytest
from playwright.sync_api import expect

from tests.billing.stripe_helpers import WEBHOOK_PATH, paid_plan, plan_price
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Organization, Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_buys_pro_through_checkout(live_server, browser, screenshot, stripe_api):
    plan_price(paid_plan("indie", daily_event_limit=2), "price_indie_monthly", "9.00")
    plan_price(paid_plan("pro", daily_event_limit=5), "price_pro_monthly", "29.00")
    stripe_api.price_create("price_indie_monthly", amount=900)
    stripe_api.price_create("price_pro_monthly", amount=2900)
    organization = OrganizationFactory(slug="acme", name="Acme")
    MembershipFactory(organization=organization, role=Role.OWNER, user__email="ada@example.com")
    stripe_api.register_webhook(live_server.url + WEBHOOK_PATH)

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("ada@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")

    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Plan & billing").click()
    page.wait_for_url(f"{live_server.url}/o/acme/billing/")
    expect(page.get_by_test_id("status")).to_have_text("No subscription")
    page.get_by_role("button", name="Choose: Pro at $29.00 a month").click()

    [session_id] = stripe_api.sessions
    page.wait_for_url(stripe_api.sessions[session_id]["url"])
    expect(page.get_by_role("heading", name="Stripe Checkout")).to_be_visible()

    assert stripe_api.complete(session_id)["webhook_status"] == 200
    page.goto(stripe_api.sessions[session_id]["success_url"])
    expect(page.get_by_test_id("checkout-return")).to_have_text(
        "Payment received; the plan changes as soon as Stripe confirms it."
    )
    deadline = time.monotonic() + 20
    while Organization.objects.get(pk=organization.pk).plan.slug != "pro":
        assert time.monotonic() < deadline, "the webhook did not put Acme on Pro"
        time.sleep(0.1)

    page.reload()
    expect(page.get_by_role("heading", name="Plan: Pro")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Active")
    pro_row = page.locator('tr[data-price="price_pro_monthly"]')
    expect(pro_row).to_contain_text("Current plan")
    expect(page.locator('tr[data-price="price_indie_monthly"]')).to_contain_text("Downgrade")
    expect(page.get_by_test_id("portal")).to_be_visible()
    screenshot(page, "plan-billing")
