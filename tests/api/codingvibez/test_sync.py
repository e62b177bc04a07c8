"""CodingVibez `POST /api/sync`, `POST /api/sync-organization-usage` and `GET /api/status`,
against the local provider server (tests/provider_servers.py)."""

import logging
from decimal import Decimal

import pytest

from billing.models import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    SyncRun,
)
from billing.services.integrations import integration_connect
from tests.billing.integration_keys import ANTHROPIC_KEY, OPENAI_KEY, assert_no_key_in
from tests.factories import MembershipFactory
from tests.provider_servers import OPENAI_COSTS, OPENAI_USAGE
from tokentracker.models import ApiKeyScope, Plan, Role
from tokentracker.services import api_key_create

from .helpers import data, error

pytestmark = pytest.mark.django_db

NOW = "2026-03-21T12:30:00Z"
SYNCED = "Usage and costs synced (complete through 2026-03-20)."
NOT_CONNECTED = {
    "status": "not_connected",
    "records": 0,
    "usageRecords": 0,
    "costRecords": 0,
    "message": "",
}


def connect(organization, provider="openai", key=OPENAI_KEY):
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    return integration_connect(
        actor=owner, organization_id=organization.pk, provider=provider, admin_key=key
    )


@pytest.fixture
def openai(org, provider_server, freeze):
    """OpenAI connected with our key; on 20 March two models' usage and one cost line, on
    the 21st (today) one model's usage so far."""
    freeze(NOW)
    provider_server.openai.key = OPENAI_KEY
    provider_server.anthropic.key = ANTHROPIC_KEY
    server = provider_server.openai
    server.usage(day="2026-03-20", model="gpt-4o", input_tokens=1000, output_tokens=100)
    server.usage(day="2026-03-20", model="gpt-4o-mini", input_tokens=500, output_tokens=50)
    server.usage(day="2026-03-21", model="gpt-4o", input_tokens=10, output_tokens=1)
    server.cost(day="2026-03-20", line_item="gpt-4o, input", value="2.50")
    return connect(org)


def test_sync_stores_what_the_provider_reports_and_answers_per_provider(
    api, org, raw_key, openai, provider_server, caplog
):
    caplog.set_level(logging.DEBUG)
    body = data(api.post("/api/sync", {"providers": ["openai", "anthropic"]}, raw_key))
    assert body == {
        "results": {
            "openai": {
                "status": "ok",
                "records": 4,
                "usageRecords": 3,
                "costRecords": 1,
                "message": SYNCED,
            },
            "anthropic": NOT_CONNECTED,
        },
        "syncedAt": "2026-03-21T12:30:00Z",
    }
    assert sorted(
        ProviderUsageBucket.objects.filter(organization=org).values_list(
            "start__day", "model", "input_tokens", "output_tokens"
        )
    ) == [(20, "gpt-4o", 1000, 100), (20, "gpt-4o-mini", 500, 50), (21, "gpt-4o", 10, 1)]
    assert ProviderCostBucket.objects.get(organization=org).amount == Decimal("2.50")
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.usage_records, run.cost_records) == ("api", "ok", 3, 1)
    assert ProviderIntegration.objects.get().status == IntegrationStatus.OK
    # The key went to the provider, and nowhere else.
    assert provider_server.to(OPENAI_USAGE)[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert_no_key_in(api.post("/api/sync", {}, raw_key).content.decode())
    assert_no_key_in(caplog.text)


def test_syncing_again_replaces_rather_than_adds(api, org, raw_key, openai):
    first = data(api.post("/api/sync", {}, raw_key))
    second = data(api.post("/api/sync", {"force": True}, raw_key))
    assert first["results"] == second["results"]
    assert ProviderUsageBucket.objects.count() == 3
    assert ProviderCostBucket.objects.count() == 1
    assert SyncRun.objects.count() == 2


def test_sync_organization_usage_syncs_one_service(api, org, raw_key, openai, provider_server):
    connect(org, "anthropic", ANTHROPIC_KEY)
    body = data(api.post("/api/sync-organization-usage", {"service": "OpenAI"}, raw_key))
    assert body["results"] == {
        "openai": {
            "status": "ok",
            "records": 4,
            "usageRecords": 3,
            "costRecords": 1,
            "message": SYNCED,
        }
    }
    assert provider_server.to("/v1/organizations/usage_report/messages") == []
    anthropic = data(api.post("/api/sync-organization-usage", {"service": "anthropic"}, raw_key))
    assert anthropic["results"]["anthropic"]["status"] == "ok"
    assert anthropic["results"]["anthropic"]["records"] == 0


def test_a_refused_key_is_invalid_key_with_its_message(api, org, raw_key, openai, provider_server):
    provider_server.openai.key = "sk-admin-someone-else-entirely-000000000000"
    body = data(api.post("/api/sync", {"providers": ["openai"]}, raw_key))
    result = body["results"]["openai"]
    assert (result["status"], result["records"]) == ("invalid_key", 0)
    assert result["message"].startswith("OpenAI refused the admin key")
    assert_no_key_in(result["message"])
    status = data(api.get("/api/status", raw_key))["integrations"]["openai"]
    assert (status["connected"], status["status"], status["message"]) == (
        True,
        "invalid_key",
        result["message"],
    )


def test_a_partial_sync_keeps_what_it_got_and_says_what_not(
    api, org, raw_key, openai, provider_server
):
    from tests.provider_servers import Answer

    provider_server.fail_always(OPENAI_COSTS, Answer(status=500))
    result = data(api.post("/api/sync", {}, raw_key))["results"]["openai"]
    assert (result["status"], result["usageRecords"], result["costRecords"]) == (
        "partial",
        3,
        0,
    )
    assert "costs not synced" in result["message"]
    assert ProviderUsageBucket.objects.count() == 3


def test_nothing_connected_answers_not_connected_for_both(api, org, raw_key, provider_server):
    body = data(api.post("/api/sync", {}, raw_key))
    assert body["results"] == {"openai": NOT_CONNECTED, "anthropic": NOT_CONNECTED}
    assert provider_server.requests == []
    empty = api.client.post(
        "/api/sync", "", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    assert data(empty)["results"] == body["results"]  # no body at all: both


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/sync", {"providers": "openai"}, "providers"),
        ("/api/sync", {"providers": []}, "providers"),
        ("/api/sync", {"providers": ["google"]}, "providers"),
        ("/api/sync", {"providers": ["openai", 1]}, "providers"),
        ("/api/sync", {"force": "yes"}, "force"),
        ("/api/sync", {"force": 1}, "force"),
        ("/api/sync", [1, 2], "body"),
        ("/api/sync", "{not json", None),
        ("/api/sync-organization-usage", {}, "service"),
        ("/api/sync-organization-usage", {"service": "google"}, "service"),
        ("/api/sync-organization-usage", {"service": 5}, "service"),
        ("/api/sync-organization-usage", {"service": "openai", "force": "no"}, "force"),
        ("/api/sync-organization-usage", "[]", "body"),
    ],
)
def test_bad_input_is_a_validation_error_and_syncs_nothing(
    api, raw_key, openai, provider_server, path, body, field
):
    message = error(api.post(path, body, raw_key), 400, "VALIDATION_ERROR")
    if field is not None:
        assert message.startswith(f"{field}: ")
    assert provider_server.requests == []
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize("path", ["/api/sync", "/api/sync-organization-usage"])
def test_no_key_is_401_and_a_read_only_key_403(api, org, openai, provider_server, path):
    body = {"service": "openai"}
    error(api.post(path, body), 401, "AUTHENTICATION_ERROR")
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    error(api.post(path, body, read_only), 403, "AUTHORIZATION_ERROR")
    assert provider_server.requests == []
    assert not SyncRun.objects.exists()


def test_members_sync_and_viewers_may_not(client, org, sign_in, openai):
    sign_in(org, Role.VIEWER)
    refused = client.post("/api/sync", {}, content_type="application/json")
    assert error(refused, 403, "AUTHORIZATION_ERROR") == (
        "Viewers cannot start a sync: members, admins and owners can."
    )
    sign_in(org, Role.MEMBER)
    synced = client.post("/api/sync", {}, content_type="application/json")
    assert data(synced)["results"]["openai"]["status"] == "ok"
    assert SyncRun.objects.get().trigger == "api"


def test_an_outsider_key_syncs_its_own_organization_only(
    api, org, outsider_org, outsider_key, openai, provider_server
):
    body = data(api.post("/api/sync", {}, outsider_key))
    assert body["results"] == {"openai": NOT_CONNECTED, "anthropic": NOT_CONNECTED}
    assert provider_server.requests == []
    assert not SyncRun.objects.exists()
    status = data(api.get("/api/status", outsider_key))
    assert status["integrations"]["openai"]["connected"] is False


def test_the_eleventh_sync_in_a_minute_is_429(api, org, raw_key):
    assert Plan.objects.get(pk=org.plan_id).syncs_per_minute == 10
    paths = ["/api/sync", "/api/sync-organization-usage"] * 5
    for number, path in enumerate(paths, start=1):
        response = api.post(path, {"service": "openai"}, raw_key)
        data(response)
        assert response["X-RateLimit-Remaining"] == str(10 - number)
    limited = api.post("/api/sync-organization-usage", {"service": "openai"}, raw_key)
    assert error(limited, 429, "RATE_LIMIT_EXCEEDED") == "Rate limit exceeded"
    assert 1 <= int(limited["Retry-After"]) <= 60
    error(api.post("/api/sync", {}, raw_key), 429, "RATE_LIMIT_EXCEEDED")
    # Reads are another budget.
    data(api.get("/api/status", raw_key))


def test_status_before_and_after_a_sync(api, org, raw_key, openai):
    before = data(api.get("/api/status", raw_key))
    assert before == {
        "integrations": {
            "openai": {
                "connected": True,
                "lastSync": None,
                "lastSuccess": None,
                "status": "never_synced",
                "message": "",
            },
            "anthropic": {
                "connected": False,
                "lastSync": None,
                "lastSuccess": None,
                "status": "not_connected",
                "message": "",
            },
        }
    }
    data(api.post("/api/sync", {}, raw_key))
    after = data(api.get("/api/status", raw_key))["integrations"]
    synced_at = ProviderIntegration.objects.get().last_sync_at
    assert after["openai"]["status"] == "ok"
    assert after["openai"]["message"] == SYNCED
    assert after["openai"]["lastSync"] == synced_at.isoformat().replace("+00:00", "Z")
    assert after["openai"]["lastSuccess"] == after["openai"]["lastSync"]
    assert after["anthropic"]["status"] == "not_connected"


def test_status_is_read_by_read_only_keys_and_viewers(client, api, org, sign_in, openai):
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert data(api.get("/api/status", read_only))["integrations"]["openai"]["connected"]
    sign_in(org, Role.VIEWER)
    response = client.get("/api/status")
    assert data(response)["integrations"]["openai"]["connected"] is True
    assert_no_key_in(response.content.decode())


def test_status_without_a_key_is_401(api, org):
    error(api.get("/api/status"), 401, "AUTHENTICATION_ERROR")


def test_a_sync_already_running_is_running_and_does_nothing(
    api, org, raw_key, openai, provider_server
):
    from datetime import UTC, datetime

    SyncRun.objects.create(
        integration=openai, trigger="schedule", started_at=datetime(2026, 3, 21, 12, 25, tzinfo=UTC)
    )
    result = data(api.post("/api/sync", {"providers": ["openai"]}, raw_key))["results"]["openai"]
    assert result == {
        "status": "running",
        "records": 0,
        "usageRecords": 0,
        "costRecords": 0,
        "message": "A sync of this integration is already running (started 2026-03-21 12:25 UTC).",
    }
    assert provider_server.requests == []
    assert SyncRun.objects.count() == 1
