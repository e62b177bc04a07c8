"""Dark mode follows the system setting (`prefers-color-scheme`): the dashboard's colours,
the charts' text and the previous period's series change with it."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

DRAWN = """canvas => new Promise(resolve => {
    const poll = () => (window.Chart && window.Chart.getChart(canvas) ? resolve()
        : setTimeout(poll, 20));
    poll();
})"""
COLOURS = """() => {
    const root = getComputedStyle(document.documentElement);
    const card = getComputedStyle(document.querySelector(".stat"));
    return {background: root.backgroundColor, text: root.color, card: card.backgroundColor,
            muted: root.getPropertyValue("--muted").trim()};
}"""


def _signed_in_page(browser, live_server, scheme: str):
    page = browser.new_context(
        color_scheme=scheme, viewport={"width": 1400, "height": 900}
    ).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("dora@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/dark/")
    return page


def test_dark_mode_follows_the_system_and_charts_stay_legible(
    live_server, browser, record, screenshot
):
    organization = OrganizationFactory(slug="dark", name="Dark")
    MembershipFactory(organization=organization, role=Role.VIEWER, user__email="dora@example.com")
    now = datetime.now(UTC)
    record(
        {"occurred_at": now - timedelta(days=8), "input_tokens": 3000, "output_tokens": 300},
        {"occurred_at": now - timedelta(hours=1), "input_tokens": 1000, "output_tokens": 100},
        organization=organization,
    )
    light = _signed_in_page(browser, live_server, "light")
    dark = _signed_in_page(browser, live_server, "dark")
    light_colours, dark_colours = light.evaluate(COLOURS), dark.evaluate(COLOURS)
    assert light_colours["background"] == "rgb(246, 247, 249)"
    assert dark_colours["background"] == "rgb(15, 20, 25)"
    assert dark_colours["text"] == "rgb(230, 233, 238)"
    assert dark_colours["card"] != light_colours["card"]
    assert dark_colours["text"] != light_colours["text"]

    # Chart text takes the muted colour of each scheme.
    for page, colours in ((light, light_colours), (dark, dark_colours)):
        canvas = page.locator('canvas[data-chart="daily-spend"]')
        canvas.evaluate(DRAWN)
        assert page.evaluate("() => window.Chart.defaults.color") == colours["muted"]
    screenshot(dark, "dark-mode-overview")

    dark.goto(f"{live_server.url}/o/dark/explorer/?period=7d")
    canvas = dark.locator('canvas[data-chart="explorer-series"]')
    canvas.evaluate(DRAWN)
    # This week's spend and the previous week's, dashed.
    datasets = canvas.evaluate(
        "canvas => window.Chart.getChart(canvas).data.datasets"
        ".map(d => [d.label, d.borderDash || null])"
    )
    assert datasets == [["Spend (USD)", None], ["Previous period", [6, 4]]]
    assert dark.locator('.period-preset[aria-current="true"]').inner_text() == "Last 7 days"
    screenshot(dark, "dark-mode-explorer")
