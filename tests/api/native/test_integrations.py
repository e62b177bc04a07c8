"""`/api/v1/integrations`: list, one, connect or rotate (POST, PUT), remove, sync; the key
write-only; admins and owners manage keys (a key acts for its creator), members and write
keys sync; scoped to the organization."""

import json
import logging
from datetime import datetime, timedelta
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
from tokentracker.models import ApiKeyScope, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

NOW = "2026-03-21T12:30:00Z"
FIELDS = {
    "provider",
    "key_last_four",
    "status",
    "status_message",
    "last_sync_at",
    "last_success_at",
    "usage_synced_until",
    "costs_synced_until",
    "created_at",
    "updated_at",
}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}


def send(client, method, path, body=None, key=None):
    payload = body if isinstance(body, str) else json.dumps(body or {})
    return getattr(client, method)(path, payload, content_type="application/json", **auth(key))


def key_of(org, role, scope=ApiKeyScope.WRITE):
    membership = MembershipFactory(organization=org, role=role)
    return api_key_create(
        organization=org, name=f"{role}'s", created_by=membership.user, scope=scope
    ).raw_key


@pytest.fixture
def admin_key(org):
    return key_of(org, Role.ADMIN)


def connected(organization, provider="openai", key=OPENAI_KEY):
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    return integration_connect(
        actor=owner, organization_id=organization.pk, provider=provider, admin_key=key
    )


def test_an_admin_key_connects_and_the_key_never_comes_back(client, org, admin_key, caplog):
    caplog.set_level(logging.DEBUG)
    response = send(
        client,
        "post",
        "/api/v1/integrations",
        {"provider": "openai", "admin_key": OPENAI_KEY},
        admin_key,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert {k: body[k] for k in ("provider", "key_last_four", "status", "status_message")} == {
        "provider": "openai",
        "key_last_four": "Ab3D",
        "status": "never_synced",
        "status_message": "",
    }
    assert ProviderIntegration.objects.get(organization=org).admin_key == OPENAI_KEY

    rotated = send(
        client, "put", "/api/v1/integrations/openai", {"admin_key": OTHER_OPENAI_KEY}, admin_key
    )
    assert rotated.status_code == 200
    assert rotated.json()["key_last_four"] == "Ro7T"
    added = send(
        client, "put", "/api/v1/integrations/anthropic", {"admin_key": ANTHROPIC_KEY}, admin_key
    )
    assert added.status_code == 201

    listed = client.get("/api/v1/integrations", **auth(admin_key))
    assert [(row["provider"], row["key_last_four"]) for row in listed.json()] == [
        ("anthropic", "Zz9Q"),
        ("openai", "Ro7T"),
    ]
    one = client.get("/api/v1/integrations/openai", **auth(admin_key))
    assert one.json()["key_last_four"] == "Ro7T"
    for text in (response, rotated, added, listed, one):
        assert_no_key_in(text.content.decode())
    assert_no_key_in(caplog.text)


def test_rotating_resets_an_invalid_key(client, org, admin_key):
    integration = connected(org)
    ProviderIntegration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.INVALID_KEY, status_message="OpenAI refused the admin key."
    )
    response = send(
        client, "put", "/api/v1/integrations/openai", {"admin_key": OTHER_OPENAI_KEY}, admin_key
    )
    assert (response.json()["status"], response.json()["status_message"]) == ("never_synced", "")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            "/api/v1/integrations",
            {"provider": "google", "admin_key": OPENAI_KEY},
            "provider",
        ),
        ("post", "/api/v1/integrations", {"admin_key": OPENAI_KEY}, "provider"),
        ("post", "/api/v1/integrations", {"provider": "openai"}, "admin_key"),
        ("post", "/api/v1/integrations", {"provider": "openai", "admin_key": 5}, "admin_key"),
        ("post", "/api/v1/integrations", [OPENAI_KEY], "provider"),
        ("put", "/api/v1/integrations/openai", {"admin_key": ANTHROPIC_KEY}, "admin_key"),
        ("put", "/api/v1/integrations/openai", {"admin_key": OPENAI_KEY + " x"}, "admin_key"),
        ("put", "/api/v1/integrations/google", {"admin_key": OPENAI_KEY}, "provider"),
    ],
)
def test_bad_input_is_422_naming_the_field_without_the_key(
    client, admin_key, method, path, body, field
):
    response = send(client, method, path, body, admin_key)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert list(error["details"]) == [field]
    assert_no_key_in(response.content.decode())
    assert not ProviderIntegration.objects.exists()


def test_patch_is_not_offered(client, org, admin_key):
    connected(org)
    response = send(client, "patch", "/api/v1/integrations/openai", {"admin_key": "x"}, admin_key)
    assert response.status_code == 405


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_keys_of_admins_and_owners_manage_keys(client, org, role):
    connected(org)
    key = key_of(org, role)
    attempts = [
        send(
            client,
            "post",
            "/api/v1/integrations",
            {"provider": "anthropic", "admin_key": ANTHROPIC_KEY},
            key,
        ),
        send(client, "put", "/api/v1/integrations/openai", {"admin_key": OTHER_OPENAI_KEY}, key),
        send(client, "delete", "/api/v1/integrations/openai", None, key),
    ]
    assert [response.status_code for response in attempts] == [403, 403, 403]
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY


def test_a_key_made_from_the_command_line_acts_for_nobody(client, org):
    key = api_key_create(organization=org, name="cli").raw_key
    response = send(
        client, "post", "/api/v1/integrations", {"provider": "openai", "admin_key": OPENAI_KEY}, key
    )
    assert response.status_code == 403
    assert (
        "provider admin keys need a key of an admin or owner" in response.json()["error"]["message"]
    )


def test_a_signed_in_owner_manages_keys_and_a_viewer_reads(client, org, sign_in):
    sign_in(org, Role.OWNER)
    response = send(client, "put", "/api/v1/integrations/openai", {"admin_key": OPENAI_KEY})
    assert response.status_code == 201
    sign_in(org, Role.VIEWER)
    assert client.get("/api/v1/integrations").json()[0]["key_last_four"] == "Ab3D"
    assert send(client, "delete", "/api/v1/integrations/openai").status_code == 403


def test_no_key_is_401_and_a_read_only_key_reads_only(client, org):
    connected(org)
    assert client.get("/api/v1/integrations").status_code == 401
    assert (
        send(client, "put", "/api/v1/integrations/openai", {"admin_key": OPENAI_KEY}).status_code
        == 401
    )
    read_only = key_of(org, Role.OWNER, scope=ApiKeyScope.READ)
    assert client.get("/api/v1/integrations", **auth(read_only)).status_code == 200
    refused = send(
        client, "put", "/api/v1/integrations/openai", {"admin_key": OTHER_OPENAI_KEY}, read_only
    )
    assert refused.status_code == 403
    assert (
        send(client, "post", "/api/v1/integrations/openai/sync", {}, read_only).status_code == 403
    )
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY


def test_an_outsider_sees_and_touches_nothing_of_ours(client, org, outsider_org):
    connected(org)
    outsider = key_of(outsider_org, Role.OWNER)
    assert client.get("/api/v1/integrations", **auth(outsider)).json() == []
    assert client.get("/api/v1/integrations/openai", **auth(outsider)).status_code == 404
    assert send(client, "delete", "/api/v1/integrations/openai", None, outsider).status_code == 404
    assert send(client, "post", "/api/v1/integrations/openai/sync", {}, outsider).status_code == 404
    # A PUT connects the outsider's own organization, never touches ours.
    mine = send(
        client, "put", "/api/v1/integrations/openai", {"admin_key": OTHER_OPENAI_KEY}, outsider
    )
    assert mine.status_code == 201
    assert dict(ProviderIntegration.objects.values_list("organization__slug", "key_last_four")) == {
        "acme": "Ab3D",
        "outsider": "Ro7T",
    }
    assert not SyncRun.objects.exists()


def test_removing_keeps_the_synced_costs(client, org, admin_key):
    connected(org)
    ProviderCostBucket.objects.create(
        organization=org,
        provider="openai",
        day="2026-03-01",
        line_item="gpt-4o, input",
        amount=Decimal("1.25"),
        currency="USD",
    )
    assert send(client, "delete", "/api/v1/integrations/openai", None, admin_key).status_code == 204
    assert not ProviderIntegration.objects.exists()
    assert ProviderCostBucket.objects.get().amount == Decimal("1.25")
    assert send(client, "delete", "/api/v1/integrations/openai", None, admin_key).status_code == 404
    assert client.get("/api/v1/integrations/OpenAI", **auth(admin_key)).status_code == 404
    assert client.get("/api/v1/integrations/a%00b", **auth(admin_key)).status_code == 404


def test_a_member_key_syncs_against_the_provider(client, org, provider_server, freeze):
    freeze(NOW)
    provider_server.openai.key = OPENAI_KEY
    provider_server.openai.usage(day="2026-03-20", model="gpt-4o", input_tokens=1000)
    provider_server.openai.cost(day="2026-03-20", line_item="gpt-4o, input", value="2.50")
    connected(org)
    key = key_of(org, Role.MEMBER)
    response = send(client, "post", "/api/v1/integrations/openai/sync", {"force": False}, key)
    assert response.status_code == 200, response.content
    synced_at = ProviderIntegration.objects.get().last_sync_at
    # The frozen time plus the sync's own: seconds on a loaded machine.
    frozen = datetime.fromisoformat(NOW)
    assert frozen <= synced_at < frozen + timedelta(minutes=1)
    assert response.json() == {
        "provider": "openai",
        "status": "ok",
        "records": 2,
        "usage_records": 1,
        "cost_records": 1,
        "message": "Usage and costs synced (complete through 2026-03-20).",
        "synced_at": synced_at.isoformat().replace("+00:00", "Z"),
        "already_running": False,
    }
    assert SyncRun.objects.get().trigger == "api"
    one = client.get("/api/v1/integrations/openai", **auth(key)).json()
    assert (one["status"], one["last_sync_at"]) == ("ok", response.json()["synced_at"])
    assert_no_key_in(response.content.decode())


def test_sync_refuses_a_force_that_is_not_a_boolean(client, org, admin_key):
    connected(org)
    response = send(client, "post", "/api/v1/integrations/openai/sync", {"force": "yes"}, admin_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"force": ["must be true or false"]}
    assert not SyncRun.objects.exists()


def test_sync_of_a_provider_not_connected_is_404(client, org, admin_key):
    assert (
        send(client, "post", "/api/v1/integrations/anthropic/sync", {}, admin_key).status_code
        == 404
    )


def test_sync_counts_on_the_organizations_sync_limit(client, org, admin_key, api, raw_key):
    connected(org)
    for _ in range(10):
        api.post("/api/sync", {"providers": ["anthropic"]}, raw_key)
    response = send(client, "post", "/api/v1/integrations/openai/sync", {}, admin_key)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not SyncRun.objects.exists()


def test_the_list_costs_the_same_queries_for_one_provider_or_two(client, org, admin_key):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connected(org)
    client.get("/api/v1/integrations", **auth(admin_key))  # the key lookup is cached after
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/integrations", **auth(admin_key)).json()) == 1
    connected(org, "anthropic", ANTHROPIC_KEY)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/api/v1/integrations", **auth(admin_key)).json()) == 2
    assert len(two) == len(one)
    assert not any("key_ciphertext" in query["sql"] for query in two.captured_queries)
