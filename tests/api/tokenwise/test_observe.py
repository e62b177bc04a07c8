"""POST /api/v1/observe: the Tokenwise SDK's body becomes one priced usage event."""

from decimal import Decimal

import pytest

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope
from usage.models import Outcome, UsageEvent

from .conftest import observe

pytestmark = pytest.mark.django_db


def test_an_openai_call_is_recorded_priced_and_answered_as_a_request(api, org, tw_key):
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per Mtok; OpenAI counts the
    # cached tokens inside inputTokens.
    response = observe(
        api, tw_key, inputTokens=10_000, cachedInputTokens=4_000, outputTokens=2_000, tag="chat"
    )
    assert response.status_code == 201
    body = response.json()
    event = UsageEvent.objects.get(organization=org)
    assert body == {
        "id": str(event.uuid),
        "workspaceId": str(org.uuid),
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "provider": "openai",
        "model": "gpt-4o",
        "inputTokens": 10_000,
        "outputTokens": 2_000,
        "totalTokens": 12_000,
        "cost": 0.04,
        "latencyMs": 420,
        "status": "success",
        "statusCode": 200,
        "errorMessage": None,
        "cacheHit": True,
        "metadata": {"tag": "chat"},
    }
    assert event.uncached_input_tokens == 6_000
    assert event.cache_read_tokens == 4_000
    assert event.total_cost == Decimal("0.04")  # 0.015 + 0.005 + 0.02
    assert event.endpoint == "chat"
    assert event.outcome == Outcome.SUCCESS


def test_an_anthropic_call_adds_cache_reads_and_writes_on_top_of_input(api, org, tw_key):
    # claude-sonnet-4: $3 input, $0.30 cache read, $3.75 cache write, $15 output per Mtok;
    # Anthropic's input_tokens exclude both cache parts.
    response = observe(
        api,
        tw_key,
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        inputTokens=1_000,
        cachedInputTokens=20_000,
        cacheCreationTokens=5_000,
        outputTokens=800,
    )
    assert response.status_code == 201
    assert response.json()["cost"] == 0.03975
    assert response.json()["totalTokens"] == 26_800
    event = UsageEvent.objects.get(organization=org)
    assert (event.uncached_input_tokens, event.cache_read_tokens, event.cache_write_tokens) == (
        1_000,
        20_000,
        5_000,
    )
    assert event.total_cost == Decimal("0.03975")  # 0.003 + 0.006 + 0.01875 + 0.012


def test_a_failed_call_is_recorded_as_an_error(api, org, tw_key):
    response = observe(
        api,
        tw_key,
        status="error",
        statusCode=429,
        errorMessage="upstream rate limited",
        inputTokens=None,
        outputTokens=None,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["statusCode"], body["errorMessage"]) == (
        "error",
        429,
        "upstream rate limited",
    )
    # No counts sent: unknown, not zero (seed 003 makes all four nullable).
    assert (body["inputTokens"], body["outputTokens"], body["totalTokens"], body["cost"]) == (
        None,
        None,
        None,
        None,
    )
    event = UsageEvent.objects.get(organization=org)
    assert event.outcome == Outcome.ERROR
    assert event.tokens_reported is False


def test_an_unknown_model_is_stored_with_a_null_cost_not_zero(api, org, tw_key):
    response = observe(api, tw_key, model="gpt-from-the-future")
    assert response.status_code == 201
    assert response.json()["cost"] is None


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"provider": ""}, "provider:"),
        ({"model": None}, "model:"),
        ({"inputTokens": -1}, "inputTokens:"),
        ({"inputTokens": 10**9 + 1}, "inputTokens:"),
        ({"cacheCreationTokens": 10**9 + 1}, "cacheCreationTokens:"),
        ({"outputTokens": "12"}, "outputTokens:"),
        ({"latencyMs": 1.5}, "latencyMs:"),
        ({"status": "timeout"}, "status:"),
        ({"statusCode": 99}, "statusCode:"),
        ({"tag": "x" * 201}, "tag:"),
        # OpenAI counts cached tokens inside inputTokens, so they cannot be more.
        ({"inputTokens": 100, "cachedInputTokens": 200}, "cachedInputTokens:"),
    ],
)
def test_each_invalid_field_is_named_in_a_400_and_nothing_is_written(
    api, org, tw_key, fields, fragment
):
    response = observe(api, tw_key, **fields)
    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert fragment in response.json()["error"]
    assert not UsageEvent.objects.exists()


def test_the_token_convention_error_speaks_tokenwise_field_names(api, org, tw_key):
    response = observe(api, tw_key, inputTokens=100, cachedInputTokens=200)
    message = response.json()["error"]
    assert "inputTokens (100)" in message
    assert "_tokens" not in message


@pytest.mark.parametrize("raw", ["{not json", "[]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(api, org, tw_key, raw):
    response = api.post("/api/v1/observe", raw, tw_key)
    assert response.status_code == 400
    assert response.json()["error"] in ("Malformed JSON body", "Body must be a JSON object")


def test_observe_needs_a_key(api, org):
    response = observe(api, None)
    assert response.status_code == 401
    assert list(response.json()) == ["error"]
    assert not UsageEvent.objects.exists()


def test_a_read_only_key_cannot_observe(api, org):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    response = observe(api, read_key.raw_key)
    assert response.status_code == 403
    assert response.json() == {"error": "This API key is read-only."}


def test_the_daily_event_limit_is_a_429_and_nothing_is_written(api, org, tw_key):
    org.plan.daily_event_limit = 1
    org.plan.save()
    assert observe(api, tw_key).status_code == 201
    response = observe(api, tw_key)
    assert response.status_code == 429
    assert response.json() == {"error": "Daily event limit reached"}
    assert UsageEvent.objects.count() == 1


def test_an_event_lands_in_the_callers_organization_only(api, org, outsider_org, tw_key):
    observe(api, tw_key)
    assert UsageEvent.objects.filter(organization=org).count() == 1
    assert not UsageEvent.objects.filter(organization=outsider_org).exists()
