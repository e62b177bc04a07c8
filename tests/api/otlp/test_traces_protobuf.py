"""POST /v1/traces with binary protobuf, the exporters' default: the answers the OTLP
specification prescribes (ExportTraceServiceResponse, google.rpc.Status), and what is stored.

Bodies are the SDK's own encoding of spans it recorded (see spans.py).
"""

import gzip
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, DailyEventCount
from usage.models import UsageEvent

from .spans import (
    ANTHROPIC_MESSAGE,
    OPENAI_CHAT,
    URL,
    export_answer,
    post,
    post_spans,
    protobuf_body,
    recorded,
    status_answer,
)

pytestmark = pytest.mark.django_db

INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAUTHENTICATED = 3, 7, 8, 16


def test_a_full_success_is_an_empty_export_response_in_protobuf(client, org, raw_key):
    response = post_spans(client, raw_key, OPENAI_CHAT, ANTHROPIC_MESSAGE)
    assert response.status_code == 200
    assert response.content == b""  # an ExportTraceServiceResponse with nothing to report
    assert export_answer(response) == ExportTraceServiceResponse()
    assert UsageEvent.objects.filter(organization=org).count() == 2


def test_a_gzip_body_is_read(client, org, raw_key):
    response = post_spans(client, raw_key, OPENAI_CHAT, gzipped=True)
    assert response.status_code == 200
    assert UsageEvent.objects.get(organization=org).total_tokens == 12_000


def test_a_deflate_body_is_read(client, org, raw_key):
    body = zlib.compress(protobuf_body(recorded(OPENAI_CHAT)))
    response = post(client, body, raw_key, HTTP_CONTENT_ENCODING="deflate")
    assert response.status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 1


def test_a_malformed_protobuf_is_a_400_status_and_stores_nothing(client, raw_key):
    body = protobuf_body(recorded(OPENAI_CHAT))
    response = post(client, body[:-7], raw_key)
    assert response.status_code == 400
    status = status_answer(response)
    assert status.code == INVALID_ARGUMENT
    assert status.message.startswith("Malformed protobuf body")
    assert not UsageEvent.objects.exists()


def test_a_body_that_is_not_gzip_though_it_says_so_is_a_400(client, raw_key):
    body = protobuf_body(recorded(OPENAI_CHAT))
    response = post(client, body, raw_key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "cannot be decompressed" in status_answer(response).message
    assert not UsageEvent.objects.exists()


def test_a_truncated_gzip_body_is_a_400(client, raw_key):
    body = gzip.compress(protobuf_body(recorded(OPENAI_CHAT)))
    response = post(client, body[:-12], raw_key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert status_answer(response).message == "The gzip body is truncated."


def test_a_span_with_negative_tokens_is_rejected_and_the_others_are_stored(client, org, raw_key):
    negative = {**OPENAI_CHAT, "gen_ai.usage.output_tokens": -5}
    spans = recorded(OPENAI_CHAT, negative, ANTHROPIC_MESSAGE)
    response = post(client, protobuf_body(spans), raw_key)
    assert response.status_code == 200
    answer = export_answer(response)
    assert answer.partial_success.rejected_spans == 1
    refused = spans[1].context
    assert answer.partial_success.error_message == (
        f"span {refused.trace_id:032x}/{refused.span_id:016x}: "
        "gen_ai.usage.output_tokens: must not be negative (-5)"
    )
    stored = UsageEvent.objects.filter(organization=org)
    assert sorted(stored.values_list("client_event_id", flat=True)) == sorted(
        f"{span.context.trace_id:032x}-{span.context.span_id:016x}" for span in (spans[0], spans[2])
    )


def test_a_request_of_only_invalid_spans_is_a_partial_success_rejecting_each(client, raw_key):
    spans = recorded(
        {**OPENAI_CHAT, "gen_ai.usage.input_tokens": -1},
        {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2},
    )
    response = post(client, protobuf_body(spans), raw_key)
    assert response.status_code == 200
    answer = export_answer(response)
    assert answer.partial_success.rejected_spans == 2
    message = answer.partial_success.error_message
    assert "gen_ai.usage.input_tokens: must not be negative (-1)" in message
    assert "gen_ai.request.model: a span with token usage must name its model" in message
    assert not UsageEvent.objects.exists()


def test_cache_reads_above_the_input_they_are_part_of_are_rejected(client, raw_key):
    spans = recorded({**ANTHROPIC_MESSAGE, "gen_ai.usage.input_tokens": 1_000})
    answer = export_answer(post(client, protobuf_body(spans), raw_key))
    assert answer.partial_success.rejected_spans == 1
    assert "gen_ai.usage.cache_read.input_tokens: cache_read_tokens + cache_write_tokens" in (
        answer.partial_success.error_message
    )
    assert not UsageEvent.objects.exists()


def test_spans_without_genai_usage_are_ignored_and_counted_in_the_message(client, org, raw_key):
    spans = recorded(
        OPENAI_CHAT,
        {"http.request.method": "GET"},
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 99_999},
    )
    response = post(client, protobuf_body(spans), raw_key)
    answer = export_answer(response)
    # A warning, not a rejection: OTLP's partial_success with rejected_spans 0.
    assert answer.partial_success.rejected_spans == 0
    assert answer.partial_success.error_message == (
        "2 span(s) without GenAI token usage (or agent, workflow and tool spans, whose model "
        "calls are counted) ignored"
    )
    assert UsageEvent.objects.filter(organization=org).count() == 1


def test_a_repeated_request_adds_nothing(client, org, raw_key):
    body = protobuf_body(recorded(OPENAI_CHAT, ANTHROPIC_MESSAGE))
    assert post(client, body, raw_key).status_code == 200
    assert post(client, body, raw_key).status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 2
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_no_key_is_a_401_status_with_a_challenge(client):
    response = post(client, protobuf_body(recorded(OPENAI_CHAT)), None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    status = status_answer(response)
    assert (status.code, status.message) == (UNAUTHENTICATED, "Invalid or missing API token")
    assert not UsageEvent.objects.exists()


def test_an_unknown_key_is_a_401_and_stores_nothing(client, org):
    response = post(client, protobuf_body(recorded(OPENAI_CHAT)), "mtt_" + "x" * 40)
    assert response.status_code == 401
    assert status_answer(response).code == UNAUTHENTICATED
    assert not UsageEvent.objects.exists()


def test_a_read_only_key_is_a_403(client, org):
    key = tenancy.api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    response = post(client, protobuf_body(recorded(OPENAI_CHAT)), key)
    assert response.status_code == 403
    assert status_answer(response).code == PERMISSION_DENIED
    assert not UsageEvent.objects.exists()


def test_an_outsiders_key_writes_only_to_the_outsiders_organization(
    client, org, raw_key, outsider_org, outsider_key
):
    assert post_spans(client, outsider_key, OPENAI_CHAT).status_code == 200
    assert not UsageEvent.objects.filter(organization=org).exists()
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 1
    # The same span ids under the other organization are its own events, not duplicates.
    spans = recorded(ANTHROPIC_MESSAGE)
    assert post(client, protobuf_body(spans), outsider_key).status_code == 200
    assert post(client, protobuf_body(spans), raw_key).status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_another_content_type_is_a_415_in_json(client, raw_key, content_type):
    response = post(client, b"resourceSpans", raw_key, content_type=content_type)
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": INVALID_ARGUMENT,
        "message": f"Content-Type must be application/x-protobuf or application/json, not "
        f"{content_type}.",
    }


def test_an_unknown_content_encoding_is_a_415(client, raw_key):
    response = post(
        client, protobuf_body(recorded(OPENAI_CHAT)), raw_key, HTTP_CONTENT_ENCODING="br"
    )
    assert response.status_code == 415
    assert status_answer(response).message == (
        "Content-Encoding must be gzip, deflate or identity, not br."
    )


def test_a_body_over_the_limit_is_a_413(client, raw_key, settings):
    body = protobuf_body(recorded(OPENAI_CHAT))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    response = post(client, body, raw_key)
    assert response.status_code == 413
    assert status_answer(response).message == f"Request body is larger than {len(body) - 1} bytes."
    assert not UsageEvent.objects.exists()


def test_a_small_gzip_body_that_inflates_past_the_limit_is_a_413(client, raw_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    bomb = gzip.compress(b"\0" * 2_000_000)
    assert len(bomb) < 5_000
    response = post(client, bomb, raw_key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert status_answer(response).code == INVALID_ARGUMENT


def test_the_daily_event_limit_is_a_429_with_retry_after_and_stores_nothing(client, org, raw_key):
    org.plan.daily_event_limit = 3
    org.plan.save()
    assert post_spans(client, raw_key, OPENAI_CHAT, ANTHROPIC_MESSAGE).status_code == 200
    response = post_spans(client, raw_key, OPENAI_CHAT, ANTHROPIC_MESSAGE)
    assert response.status_code == 429
    # Retryable, as OTLP says of a 429, once the count starts again at UTC midnight.
    assert int(response["Retry-After"]) > 0
    status = status_answer(response)
    assert (status.code, status.message) == (RESOURCE_EXHAUSTED, "Daily event limit of 3 reached.")
    assert UsageEvent.objects.filter(organization=org).count() == 2


def test_a_batch_larger_than_the_whole_daily_limit_gets_no_retry_after(client, org, raw_key):
    org.plan.daily_event_limit = 1
    org.plan.save()
    response = post_spans(client, raw_key, OPENAI_CHAT, ANTHROPIC_MESSAGE)
    assert response.status_code == 429
    assert "Retry-After" not in response
    assert not UsageEvent.objects.exists()


def test_get_is_a_405_status(client, raw_key):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 405
    assert response.json()["code"] == 12  # UNIMPLEMENTED


def test_more_spans_cost_no_more_queries(client, org, raw_key, django_assert_num_queries):
    # Ten spans: one insert of ten rows on SQLite too (whose bound on query parameters
    # splits bigger inserts), so any query per span would show.
    many = protobuf_body(recorded(*[OPENAI_CHAT, ANTHROPIC_MESSAGE] * 5))
    assert post_spans(client, raw_key, OPENAI_CHAT).status_code == 200  # caches key and books
    with CaptureQueriesContext(connection) as single:
        assert post_spans(client, raw_key, OPENAI_CHAT).status_code == 200
    with django_assert_num_queries(len(single.captured_queries)):
        assert post(client, many, raw_key).status_code == 200
    assert UsageEvent.objects.filter(organization=org).count() == 12


def test_the_message_names_ten_rejected_spans_and_counts_the_rest(client, raw_key):
    spans = recorded(*[{**OPENAI_CHAT, "gen_ai.usage.input_tokens": -1}] * 12)
    answer = export_answer(post(client, protobuf_body(spans), raw_key))
    assert answer.partial_success.rejected_spans == 12
    message = answer.partial_success.error_message
    assert message.count("must not be negative (-1)") == 10
    assert message.endswith("; and 2 more spans rejected")
