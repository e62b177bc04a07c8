"""POST /v1/traces with OTLP/JSON, as the specification's own example writes it: hex ids
(any case), lowerCamelCase keys, 64-bit integers as decimal strings or numbers, enums as
integers. The answer is JSON too.
"""

import copy
import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from usage.models import UsageEvent

from .spans import post, post_json

pytestmark = pytest.mark.django_db

SPEC_EXAMPLE = json.loads(Path(__file__).with_name("fixtures").joinpath("trace.json").read_text())
# 2025-06-01T12:00:00Z and one and a half seconds later.
START, END = "1748779200000000000", "1748779201500000000"


def attribute(key: str, value: object) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # int64: a decimal string
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def span(span_id: str, attributes: dict, **fields: object) -> dict:
    return {
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": span_id,
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "chat gpt-4o",
        "startTimeUnixNano": START,
        "endTimeUnixNano": END,
        "kind": 3,
        "attributes": [attribute(key, value) for key, value in attributes.items()],
        **fields,
    }


def document(*spans: dict, resource: dict | None = None) -> dict:
    """The specification's example, its spans replaced."""
    body = copy.deepcopy(SPEC_EXAMPLE)
    if resource is not None:
        body["resourceSpans"][0]["resource"]["attributes"] = [
            attribute(key, value) for key, value in resource.items()
        ]
    body["resourceSpans"][0]["scopeSpans"][0]["spans"] = list(spans)
    return body


CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 10_000,
    "gen_ai.usage.cache_read.input_tokens": 4_000,
    "gen_ai.usage.output_tokens": 2_000,
    "gen_ai.usage.reasoning.output_tokens": 500,
    "session.id": "sess-7",
    "user.id": "dev-42",
}


def test_the_specifications_example_is_taken_and_its_server_span_ignored(client, raw_key):
    response = post_json(client, SPEC_EXAMPLE, raw_key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "partialSuccess": {
            "errorMessage": "1 span(s) without GenAI token usage (or agent, workflow and tool "
            "spans, whose model calls are counted) ignored"
        }
    }
    assert not UsageEvent.objects.exists()


def test_a_genai_span_in_the_examples_shape_becomes_a_priced_event(client, org, raw_key):
    response = post_json(client, document(span("EEE19B7EC3C1B174", CHAT)), raw_key)
    assert response.status_code == 200
    assert response.json() == {}
    event = UsageEvent.objects.get(organization=org)
    assert event.client_event_id == "5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174"
    assert event.occurred_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert event.latency_ms == 1_500
    assert (event.uncached_input_tokens, event.cache_read_tokens, event.reasoning_tokens) == (
        6_000,
        4_000,
        500,
    )
    assert event.total_cost == Decimal("0.04")
    assert (event.session_id, event.developer_id, event.project) == (
        "sess-7",
        "dev-42",
        "my.service",
    )
    assert event.metadata == {"otel.span.name": "chat gpt-4o", "otel.scope.name": "my.library"}


def test_counts_and_times_written_as_json_numbers_are_read_too(client, org, raw_key):
    chat = span("EEE19B7EC3C1B174", {}, startTimeUnixNano=int(START), endTimeUnixNano=int(END))
    chat["attributes"] = [
        attribute("gen_ai.request.model", "gpt-4o"),
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": 1_000}},
        {"key": "gen_ai.usage.output_tokens", "value": {"doubleValue": 100.0}},
    ]
    assert post_json(client, document(chat), raw_key).status_code == 200
    event = UsageEvent.objects.get(organization=org)
    assert (event.input_tokens, event.output_tokens, event.latency_ms) == (1_000, 100, 1_500)
    assert event.total_cost == Decimal("0.0035")  # 1,000 x $2.50 + 100 x $10 per Mtok


def test_a_gzip_json_body_is_read(client, org, raw_key):
    body = gzip.compress(json.dumps(document(span("EEE19B7EC3C1B174", CHAT))).encode())
    response = post(
        client, body, raw_key, content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 1


def test_a_negative_count_is_rejected_by_name_and_the_other_span_stored(client, org, raw_key):
    negative = span("EEE19B7EC3C1B175", {**CHAT, "gen_ai.usage.input_tokens": -3})
    response = post_json(client, document(span("EEE19B7EC3C1B174", CHAT), negative), raw_key)
    assert response.status_code == 200
    assert response.json() == {
        "partialSuccess": {
            "rejectedSpans": "1",
            "errorMessage": "span 5b8efff798038103d269b633813fc60c/eee19b7ec3c1b175: "
            "gen_ai.usage.input_tokens: must not be negative (-3)",
        }
    }
    assert list(UsageEvent.objects.values_list("client_event_id", flat=True)) == [
        "5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174"
    ]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"endTimeUnixNano": "1748779199000000000"},
            "endTimeUnixNano: is before startTimeUnixNano",
        ),
        (
            {"startTimeUnixNano": "4102444800000000000", "endTimeUnixNano": "4102444801000000000"},
            "startTimeUnixNano: occurred_at is more than a day in the future; check the clock",
        ),
        ({"spanId": "0000000000000000"}, "spanId: must be 8 bytes, not all zero"),
        ({"traceId": "5B8E"}, "traceId: must be 16 bytes, not all zero"),
    ],
)
def test_a_span_with_impossible_times_or_ids_is_rejected(client, raw_key, fields, reason):
    response = post_json(client, document(span("EEE19B7EC3C1B174", CHAT, **fields)), raw_key)
    answer = response.json()["partialSuccess"]
    assert answer["rejectedSpans"] == "1"
    assert answer["errorMessage"].endswith(reason)
    assert not UsageEvent.objects.exists()


def test_reasoning_beyond_the_output_that_holds_it_is_rejected(client, raw_key):
    chat = span("EEE19B7EC3C1B174", {**CHAT, "gen_ai.usage.reasoning.output_tokens": 2_001})
    answer = post_json(client, document(chat), raw_key).json()["partialSuccess"]
    assert answer["rejectedSpans"] == "1"
    assert answer["errorMessage"] == (
        "span 5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174: "
        "gen_ai.usage.reasoning.output_tokens: reasoning_tokens (2001) cannot exceed "
        "output_tokens (2000): openai counts reasoning tokens inside output_tokens"
    )


def test_unknown_fields_are_ignored_as_the_specification_requires(client, org, raw_key):
    body = document(span("EEE19B7EC3C1B174", CHAT, droppedEventsCount=0, someFutureField={}))
    body["someFutureTopLevelField"] = [1, 2]
    assert post_json(client, body, raw_key).status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"resourceSpans": [', "Malformed JSON body: "),
        (b"[]", "The JSON body must be an ExportTraceServiceRequest object."),
        (b'{"resourceSpans": {"spans": 1}}', "Malformed OTLP/JSON body: "),
        (
            json.dumps(document(span("NOT-HEX", CHAT))).encode(),
            "Malformed OTLP/JSON body: spanId must be a hex string, got 'NOT-HEX'.",
        ),
        (b"[" * 5_000 + b"]" * 5_000, "Malformed JSON body: nested too deeply."),
    ],
)
def test_a_malformed_json_body_is_a_400_status_and_stores_nothing(client, raw_key, body, message):
    response = post(client, body, raw_key, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["code"] == 3  # INVALID_ARGUMENT
    assert answer["message"].startswith(message)
    assert not UsageEvent.objects.exists()


def test_no_key_is_a_401_in_json(client):
    response = post_json(client, document(span("EEE19B7EC3C1B174", CHAT)), None)
    assert response.status_code == 401
    assert response.json() == {"code": 16, "message": "Invalid or missing API token"}
    assert not UsageEvent.objects.exists()
