"""The Integrations page `/o/<slug>/integrations/`: one card per provider, its key (last four
only), status and runs; admins and owners connect, rotate and remove; who sees what."""

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import IntegrationStatus, ProviderCostBucket, ProviderIntegration, SyncRun
from billing.services.integrations import integration_connect
from tests.billing.integration_keys import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    OTHER_OPENAI_KEY,
    assert_no_key_in,
)
from tests.factories import MembershipFactory
from tests.tokentracker.pages.test_content_security_policy import _blocked
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

PAGE = "/o/acme/integrations/"


def connected(organization, provider="openai", key=OPENAI_KEY):
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    return integration_connect(
        actor=owner, organization_id=organization.pk, provider=provider, admin_key=key
    )


def _card(content: str, provider: str) -> str:
    start = content.index(f'id="integration-{provider}"')
    return content[content.rindex("<section", 0, start) : content.index("</section>", start)]


def _fact(card: str, name: str) -> str:
    match = re.search(rf'<dd data-fact="{name}">(.*?)</dd>', card, re.S)
    assert match, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def _forms(content: str) -> list[str]:
    return re.findall(r'<form[^>]* action="(/o/acme/integrations/[^"]+)"', content)


def test_a_viewer_reads_each_providers_card_without_forms(client, sign_in, org):
    integration = connected(org)
    ProviderIntegration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.PARTIAL,
        status_message="Costs were not synced: Anthropic answered 503 three times.",
        last_sync_at=datetime(2026, 3, 21, 12, 5, tzinfo=UTC),
        last_success_at=datetime(2026, 3, 21, 11, 5, tzinfo=UTC),
        usage_synced_until=datetime(2026, 3, 21, 0, 0, tzinfo=UTC),
        costs_synced_until=datetime(2026, 3, 20, 0, 0, tzinfo=UTC),
    )
    for minute, status, usage in ((5, "partial", 12), (4, "ok", 3)):
        SyncRun.objects.create(
            integration=integration,
            trigger="schedule",
            started_at=datetime(2026, 3, 21, 12, minute, tzinfo=UTC),
            finished_at=datetime(2026, 3, 21, 12, minute, 30, tzinfo=UTC),
            status=status,
            usage_records=usage,
            cost_records=2,
        )
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert [card.provider for card in response.context["cards"]] == ["openai", "anthropic"]

    openai = _card(content, "openai")
    assert 'data-testid="openai-status">Partly synced</span>' in openai
    assert _fact(openai, "key") == "ending in Ab3D"
    assert _fact(openai, "status") == (
        "Partly synced: Costs were not synced: Anthropic answered 503 three times."
    )
    assert _fact(openai, "last-sync") == "2026-03-21 12:05 UTC"
    assert _fact(openai, "last-success") == "2026-03-21 11:05 UTC"
    assert _fact(openai, "complete-through").startswith("usage 2026-03-20, costs 2026-03-19 (")
    rows = re.findall(r"<tr>\s*<td class=\"when\">(.*?)</td>.*?</tr>", openai, re.S)
    assert rows == ["2026-03-21 12:05:00", "2026-03-21 12:04:00"]
    assert "platform.openai.com → Settings → Organization → Admin keys" in openai

    anthropic = _card(content, "anthropic")
    assert 'data-testid="anthropic-status">Not connected</span>' in anthropic
    assert "console.anthropic.com → Settings → Admin keys" in anthropic
    assert 'data-fact="key"' not in anthropic

    assert _forms(content) == []
    assert "Sync now" not in content
    assert "Keys are connected by the admins and owners of" in content
    assert_no_key_in(content)
    assert _blocked(response) == []


def test_a_member_may_sync_a_connected_provider_but_not_manage_keys(client, sign_in, org):
    connected(org)
    sign_in(org, Role.MEMBER)
    content = client.get(PAGE).content.decode()
    assert _forms(content) == ["/o/acme/integrations/openai/sync"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admins_and_owners_get_every_form(client, sign_in, org, role):
    connected(org)
    sign_in(org, role)
    content = client.get(PAGE).content.decode()
    assert _forms(content) == [
        "/o/acme/integrations/openai/sync",
        "/o/acme/integrations/openai/connect",
        "/o/acme/integrations/openai/remove",
        "/o/acme/integrations/anthropic/connect",
    ]
    openai, anthropic = _card(content, "openai"), _card(content, "anthropic")
    assert ">Rotate key</button>" in openai
    assert ">Connect Anthropic</button>" in anthropic
    field = re.search(r'<input type="password" name="admin_key"[^>]*>', anthropic).group(0)
    assert 'autocomplete="off"' in field
    assert 'id="id_anthropic_admin_key"' in field
    assert "value=" not in field
    assert_no_key_in(content)


def test_the_page_is_in_the_navigation(client, sign_in, org):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/").content.decode()
    assert f'<a href="{PAGE}">Integrations</a>' in content


def test_an_admin_connects_a_key_and_sees_only_its_last_four(client, sign_in, org, caplog):
    caplog.set_level(logging.DEBUG)
    user = sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/integrations/openai/connect", {"admin_key": OPENAI_KEY})
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#integration-openai"
    integration = ProviderIntegration.objects.get(organization=org)
    assert (integration.provider, integration.admin_key, integration.created_by) == (
        "openai",
        OPENAI_KEY,
        user,
    )

    page = client.get(PAGE)
    content = page.content.decode()
    assert (
        "OpenAI connected: the key ending Ab3D is stored encrypted. Sync now to fetch its "
        "usage and costs, or wait for the hourly sync." in content
    )
    assert 'data-testid="openai-status">Not synced yet</span>' in content
    assert _fact(_card(content, "openai"), "key") == "ending in Ab3D"
    assert _fact(_card(content, "openai"), "complete-through").startswith("usage —, costs — (")
    assert_no_key_in(content)
    assert_no_key_in(caplog.text)


def test_an_admin_rotates_the_key(client, sign_in, org):
    integration = connected(org)
    ProviderIntegration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.INVALID_KEY, status_message="OpenAI refused the admin key."
    )
    sign_in(org, Role.ADMIN)
    response = client.post(
        "/o/acme/integrations/openai/connect", {"admin_key": OTHER_OPENAI_KEY}, follow=True
    )
    content = response.content.decode()
    assert "OpenAI key rotated: the key ending Ro7T is stored encrypted." in content
    stored = ProviderIntegration.objects.get()
    assert (stored.pk, stored.admin_key, stored.status, stored.status_message) == (
        integration.pk,
        OTHER_OPENAI_KEY,
        IntegrationStatus.NEVER_SYNCED,
        "",
    )
    assert_no_key_in(content)


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (ANTHROPIC_KEY, "Is not an OpenAI admin key: those start with sk-admin-"),
        (OPENAI_KEY[:20] + " " + OPENAI_KEY[20:], "May hold only letters, digits"),
        ("", "This field is required."),
    ],
)
def test_a_bad_key_is_refused_beside_the_field_and_not_shown_back(client, sign_in, org, key, shown):
    sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/integrations/openai/connect", {"admin_key": key})
    assert response.status_code == 400
    content = response.content.decode()
    openai = _card(content, "openai")
    assert shown in openai
    field = re.search(r'<input type="password" name="admin_key"[^>]*>', openai).group(0)
    assert "value=" not in field
    assert "aria-invalid" in field
    assert_no_key_in(content)
    assert not ProviderIntegration.objects.exists()


def test_a_member_cannot_connect_or_remove(client, sign_in, org):
    connected(org)
    sign_in(org, Role.MEMBER)
    connect = client.post("/o/acme/integrations/openai/connect", {"admin_key": OTHER_OPENAI_KEY})
    remove = client.post("/o/acme/integrations/openai/remove", {"confirm": "yes"})
    assert (connect.status_code, remove.status_code) == (403, 403)
    assert_no_key_in(connect.content.decode())
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY


def test_a_viewer_cannot_sync(client, sign_in, org):
    connected(org)
    sign_in(org, Role.VIEWER)
    assert client.post("/o/acme/integrations/openai/sync").status_code == 403
    assert not SyncRun.objects.exists()


def test_an_outsider_gets_404_everywhere_and_changes_nothing(client, sign_in, org, outsider_org):
    connected(org)
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PAGE).status_code == 404
    for action, body in (
        ("connect", {"admin_key": OTHER_OPENAI_KEY}),
        ("remove", {"confirm": "yes"}),
        ("sync", {}),
    ):
        assert client.post(f"/o/acme/integrations/openai/{action}", body).status_code == 404
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY
    assert not SyncRun.objects.exists()
    # Their own page shows their own (empty) integrations, none of ours.
    content = client.get("/o/outsider/integrations/").content.decode()
    assert content.count('data-testid="openai-status">Not connected<') == 1
    assert "Ab3D" not in content


def test_not_signed_in_goes_to_the_login_page(client, org):
    for response in (
        client.get(PAGE),
        client.post("/o/acme/integrations/openai/connect", {"admin_key": OPENAI_KEY}),
        client.post("/o/acme/integrations/openai/sync"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login")
    assert not ProviderIntegration.objects.exists()


def test_unknown_providers_and_methods(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert client.post("/o/acme/integrations/google/connect", {"admin_key": "x"}).status_code == 404
    assert client.post("/o/acme/integrations/google/sync").status_code == 404
    assert client.post("/o/acme/integrations/google/remove", {"confirm": "yes"}).status_code == 404
    assert client.get("/o/acme/integrations/openai/connect").status_code == 405
    assert client.get("/o/acme/integrations/openai/sync").status_code == 405
    assert not ProviderIntegration.objects.exists()


def test_removing_needs_the_confirmation_and_keeps_the_synced_costs(client, sign_in, org):
    connected(org)
    connected(org, "anthropic", ANTHROPIC_KEY)
    ProviderCostBucket.objects.create(
        organization=org,
        provider="openai",
        day="2026-03-01",
        line_item="gpt-4o, input",
        amount=Decimal("1.25"),
        currency="USD",
    )
    sign_in(org, Role.ADMIN)
    unconfirmed = client.post("/o/acme/integrations/openai/remove", follow=True)
    assert "Confirm to remove OpenAI: nothing was changed." in unconfirmed.content.decode()
    assert ProviderIntegration.objects.count() == 2

    response = client.post("/o/acme/integrations/openai/remove", {"confirm": "yes"}, follow=True)
    content = response.content.decode()
    assert (
        "OpenAI removed: its admin key is deleted and it is no longer synced. The usage and "
        "costs it synced stay in your history." in content
    )
    assert list(ProviderIntegration.objects.values_list("provider", flat=True)) == ["anthropic"]
    assert ProviderCostBucket.objects.get().amount == Decimal("1.25")
    assert 'data-testid="openai-status">Not connected<' in content

    again = client.post("/o/acme/integrations/openai/remove", {"confirm": "yes"}, follow=True)
    assert "OpenAI is not connected: nothing was changed." in again.content.decode()


def test_sync_now_of_a_provider_not_connected_says_so(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    response = client.post("/o/acme/integrations/anthropic/sync", follow=True)
    assert "Anthropic is not connected: connect an admin key first." in response.content.decode()
    assert not SyncRun.objects.exists()


@pytest.fixture
def provider(org, provider_server, freeze):
    """OpenAI connected with our key; on 20 March two models' usage and one cost line."""
    freeze("2026-03-21T12:30:00Z")
    provider_server.openai.key = OPENAI_KEY
    provider_server.openai.usage(day="2026-03-20", model="gpt-4o", input_tokens=1000)
    provider_server.openai.usage(day="2026-03-20", model="gpt-4o-mini", input_tokens=10)
    provider_server.openai.cost(day="2026-03-20", line_item="gpt-4o, input", value="2.50")
    connected(org)
    return provider_server


def test_a_member_syncs_now_and_sees_the_run(client, sign_in, org, provider, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(org, Role.MEMBER)
    response = client.post("/o/acme/integrations/openai/sync")
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#integration-openai"
    content = client.get(PAGE).content.decode()
    assert "OpenAI synced: 2 usage and 1 cost records." in content
    openai = _card(content, "openai")
    assert 'data-testid="openai-status">Synced</span>' in openai
    assert (
        _fact(openai, "status") == "Synced: Usage and costs synced (complete through 2026-03-20)."
    )
    assert _fact(openai, "complete-through").startswith("usage 2026-03-20, costs 2026-03-20 (")
    row = re.search(r'<table class="sync-runs".*?<tbody>\s*<tr>(.*?)</tr>', openai, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
    ]
    assert cells[1:] == [
        "Integrations page",
        "Synced",
        "2",
        "1",
        "Usage and costs synced (complete through 2026-03-20).",
    ]
    assert cells[0].startswith("2026-03-21 12:30:0")
    run = SyncRun.objects.get()
    assert (run.trigger, run.usage_records, run.cost_records) == ("page", 2, 1)
    assert_no_key_in(content)
    assert_no_key_in(caplog.text)


def test_sync_now_with_a_refused_key_says_so(client, sign_in, org, provider):
    provider.openai.key = "sk-admin-another-organizations-key-0000000000"
    sign_in(org, Role.ADMIN)
    content = client.post("/o/acme/integrations/openai/sync", follow=True).content.decode()
    assert re.search(r'<li class="message error">OpenAI: invalid key\. OpenAI refused', content)
    openai = _card(content, "openai")
    assert 'data-testid="openai-status">Invalid key</span>' in openai
    assert _fact(openai, "status").startswith("Invalid key: OpenAI refused the admin key")
    assert _fact(openai, "last-success") == "never"
    assert_no_key_in(content)


def test_sync_now_is_queued_for_a_worker_when_there_is_a_broker(
    client, sign_in, org, settings, monkeypatch
):
    from billing.services import integrations
    from billing.tasks import integration_sync_task

    integration = connected(org)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(
        integrations, "task_queued", lambda task, *args: queued.append((task, *args)) or True
    )
    sign_in(org, Role.MEMBER)
    content = client.post("/o/acme/integrations/openai/sync", follow=True).content.decode()
    assert queued == [(integration_sync_task, integration.pk, "page", False)]
    assert "OpenAI sync queued: its status here changes when it finishes." in content
    assert not SyncRun.objects.exists()


def test_sync_now_counts_on_the_organizations_sync_limit(client, sign_in, org, api, raw_key):
    connected(org)
    for _ in range(10):
        api.post("/api/sync", {"providers": ["anthropic"]}, raw_key)
    sign_in(org, Role.MEMBER)
    response = client.post("/o/acme/integrations/openai/sync")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Your organization may sync 10 times a minute; try again in" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_sync_now_while_a_sync_runs_says_so_and_does_nothing(client, sign_in, org, provider):
    integration = ProviderIntegration.objects.get()
    SyncRun.objects.create(
        integration=integration,
        trigger="schedule",
        started_at=datetime(2026, 3, 21, 12, 25, tzinfo=UTC),
    )
    sign_in(org, Role.MEMBER)
    content = client.post("/o/acme/integrations/openai/sync", follow=True).content.decode()
    assert (
        "OpenAI: A sync of this integration is already running (started 2026-03-21 12:25 UTC)."
        in content
    )
    assert "a sync is running" in _fact(_card(content, "openai"), "last-sync")
    assert ">running</td>" in _card(content, "openai")
    assert provider.requests == []
    assert SyncRun.objects.count() == 1
