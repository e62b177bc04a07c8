"""A team's first day, in a real browser: sign up, create a key, send events with it,
invite a colleague by email, and the colleague joins from a second browser."""

import csv
import io
import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from tokentracker.models import Membership, Role
from usage.models import UsageEvent
from usage.rollups import rollups_merge

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-42"
# Headings of the tables wider than their scroll box (each .table-wrap scrolls on its own,
# so the document's scrollWidth alone would not show them).
TABLES_SCROLLING_SIDEWAYS = """() => [...document.querySelectorAll('.table-wrap')]
    .filter(wrap => wrap.scrollWidth > wrap.clientWidth)
    .map(wrap => (wrap.closest('section, .card')?.querySelector('h2')?.textContent || '?')
        + ` ${wrap.scrollWidth} > ${wrap.clientWidth}`)"""


def post_events(base_url: str, raw_key: str, events: list[dict]) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/v1/events",
        data=json.dumps({"events": events}).encode(),
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def test_sign_up_create_a_key_send_events_invite_and_join(live_server, browser, screenshot):
    owner_context = browser.new_context(viewport={"width": 1280, "height": 800})
    owner_context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = owner_context.new_page()

    # Sign up: a user and their first organization.
    page.goto(f"{live_server.url}/accounts/signup")
    screenshot(page, "sign-up")
    page.get_by_label("Your name").fill("Olive Owner")
    page.get_by_label("Email").fill("olive@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill("Launch Crew")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/o/launch-crew/")
    # A new organization's overview is its empty state: how to send the first event.
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert page.get_by_role("heading", name="Send your first event").is_visible()
    assert f"curl {live_server.url}/api/v1/events" in page.locator("pre").inner_text()
    screenshot(page, "overview-empty")

    # Create an API key; it is shown once, and the copy button copies it.
    page.get_by_role("navigation", name="Launch Crew").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("CI")
    page.get_by_label("Key family").select_option("mtt_")
    page.get_by_role("button", name="Create key").click()
    raw_key = page.locator("#new-key").input_value()
    assert re.fullmatch(r"mtt_[A-Za-z0-9]{40}", raw_key)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == raw_key
    screenshot(page, "api-keys-created")

    # Send events through the API with that key.
    result = post_events(
        live_server.url,
        raw_key,
        [
            {
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": 1200,
                "output_tokens": 350,
                # Names as long as real ones, so the tables' widths are tested.
                "endpoint": "customer-support-summarisation",
                "project": "internal-analytics-dashboard",
                "latency_ms": 12345,
            },
            {
                "provider": "anthropic",
                "model": "claude-sonnet-4-0",
                "input_tokens": 10,
                "output_tokens": 5,
                "endpoint": "sql-generation",
                "project": "internal-analytics-dashboard",
                "latency_ms": 987,
            },
        ],
    )
    assert result["created"] == 2
    assert UsageEvent.objects.filter(organization__slug="launch-crew").count() == 2
    # Pages read the rollups; with Redis configured the merge is a worker's job, and no
    # worker runs in the suite, so merge here as the worker would within a second.
    rollups_merge()

    # The overview counts them, priced ($0.00655 for gpt-4o; claude-sonnet-4-0 $0.000105).
    page.goto(f"{live_server.url}/o/launch-crew/")
    requests_stat = page.locator(".stat", has_text="Requests").locator(".stat-value")
    expect(requests_stat).to_have_text("2")
    expect(page.locator(".stat", has_text="Tokens").locator(".stat-value")).to_have_text("1,565")
    assert page.get_by_role("heading", name="Top models").is_visible()
    screenshot(page, "overview")

    # The explorer lists both requests, and exports exactly them as CSV.
    page.get_by_role("navigation", name="Launch Crew").get_by_role("link", name="Explorer").click()
    logs = page.locator("section[aria-labelledby=logs-heading] tbody tr")
    expect(logs).to_have_count(2)
    screenshot(page, "explorer")
    # At a laptop's 1280 px every table shows all its columns (CO2e, Cost, Latency last)
    # without scrolling sideways.
    assert page.evaluate(TABLES_SCROLLING_SIDEWAYS) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    exported = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert sorted(row["model"] for row in exported) == ["claude-sonnet-4-0", "gpt-4o"]
    page.goto(f"{live_server.url}/o/launch-crew/keys/")
    assert page.evaluate(TABLES_SCROLLING_SIDEWAYS) == []
    key_row = page.locator("tr", has_text="CI")
    assert key_row.locator("td").nth(6).inner_text() != "never"  # last used is shown
    assert raw_key not in page.content()

    # Invite a colleague as viewer; the email carries the link.
    page.get_by_role("navigation", name="Launch Crew").get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill("vic@example.com")
    page.locator("#invite ~ .card").get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to vic@example.com.")).to_be_visible()
    [email] = [m for m in mail.outbox if m.to == ["vic@example.com"]]
    link = re.search(r"http://\S+/invitations/\S+", email.body).group(0)
    assert link.startswith(live_server.url)

    # The colleague accepts in a second browser context (no shared cookies) by signing up.
    invitee_context = browser.new_context(viewport={"width": 1280, "height": 800})
    invitee = invitee_context.new_page()
    invitee.goto(link)
    assert invitee.get_by_role("heading", name="Join Launch Crew").is_visible()
    screenshot(invitee, "invitation-accept")
    invitee.get_by_label("Your name").fill("Vic Viewer")
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url(f"{live_server.url}/o/launch-crew/")
    assert invitee.get_by_text("Welcome to Launch Crew!").is_visible()
    assert invitee.locator(".switcher .badge").inner_text() == "Viewer"
    invitee.get_by_role("navigation", name="Launch Crew").get_by_role(
        "link", name="Members"
    ).click()
    assert invitee.get_by_role("button", name="Send invitation").count() == 0
    screenshot(invitee, "members-as-viewer")
    assert Membership.objects.get(user__email="vic@example.com").role == Role.VIEWER

    # The owner sees the colleague on the members page, and the link is used up.
    page.reload()
    row = page.locator("tr", has_text="vic@example.com")
    assert row.locator("select").input_value() == "viewer"
    assert page.get_by_text("No open invitations.").is_visible()
    screenshot(page, "members")
    invitee.goto(link)
    assert invitee.get_by_role("heading", name="Invitation not valid").is_visible()

    # The same page at a phone's width.
    phone = owner_context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{live_server.url}/o/launch-crew/members/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "members-phone")

    invitee_context.close()
    owner_context.close()


def test_an_invitee_with_an_account_logs_in_then_accepts(live_server, browser, django_user_model):
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
    from tests.tokentracker.invitation_links import emailed
    from tokentracker.services.invitations import invitation_create

    organization = OrganizationFactory(slug="acme", name="Acme")
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    UserFactory(email="sam@example.com")
    sent = emailed(
        lambda: invitation_create(
            invited_by=owner, email="sam@example.com", role=Role.MEMBER, base_url=live_server.url
        )
    )
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/invitations/{sent.token}")
    # Keyboard first: Tab reaches the skip link, then the page's own links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("link", name="Log in to accept").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/accounts/login?next=/invitations/{sent.token}")
    page.get_by_label("Email or username").fill("sam@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Accept and join").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")
    assert page.locator(".switcher .badge").inner_text() == "Member"
    context.close()
