"""POST /api/tokens/track: one call through the shared ingest, in CodingVibez's words."""

import uuid
from decimal import Decimal

import pytest
from django.db import OperationalError

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope
from usage.models import CostSource, HourlyRollup, RollupDelta, UsageEvent

from .helpers import at, data, error

URL = "/api/tokens/track"
pytestmark = pytest.mark.django_db


def call(**fields):
    return {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 5, **fields}


def test_an_openai_call_is_priced_with_its_cached_tokens_inside_input(api, org, raw_key):
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per Mtok; OpenAI's prompt count
    # includes the 4,000 cached tokens, so 6,000 are uncached.
    body = call(inputTokens=10_000, cachedTokens=4_000, outputTokens=1_500)
    tracked = data(api.post(URL, body, raw_key))
    stored = UsageEvent.objects.get(organization=org)
    assert tracked == {
        "id": str(stored.uuid),
        "provider": "openai",
        "model": "gpt-4o",
        "inputTokens": 10_000,
        "outputTokens": 1_500,
        "cachedTokens": 4_000,
        "cost": 0.035,
        "costSource": "catalog",
        "timestamp": tracked["timestamp"],
        "flushed": False,
    }
    assert at(tracked["timestamp"]) == stored.occurred_at
    assert (stored.uncached_input_tokens, stored.cache_read_tokens) == (6_000, 4_000)
    assert stored.total_cost == Decimal("0.035")


def test_an_anthropic_call_counts_cached_tokens_on_top_of_input(api, org, raw_key):
    # claude-sonnet-4: $3 input, $0.30 cache read, $15 output per Mtok.
    body = call(
        provider="anthropic",
        model="claude-sonnet-4-0",
        inputTokens=1_000,
        cachedTokens=10_000,
        outputTokens=500,
    )
    tracked = data(api.post(URL, body, raw_key))
    assert tracked["cost"] == 0.0135
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.uncached_input_tokens, stored.cache_read_tokens) == (1_000, 10_000)
    assert stored.total_tokens == 11_500


def test_a_reported_cost_wins_over_the_catalog(api, org, raw_key):
    tracked = data(api.post(URL, call(cost=0.05), raw_key))
    assert (tracked["cost"], tracked["costSource"]) == (0.05, "reported")
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.cost_source) == (Decimal("0.05"), CostSource.REPORTED)


def test_an_unknown_model_is_unpriced_not_free(api, org, raw_key):
    tracked = data(api.post(URL, call(model="in-house-llm-7"), raw_key))
    assert (tracked["cost"], tracked["costSource"]) == (None, "unpriced")
    assert UsageEvent.objects.get(organization=org).total_cost is None


def test_the_provider_is_answered_as_stored(api, org, raw_key):
    tracked = data(api.post(URL, call(provider="OpenAI"), raw_key))
    assert tracked["provider"] == "openai"
    assert UsageEvent.objects.get(organization=org).provider == "openai"


def test_flush_merges_the_aggregates_before_answering(api, org, raw_key):
    tracked = data(api.post(URL, call(flush=True), raw_key))
    assert tracked["flushed"] is True
    assert not RollupDelta.objects.exists()
    assert HourlyRollup.objects.get(organization=org).events == 1
    usage = data(api.get("/api/tokens", raw_key))
    assert usage["tokens"][0]["requests"] == 1


def test_a_failed_flush_still_acknowledges_the_stored_event_so_no_retry_doubles_it(
    api, org, raw_key, monkeypatch
):
    def merge_fails():
        raise OperationalError("the database went away")

    monkeypatch.setattr("usage.rollups.rollups_merge", merge_fails)
    response = api.post(URL, call(flush=True), raw_key)
    assert response.status_code == 200
    tracked = data(response)
    assert tracked["flushed"] is False
    assert str(UsageEvent.objects.get(organization=org).uuid) == tracked["id"]
    assert RollupDelta.objects.filter(organization=org).count() == 1


def test_without_flush_the_event_is_written_and_waits_in_the_buffer(api, org, raw_key):
    # Tests do not run on-commit hooks, so the merge ingest schedules never happens here.
    data(api.post(URL, call(), raw_key))
    assert UsageEvent.objects.filter(organization=org).count() == 1
    assert not HourlyRollup.objects.exists()
    health = data(api.get("/api/tracking-health", raw_key))
    assert health["buffer"]["size"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "gpt-4o", "inputTokens": 1, "outputTokens": 1}, "provider"),
        (call(provider=""), "provider"),
        (call(model=""), "model"),
        (call(inputTokens=-1), "inputTokens"),
        (call(inputTokens="10"), "inputTokens"),
        (call(outputTokens=1.5), "outputTokens"),
        (call(cachedTokens=11), "cachedTokens"),  # OpenAI: cached are part of the 10 input
        (call(cost=-0.01), "cost"),
        (call(cost="free"), "cost"),
        (call(cost=999_999_999_999), "cost"),
        (call(inputTokens=10**9 + 1), "inputTokens"),
        (call(outputTokens=10**9 + 1), "outputTokens"),
        (call(flush="yes"), "flush"),
        ({k: v for k, v in call().items() if k != "inputTokens"}, "inputTokens"),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_writes_nothing(api, org, raw_key, body, field):
    message = error(api.post(URL, body, raw_key), 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: ")
    assert not UsageEvent.objects.exists()


def test_a_body_that_is_not_json_is_a_400(api, raw_key):
    message = error(api.post(URL, b"{not json", raw_key), 400, "VALIDATION_ERROR")
    assert message.startswith("body: Malformed JSON")


def test_the_daily_limit_is_a_429_rate_limit_error(api, org, raw_key):
    org.plan.daily_event_limit = 1
    org.plan.save()
    data(api.post(URL, call(), raw_key))
    error(api.post(URL, call(), raw_key), 429, "RATE_LIMIT_EXCEEDED")
    assert UsageEvent.objects.count() == 1


def test_tracking_needs_a_key_or_a_session(api):
    message = error(api.post(URL, call()), 401, "AUTHENTICATION_ERROR")
    assert message == "Invalid or missing API token"


def test_a_read_only_key_cannot_track(api, org):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    error(api.post(URL, call(), read_key.raw_key), 403, "AUTHORIZATION_ERROR")


def test_a_signed_in_member_tracks_into_their_organization(member_client, org):
    response = member_client.post(URL, call(), content_type="application/json")
    tracked = data(response)
    assert UsageEvent.objects.get(uuid=uuid.UUID(tracked["id"])).organization_id == org.id
    assert UsageEvent.objects.get().api_key_id is None


def test_a_viewer_member_cannot_track(viewer_client):
    response = viewer_client.post(URL, call(), content_type="application/json")
    assert error(response, 403, "AUTHORIZATION_ERROR") == "Viewers cannot record usage."
    assert not UsageEvent.objects.exists()
