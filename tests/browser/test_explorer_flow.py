"""The explorer in a browser: filters added and removed with the keyboard alone, the
live/test data switch, and the chart stacked by model."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role
from tokentracker.services import api_key_create
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db(transaction=True)

DRAWN = """canvas => new Promise(resolve => {
    const poll = () => (window.Chart && window.Chart.getChart(canvas) ? resolve()
        : setTimeout(poll, 20));
    poll();
})"""


@pytest.fixture
def explorer_page(live_server, browser, record):
    organization = OrganizationFactory(slug="lab", name="Lab")
    MembershipFactory(organization=organization, role=Role.VIEWER, user__email="vic@example.com")
    record(
        {"provider": "openai", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 100},
        {"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 5000},
        {"provider": "anthropic", "model": "claude-sonnet-4-5", "input_tokens": 2000},
        {
            "provider": "mistral",
            "model": "a-very-long-fine-tuned-model-name-that-must-not-be-clipped",
        },
        organization=organization,
    )
    test_key = api_key_create(organization=organization, name="ci", prefix="isv_test_sk_")
    events_record(
        organization_id=organization.id,
        api_key_id=test_key.api_key.id,
        events=[EventInput(provider="openai", model="gpt-4o", input_tokens=7, output_tokens=0)],
    )
    rollups_merge()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("vic@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/lab/")
    page.goto(f"{live_server.url}/o/lab/explorer/")
    return page


def requests_shown(page) -> str:
    return page.locator(".stat", has_text="Requests").locator(".stat-value").inner_text()


def test_a_filter_is_added_and_removed_with_the_keyboard_alone(explorer_page, screenshot):
    page = explorer_page
    models = page.locator("details[data-filter-picker]", has=page.locator("#f-model"))
    models.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the filter; the search box takes the focus
    search = page.get_by_role("searchbox", name="Search models")
    expect(search).to_be_focused()
    page.keyboard.type("claude")
    expect(models.locator("li:visible")).to_have_count(1)
    page.keyboard.press("Enter")  # adds the one match and applies
    page.wait_for_url(re.compile(r"model=claude-sonnet-4-5"))
    expect(page.locator(".chip")).to_have_count(1)
    assert requests_shown(page) == "1"

    # A second value by the arrow keys and Space, applied with Enter.
    models = page.locator("details[data-filter-picker]", has=page.locator("#f-model"))
    models.locator("summary").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("searchbox", name="Search models")).to_be_focused()
    page.keyboard.type("mini")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"model=gpt-4o-mini"))
    expect(page.locator(".chip")).to_have_count(2)
    assert requests_shown(page) == "2"
    # Long names wrap in the list rather than being cut off.
    long_name = page.get_by_text("a-very-long-fine-tuned-model-name-that-must-not-be-clipped")
    models = page.locator("details[data-filter-picker]", has=page.locator("#f-model"))
    models.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("searchbox", name="Search models")).to_be_focused()
    assert long_name.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    screenshot(page, "explorer")
    # Opening another filter closes this one; a click elsewhere closes any.
    providers = page.locator("details[data-filter-picker]", has=page.locator("#f-provider"))
    providers.locator("summary").click()
    assert models.evaluate("d => d.open") is False
    page.get_by_role("heading", name="Explorer").click()
    assert providers.evaluate("d => d.open") is False
    models.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("searchbox", name="Search models")).to_be_focused()
    # Escape closes the filter and gives the focus back to its name.
    page.keyboard.press("Escape")
    expect(models.locator("summary")).to_be_focused()
    assert models.evaluate("d => d.open") is False

    # Backspace on a chip's remove link drops that value only.
    page.get_by_role("link", name="Remove filter Model: claude-sonnet-4-5").focus()
    page.keyboard.press("Backspace")
    page.wait_for_url(lambda url: "claude" not in url)
    expect(page.locator(".chip")).to_have_count(1)
    expect(page.locator(".chip")).to_contain_text("gpt-4o-mini")
    # Backspace in an empty search box removes the filter's last value.
    models = page.locator("details[data-filter-picker]", has=page.locator("#f-model"))
    models.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("searchbox", name="Search models")).to_be_focused()
    page.keyboard.press("Backspace")
    page.wait_for_url(lambda url: "model=" not in url)
    expect(page.locator(".chip")).to_have_count(0)
    assert requests_shown(page) == "4"


def test_the_test_data_switch_holds_across_pages(explorer_page, screenshot):
    page = explorer_page
    assert requests_shown(page) == "4"
    page.get_by_role("button", name="View test data").click()
    page.wait_for_url(re.compile(r"/o/lab/explorer/$"))
    expect(page.get_by_role("status").filter(has_text="Test data.")).to_be_visible()
    assert requests_shown(page) == "1"
    screenshot(page, "explorer-test-data")
    page.get_by_role("navigation", name="Lab").get_by_role("link", name="Overview").click()
    expect(page.get_by_text("Test data.")).to_be_visible()
    page.get_by_role("button", name="View live data").click()
    page.wait_for_url(re.compile(r"/o/lab/$"))
    expect(page.get_by_text("Test data.")).to_have_count(0)


def test_the_chart_stacks_by_model(explorer_page, screenshot):
    page = explorer_page
    page.get_by_role("link", name="By model").click()
    canvas = page.locator('canvas[data-stacked-chart="explorer-stacked"]')
    canvas.evaluate(DRAWN)
    datasets = canvas.evaluate("c => window.Chart.getChart(c).data.datasets.map(d => d.label)")
    assert datasets == [
        "claude-sonnet-4-5",
        "gpt-4o",
        "gpt-4o-mini",
        "a-very-long-fine-tuned-model-name-that-must-not-be-clipped",
    ]
    assert canvas.evaluate("c => window.Chart.getChart(c).options.scales.y.stacked") is True
    expect(page.get_by_role("link", name="By model")).to_have_attribute("aria-current", "true")
    screenshot(page, "explorer-stacked")
