"""POST /api/v1/events (MyTokenTracker seed 000): pricing and validation."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentracker.models import DailyEventCount
from usage.models import CostSource, ModelPrice, UsageEvent
from usage.services.prices import price_revise

from .events import URL, event

D = Decimal

pytestmark = pytest.mark.django_db


def only_event(org):
    return UsageEvent.objects.get(organization=org)


def test_gpt_4o_with_cached_input_and_reasoning_is_priced_to_the_last_digit(api, org, raw_key):
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per Mtok.
    response = api.post(
        URL,
        event(
            input_tokens=10_000, cache_read_tokens=4_000, output_tokens=2_000, reasoning_tokens=500
        ),
        raw_key,
    )
    assert response.status_code == 201
    assert response.json() == {
        "success": True,
        "created": 1,
        "total_cost": 0.04,
        "duplicates": 0,
        "unpriced": 0,
        "rejected": 0,
        "errors": [],
    }
    stored = only_event(org)
    assert stored.uncached_input_tokens == 6_000
    assert stored.input_cost == D("0.015")  # 6,000 x 2.50 / 1M
    assert stored.cache_read_cost == D("0.005")  # 4,000 x 1.25 / 1M
    assert stored.output_cost == D("0.015")  # 1,500 x 10 / 1M
    assert stored.reasoning_cost == D("0.005")  # 500 x 10 / 1M
    assert stored.total_cost == D("0.04")
    assert stored.total_tokens == 12_000
    assert stored.cost_source == CostSource.CATALOG
    assert (stored.model_price.provider, stored.model_price.model) == ("openai", "gpt-4o")


def test_claude_sonnet_4_cache_reads_and_writes_come_on_top_of_input(api, org, raw_key):
    # claude-sonnet-4: $3 input, $0.30 cache read, $3.75 cache write, $15 output per Mtok.
    response = api.post(
        URL,
        event(
            provider="anthropic",
            model="claude-sonnet-4-20250514",
            input_tokens=1_000,
            cache_read_tokens=20_000,
            cache_write_tokens=5_000,
            output_tokens=800,
            reasoning_tokens=300,
        ),
        raw_key,
    )
    assert response.status_code == 201
    assert response.json()["total_cost"] == 0.03975
    stored = only_event(org)
    assert stored.uncached_input_tokens == 1_000
    assert stored.input_cost == D("0.003")
    assert stored.cache_read_cost == D("0.006")
    assert stored.cache_write_cost == D("0.01875")
    assert stored.output_cost == D("0.0075")
    assert stored.reasoning_cost == D("0.0045")
    assert stored.total_cost == D("0.03975")
    assert stored.total_tokens == 26_800
    assert stored.model_price.model == "claude-sonnet-4-0"


def test_gemini_2_5_pro_below_its_long_context_threshold(api, org, raw_key):
    # gemini-2.5-pro up to 200k prompt tokens: $1.25 input, $0.125 cached, $10 output.
    # Gemini's thoughts (reasoning) come apart from its candidates (output).
    response = api.post(
        URL,
        event(
            provider="google",
            model="gemini-2.5-pro",
            input_tokens=100_000,
            cache_read_tokens=40_000,
            output_tokens=5_000,
            reasoning_tokens=3_000,
        ),
        raw_key,
    )
    assert response.json()["total_cost"] == 0.16
    stored = only_event(org)
    assert (stored.input_cost, stored.cache_read_cost) == (D("0.075"), D("0.005"))
    assert (stored.output_cost, stored.reasoning_cost) == (D("0.05"), D("0.03"))
    assert (stored.output_tokens, stored.reasoning_tokens) == (8_000, 3_000)


def test_gemini_2_5_pro_above_200k_prompt_tokens_is_priced_at_the_tier(api, org, raw_key):
    # Above 200k: $2.50 input, $0.25 cached, $15 output, on every token.
    response = api.post(
        URL,
        event(
            provider="google",
            model="gemini-2.5-pro",
            input_tokens=250_000,
            cache_read_tokens=50_000,
            output_tokens=1_000,
        ),
        raw_key,
    )
    assert response.json()["total_cost"] == 0.5275
    stored = only_event(org)
    assert stored.input_cost == D("0.5")
    assert stored.cache_read_cost == D("0.0125")
    assert stored.output_cost == D("0.015")


def test_exactly_at_the_threshold_is_still_the_base_price(api, org, raw_key):
    api.post(
        URL,
        event(provider="google", model="gemini-2.5-pro", input_tokens=200_000, output_tokens=0),
        raw_key,
    )
    assert only_event(org).total_cost == D("0.25")


def test_dated_snapshot_and_provider_spelling_resolve_to_the_catalog_model(api, org, raw_key):
    api.post(
        URL,
        {
            "events": [
                event(model="gpt-4o-2024-08-06"),
                event(provider="OpenAI", model="gpt-4o"),
                event(provider="anthropic", model="claude-sonnet-4-0"),
            ]
        },
        raw_key,
    )
    models = sorted(
        UsageEvent.objects.values_list("provider", "model", "model_price__model", "cost_source")
    )
    assert models == [
        ("anthropic", "claude-sonnet-4-0", "claude-sonnet-4-0", "catalog"),
        ("openai", "gpt-4o", "gpt-4o", "catalog"),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o", "catalog"),
    ]


def test_event_before_a_price_change_keeps_the_old_price(api, org, raw_key):
    base = ModelPrice.objects.create(
        provider="acme-ai", model="acme-1", input_per_mtok=D("1"), output_per_mtok=D("2")
    )
    price_revise(
        price=base,
        changes={"input_per_mtok": D("3"), "output_per_mtok": D("4")},
        effective_from=datetime(2026, 6, 1, tzinfo=UTC),
    )
    body = {
        "events": [
            event(
                provider="acme-ai",
                model="acme-1",
                input_tokens=1_000_000,
                output_tokens=1_000_000,
                occurred_at="2026-05-31T23:59:59Z",
                id="before",
            ),
            event(
                provider="acme-ai",
                model="acme-1",
                input_tokens=1_000_000,
                output_tokens=1_000_000,
                occurred_at="2026-06-01T00:00:00Z",
                id="after",
            ),
        ]
    }
    response = api.post(URL, body, raw_key)
    assert response.json()["total_cost"] == 10.0
    costs = dict(UsageEvent.objects.values_list("client_event_id", "total_cost"))
    assert costs == {"before": D("3"), "after": D("7")}


def test_an_event_priced_before_an_admin_edit_keeps_its_cost(api, org, raw_key):
    api.post(URL, event(input_tokens=1_000_000, output_tokens=0, id="old"), raw_key)
    current = ModelPrice.objects.get(provider="openai", model="gpt-4o", effective_to=None)
    price_revise(price=current, changes={"input_per_mtok": D("5")})
    api.post(URL, event(input_tokens=1_000_000, output_tokens=0, id="new"), raw_key)
    costs = dict(UsageEvent.objects.values_list("client_event_id", "total_cost"))
    assert costs == {"old": D("2.5"), "new": D("5")}


def test_unknown_model_is_stored_unpriced_never_as_zero(api, org, raw_key):
    response = api.post(URL, event(provider="openai", model="my-finetune-xyz"), raw_key)
    assert response.status_code == 201
    assert response.json() == {
        "success": True,
        "created": 1,
        "total_cost": 0.0,
        "duplicates": 0,
        "unpriced": 1,
        "rejected": 0,
        "errors": [],
    }
    stored = only_event(org)
    assert stored.cost_source == CostSource.UNPRICED
    assert stored.total_cost is None
    assert stored.input_cost is None
    assert stored.model_price is None


def test_reported_total_cost_is_stored_as_the_actual_cost(api, org, raw_key):
    response = api.post(URL, event(total_cost=0.123456789), raw_key)
    assert response.json()["total_cost"] == 0.123456789
    stored = only_event(org)
    assert stored.total_cost == D("0.123456789")
    assert stored.cost_source == CostSource.REPORTED
    assert stored.output_cost is None


def test_reported_cost_of_an_unknown_model_is_kept(api, org, raw_key):
    api.post(URL, event(model="in-house-llm", total_cost=1.5), raw_key)
    assert (only_event(org).cost_source, only_event(org).total_cost) == ("reported", D("1.5"))


def test_every_seed_field_is_stored(api, org, raw_key):
    body = event(
        latency_ms=812,
        success=True,
        quality_score=0.9,
        status="ok",
        currency="USD",
        platform="openai-api",
        use_case="chat",
        session_id="s-1",
        project="search",
        occurred_at="2026-11-01T12:00:00+02:00",
        metadata={"team": "core"},
        endpoint="chat-assistant",
        developer_id="dev-7",
        tenant_id="t-9",
        status_code=200,
        cache_hit=False,
    )
    assert api.post(URL, body, raw_key).status_code == 201
    stored = only_event(org)
    assert stored.occurred_at == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert (stored.latency_ms, stored.success, stored.quality_score) == (812, True, 0.9)
    assert (stored.platform, stored.use_case, stored.session_id, stored.project) == (
        "openai-api",
        "chat",
        "s-1",
        "search",
    )
    assert (stored.endpoint, stored.developer_id, stored.tenant_id) == (
        "chat-assistant",
        "dev-7",
        "t-9",
    )
    assert stored.metadata == {"team": "core"}
    assert stored.status == "ok" and stored.status_code == 200
    assert stored.api_key_id is not None


def test_batch_of_500_is_accepted(api, org, raw_key):
    response = api.post(URL, {"events": [event()] * 500}, raw_key)
    assert response.status_code == 201
    # 10 x 2.50 + 5 x 10 per Mtok = $0.000075 an event
    assert response.json()["created"] == 500
    assert response.json()["total_cost"] == 0.0375
    assert UsageEvent.objects.filter(organization=org).count() == 500


def test_batch_of_501_is_rejected_and_nothing_is_written(api, org, raw_key):
    response = api.post(URL, {"events": [event()] * 501}, raw_key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["details"]["errors"][0]["field"] == "events"
    assert UsageEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}, "provider", "required"),
        (event(provider=""), "provider", "at least 1"),
        (event(model=None), "model", "valid string"),
        (event(input_tokens=-1), "input_tokens", "greater than or equal to 0"),
        (event(output_tokens="5"), "output_tokens", "valid integer"),
        (event(output_tokens=1.5), "output_tokens", "valid integer"),
        (event(cache_read_tokens=-3), "cache_read_tokens", "greater than or equal"),
        (event(total_cost=-0.01), "total_cost", "greater than or equal"),
        (event(success="yes"), "success", "valid boolean"),
        (event(occurred_at="yesterday"), "occurred_at", "datetime"),
        (event(currency="EURO"), "currency", "must be an ISO 4217 currency code, e.g. EUR"),
        (event(metadata=[1]), "metadata", "an object"),
        (event(model="x" * 201), "model", "at most 200"),
        (event(status_code=99), "status_code", "greater than or equal to 100"),
        (event(input_tokens=10, cache_read_tokens=11), "cache_read_tokens", "inside input_tokens"),
        (event(output_tokens=5, reasoning_tokens=6), "reasoning_tokens", "cannot exceed"),
        (event(occurred_at="2999-01-01T00:00:00Z"), "occurred_at", "in the future"),
        (event(occurred_at="0001-01-01T00:00:00+01:00"), "occurred_at", "out of range"),
        (event(occurred_at="1999-12-31T23:59:59Z"), "occurred_at", "after 2000-01-01"),
        (event(project="a\x00b"), "project", "NUL"),
        (event(metadata={"note": "a\x00b"}), "metadata", "NUL"),
        # Ceilings that keep every rollup sum inside its column (README, "Limits").
        (event(total_cost=10_000_000.01), "total_cost", "less than or equal to 10000000"),
        (event(input_tokens=10**9 + 1), "input_tokens", "less than or equal to 1000000000"),
        (event(cache_write_tokens=10**9 + 1), "cache_write_tokens", "less than or equal"),
        (event(quality_score=1e308), "quality_score", "less than or equal to 1000000"),
        (event(quality_score=-1_000_001), "quality_score", "greater than or equal to -1000000"),
    ],
)
def test_each_invalid_field_is_named_in_a_422(api, org, raw_key, body, field, fragment):
    response = api.post(URL, body, raw_key)
    assert response.status_code == 422, response.content
    errors = response.json()["error"]["details"]["errors"]
    assert [e["field"] for e in errors] == [field]
    assert fragment in errors[0]["message"]
    assert UsageEvent.objects.count() == 0


def test_an_empty_batch_is_accepted_and_writes_nothing(api, org, raw_key):
    response = api.post(URL, {"events": []}, raw_key)
    assert response.status_code == 201
    assert response.json() == {
        "success": True,
        "created": 0,
        "total_cost": 0.0,
        "duplicates": 0,
        "unpriced": 0,
        "rejected": 0,
        "errors": [],
    }
    assert not DailyEventCount.objects.exists()


def test_claude_on_vertex_follows_the_anthropic_cache_convention(api, org, raw_key):
    response = api.post(
        URL,
        event(
            provider="vertex",
            model="claude-sonnet-4@20250514",
            input_tokens=10,
            cache_read_tokens=1_000,
            output_tokens=0,
        ),
        raw_key,
    )
    assert response.status_code == 201
    stored = only_event(org)
    assert (stored.provider, stored.uncached_input_tokens, stored.total_tokens) == (
        "google",
        10,
        1_010,
    )


def test_a_batch_of_only_bad_events_names_each_index_and_writes_nothing(api, org, raw_key):
    body = {"events": [event(input_tokens=-1), event(model="")]}
    response = api.post(URL, body, raw_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"] == [
        {
            "index": 0,
            "field": "input_tokens",
            "message": "Input should be greater than or equal to 0",
        },
        {"index": 1, "field": "model", "message": "String should have at least 1 character"},
    ]
    assert UsageEvent.objects.count() == 0
    assert not DailyEventCount.objects.exists()


def test_token_convention_errors_in_a_batch_carry_their_index(api, org, raw_key):
    body = {"events": [event(input_tokens=1, cache_read_tokens=2)]}
    response = api.post(URL, body, raw_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["index"] == 0
    assert UsageEvent.objects.count() == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b"", b'"text"'])
def test_a_body_that_is_not_an_event_object_is_a_422(api, org, raw_key, raw):
    response = api.post(URL, raw, raw_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["field"] == "body"
