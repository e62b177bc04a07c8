"""POST /api/v1/events: a batch judged event by event, as mtt.py and mtt.mjs send it.

mtt.py sends seed 000's snake_case Event (json.dumps of Python numbers: a count computed
in floating point is written 1200.0); mtt.mjs sends the camelCase spellings
(JSON.stringify of a JavaScript object). Both are accepted as they are.
"""

import json

import pytest

from tokentracker.models import DailyEventCount
from usage.models import UsageEvent

from .events import URL, event

pytestmark = pytest.mark.django_db

# 10 x 2.50 + 5 x 10 per Mtok: gpt-4o's price of event()
ONE_EVENT_COST = 0.000075


def events_of(org):
    return UsageEvent.objects.filter(organization=org)


def partial_body():
    return {
        "events": [
            event(id="ok-1"),
            event(input_tokens=-1, id="bad-1"),
            event(id="ok-2"),
            event(occurred_at="2999-01-01T00:00:00Z", id="bad-2"),
            event(input_tokens=1, cache_read_tokens=2, id="bad-3"),
        ]
    }


PARTIAL_ANSWER = {
    "success": True,
    "created": 2,
    "total_cost": 2 * ONE_EVENT_COST,
    "duplicates": 0,
    "unpriced": 0,
    "rejected": 3,
    "errors": [
        {
            "index": 1,
            "field": "input_tokens",
            "message": "Input should be greater than or equal to 0",
        },
        {
            "index": 3,
            "field": "occurred_at",
            "message": "occurred_at is more than a day in the future; check the clock",
        },
        {
            "index": 4,
            "field": "cache_read_tokens",
            "message": "cache_read_tokens + cache_write_tokens (2) cannot exceed input_tokens (1): "
            "openai counts cached tokens inside input_tokens",
        },
    ],
}


def test_the_valid_events_of_a_batch_are_stored_and_the_invalid_ones_answered(api, org, raw_key):
    response = api.post(URL, partial_body(), raw_key)
    assert response.status_code == 201
    assert response.json() == PARTIAL_ANSWER
    assert sorted(events_of(org).values_list("client_event_id", flat=True)) == ["ok-1", "ok-2"]
    # The daily quota counts only the stored events.
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_an_idempotency_key_replays_a_partial_answer_exactly(api, org, raw_key):
    first = api.post(URL, partial_body(), raw_key, HTTP_IDEMPOTENCY_KEY="batch-7")
    again = api.post(URL, partial_body(), raw_key, HTTP_IDEMPOTENCY_KEY="batch-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() == PARTIAL_ANSWER
    assert again["Idempotent-Replayed"] == "true"
    assert events_of(org).count() == 2
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_an_all_invalid_batch_keeps_no_receipt_so_the_key_serves_the_corrected_body(
    api, org, raw_key
):
    bad = api.post(URL, {"events": [event(model="")]}, raw_key, HTTP_IDEMPOTENCY_KEY="k")
    replay = api.post(URL, {"events": [event(model="")]}, raw_key, HTTP_IDEMPOTENCY_KEY="k")
    assert (bad.status_code, replay.status_code) == (422, 422)
    assert replay.json()["error"]["details"] == bad.json()["error"]["details"]
    fixed = api.post(URL, {"events": [event()]}, raw_key, HTTP_IDEMPOTENCY_KEY="k")
    assert (fixed.status_code, fixed.json()["created"]) == (201, 1)


def test_a_repeated_id_is_a_duplicate_not_a_rejection(api, org, raw_key):
    body = {"events": [event(id="a"), event(id="a"), event(model="")]}
    answer = api.post(URL, body, raw_key).json()
    assert (answer["created"], answer["duplicates"], answer["rejected"]) == (1, 1, 1)
    assert answer["errors"] == [
        {"index": 2, "field": "model", "message": "String should have at least 1 character"}
    ]


def test_a_batch_of_duplicates_only_is_not_refused(api, org, raw_key):
    api.post(URL, {"events": [event(id="a")]}, raw_key)
    answer = api.post(URL, {"events": [event(id="a")]}, raw_key)
    assert answer.status_code == 201
    assert (answer.json()["created"], answer.json()["duplicates"]) == (0, 1)


def test_a_partial_batch_past_the_daily_limit_is_429_and_writes_nothing(api, org, raw_key):
    org.plan.daily_event_limit = 1
    org.plan.save()
    response = api.post(URL, partial_body(), raw_key)
    assert response.status_code == 429
    assert not events_of(org).exists()


def test_a_partial_batch_needs_a_key(api, org):
    assert api.post(URL, partial_body()).status_code == 401
    assert not UsageEvent.objects.exists()


def test_an_outsiders_partial_batch_lands_in_its_own_organization(
    api, org, outsider_org, outsider_key
):
    assert api.post(URL, partial_body(), outsider_key).json()["created"] == 2
    assert not events_of(org).exists()
    assert events_of(outsider_org).count() == 2


# --- integral floats --------------------------------------------------------------------

INTEGER_FIELDS = [
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "latency_ms",
]


def test_mtt_py_snake_case_event_with_whole_floats_is_stored(api, org, raw_key):
    # What json.dumps writes for an event whose counts were summed as floats.
    raw = json.dumps(
        {
            "provider": "openai",
            "model": "gpt-4o",
            "input_tokens": 1200.0,
            "output_tokens": 350.0,
            "cache_read_tokens": 200.0,
            "cache_write_tokens": None,
            "reasoning_tokens": 100.0,
            "total_cost": None,
            "latency_ms": 812.0,
            "success": True,
            "quality_score": 0.9,
            "status": "ok",
            "currency": "USD",
            "platform": "openai-api",
            "use_case": "chat",
            "session_id": "s-1",
            "project": "search",
            "occurred_at": "2026-03-01T12:00:00Z",
            "metadata": {"run": 3},
        }
    )
    assert '"input_tokens": 1200.0' in raw
    response = api.post(URL, raw, raw_key)
    assert response.status_code == 201, response.content
    # 1,000 x 2.50 + 200 x 1.25 + 350 x 10 per Mtok
    assert response.json()["total_cost"] == 0.00625
    stored = events_of(org).get()
    assert (stored.input_tokens, stored.output_tokens, stored.cache_read_tokens) == (1200, 350, 200)
    assert (stored.reasoning_tokens, stored.latency_ms) == (100, 812)
    assert (stored.use_case, stored.session_id, stored.metadata) == ("chat", "s-1", {"run": 3})


@pytest.mark.parametrize("field", [*INTEGER_FIELDS, "status_code"])
def test_a_fractional_count_is_refused_naming_the_field(api, org, raw_key, field):
    value = 200.5 if field == "status_code" else 1.5
    response = api.post(URL, event(**{field: value}), raw_key)
    assert response.status_code == 422
    (error,) = response.json()["error"]["details"]["errors"]
    assert error == {
        "field": field,
        "message": "Input should be a valid integer, got a number with a fractional part",
    }
    assert not UsageEvent.objects.exists()


@pytest.mark.parametrize("value", [True, "12", "12.0", float("inf")])
def test_booleans_strings_and_infinity_are_still_no_counts(api, org, raw_key, value):
    raw = json.dumps(event(input_tokens=value)).replace("Infinity", "1e999")
    response = api.post(URL, raw, raw_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["field"] == "input_tokens"


def test_a_whole_float_status_code_is_stored(api, org, raw_key):
    assert api.post(URL, event(status_code=200.0), raw_key).status_code == 201
    assert events_of(org).get().status_code == 200


# --- camelCase spellings and unknown fields ---------------------------------------------


def test_mtt_mjs_camel_case_event_is_stored_field_by_field(api, org, raw_key):
    body = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-0",
        "inputTokens": 1000,
        "outputTokens": 800,
        "cacheReadTokens": 20000,
        "cacheWriteTokens": 5000,
        "reasoningTokens": 300,
        "latencyMs": 1520,
        "success": True,
        "qualityScore": 4.5,
        "status": "ok",
        "currency": "USD",
        "platform": "claude-code",
        "useCase": "coding",
        "sessionId": "sess-42",
        "project": "tokentracker",
        "occurredAt": "2026-03-01T12:00:00.000Z",
        "metadata": {"branch": "main"},
        "developerId": "dev-7",
        "tenantId": "t-9",
        "statusCode": 200,
        "cacheHit": True,
        "sdkVersion": "mtt.mjs/1.4.0",
    }
    response = api.post(URL, {"events": [body]}, raw_key)
    assert response.status_code == 201, response.content
    # claude-sonnet-4: 1,000 x 3 + 20,000 x 0.30 + 5,000 x 3.75 + 800 x 15 per Mtok
    assert response.json()["total_cost"] == 0.03975
    stored = events_of(org).get()
    assert (stored.input_tokens, stored.output_tokens, stored.reasoning_tokens) == (1000, 800, 300)
    assert (stored.cache_read_tokens, stored.cache_write_tokens) == (20000, 5000)
    assert (stored.latency_ms, stored.quality_score, stored.status_code) == (1520, 4.5, 200)
    assert (stored.use_case, stored.session_id, stored.developer_id, stored.tenant_id) == (
        "coding",
        "sess-42",
        "dev-7",
        "t-9",
    )
    assert stored.occurred_at.isoformat() == "2026-03-01T12:00:00+00:00"
    assert stored.metadata == {"branch": "main", "sdkVersion": "mtt.mjs/1.4.0"}


def test_unknown_fields_are_kept_in_metadata(api, org, raw_key):
    body = event(trace_id="abc", tags=["a", "b"], nested={"deep": 1})
    assert api.post(URL, body, raw_key).status_code == 201
    assert events_of(org).get().metadata == {
        "trace_id": "abc",
        "tags": ["a", "b"],
        "nested": {"deep": 1},
    }


def test_an_unknown_field_equal_to_its_metadata_key_is_kept_once(api, org, raw_key):
    assert api.post(URL, event(team="core", metadata={"team": "core"}), raw_key).status_code == 201
    assert events_of(org).get().metadata == {"team": "core"}


def test_an_unknown_field_that_contradicts_its_metadata_key_is_refused(api, org, raw_key):
    response = api.post(URL, event(team="core", metadata={"team": "search"}), raw_key)
    assert response.status_code == 422
    (error,) = response.json()["error"]["details"]["errors"]
    assert error["field"] == "team"
    assert "already has a different team" in error["message"]
    assert not UsageEvent.objects.exists()


def test_a_field_sent_in_both_spellings_is_refused(api, org, raw_key):
    response = api.post(URL, {"events": [event(), event(inputTokens=10)]}, raw_key)
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "inputTokens",
            "message": "sent both as input_tokens and as inputTokens: send it once",
        }
    ]


def test_a_nul_character_in_an_unknown_field_is_refused_naming_it(api, org, raw_key):
    response = api.post(URL, event(note="a\x00b"), raw_key)
    assert response.status_code == 422
    (error,) = response.json()["error"]["details"]["errors"]
    assert error == {"field": "note", "message": "must not contain NUL characters"}
