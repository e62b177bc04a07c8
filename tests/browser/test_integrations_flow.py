"""The Integrations page in a real browser: an admin connects an OpenAI admin key, clicks
Sync now (in-process, against the local provider server), and sees the status and the run's
records; the key is never on the page, only its last four characters."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from billing.models import ProviderIntegration
from tests.billing.integration_keys import OPENAI_KEY, assert_no_key_in
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_connects_openai_and_syncs_it_now(
    live_server, browser, screenshot, provider_server
):
    organization = OrganizationFactory(slug="acme", name="Acme")
    MembershipFactory(organization=organization, role=Role.ADMIN, user__email="ada@example.com")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    provider_server.openai.key = OPENAI_KEY
    provider_server.openai.usage(day=yesterday, model="gpt-4o", input_tokens=1000)
    provider_server.openai.usage(day=yesterday, model="gpt-4o-mini", input_tokens=200)
    provider_server.openai.cost(day=yesterday, line_item="gpt-4o, input", value="2.50")

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_label("Email or username").fill("ada@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")

    page.get_by_role("navigation", name="Acme").get_by_role("link", name="Integrations").click()
    page.wait_for_url(f"{live_server.url}/o/acme/integrations/")
    openai = page.locator("#integration-openai")
    expect(page.get_by_test_id("openai-status")).to_have_text("Not connected")
    expect(page.get_by_test_id("anthropic-status")).to_have_text("Not connected")
    expect(openai.get_by_role("button", name="Sync OpenAI now")).to_have_count(0)

    key_field = page.get_by_label("OpenAI admin key", exact=True)
    expect(key_field).to_have_attribute("type", "password")
    expect(key_field).to_have_attribute("autocomplete", "off")
    key_field.fill(OPENAI_KEY)
    page.get_by_role("button", name="Connect OpenAI").click()
    page.wait_for_url(f"{live_server.url}/o/acme/integrations/#integration-openai")
    expect(page.get_by_role("status")).to_contain_text(
        "OpenAI connected: the key ending Ab3D is stored encrypted."
    )
    expect(page.get_by_test_id("openai-status")).to_have_text("Not synced yet")
    expect(openai.locator('[data-fact="key"]')).to_have_text("ending in Ab3D")
    expect(page.get_by_label("New OpenAI admin key", exact=True)).to_have_value("")
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY

    openai.get_by_role("button", name="Sync OpenAI now").click()
    page.wait_for_url(f"{live_server.url}/o/acme/integrations/#integration-openai")
    expect(page.get_by_role("status")).to_have_text("OpenAI synced: 2 usage and 1 cost records.")
    expect(page.get_by_test_id("openai-status")).to_have_text("Synced")
    expect(openai.locator('[data-fact="status"]')).to_have_text(
        f"Synced: Usage and costs synced (complete through {yesterday.isoformat()})."
    )
    run = openai.locator("table.sync-runs tbody tr")
    expect(run).to_have_count(1)
    expect(run.locator("td").nth(1)).to_have_text("Integrations page")
    expect(run.locator("td").nth(2)).to_have_text("Synced")
    expect(run.locator("td").nth(3)).to_have_text("2")
    expect(run.locator("td").nth(4)).to_have_text("1")
    assert_no_key_in(page.content())
    screenshot(page, "integrations-synced")

    # Removing asks first, and says the synced data stays.
    openai.get_by_text("Remove", exact=True).click()
    openai.get_by_role("button", name="Yes, remove").click()
    page.wait_for_url(f"{live_server.url}/o/acme/integrations/#integration-openai")
    expect(page.get_by_role("status")).to_contain_text("The usage and costs it synced stay")
    expect(page.get_by_test_id("openai-status")).to_have_text("Not connected")
    screenshot(page, "integrations-removed")
