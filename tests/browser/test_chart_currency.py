"""The overview's spend chart labels money in the organization's reporting currency, not
always in dollars."""

import pytest

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

# Chart.js draws once the deferred scripts ran.
DRAWN = """canvas => new Promise(resolve => {
    const poll = () => (window.Chart && window.Chart.getChart(canvas) ? resolve()
        : setTimeout(poll, 20));
    poll();
})"""
TICK = """canvas => window.Chart.getChart(canvas).options.scales.y.ticks.callback(1.5)"""


@pytest.mark.parametrize(("currency", "tick"), [("EUR", "€1.50"), ("USD", "$1.50")])
def test_the_spend_chart_speaks_the_reporting_currency(
    live_server, browser, record, currency, tick
):
    organization = OrganizationFactory(slug="euro", name="Euro", reporting_currency=currency)
    MembershipFactory(organization=organization, role=Role.VIEWER, user__email="vic@example.com")
    record({"input_tokens": 1000, "output_tokens": 100}, organization=organization)
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("vic@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/euro/")

    canvas = page.locator('canvas[data-chart="daily-spend"]')
    assert canvas.get_attribute("data-currency") == currency
    canvas.evaluate(DRAWN)
    assert canvas.evaluate(TICK) == tick
