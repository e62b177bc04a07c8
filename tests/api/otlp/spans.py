"""Spans as the GenAI instrumentations write them, recorded by the real OpenTelemetry SDK,
and the OTLP/HTTP bodies and answers around them.

`recorded(...)` runs the SDK with an in-memory exporter; `protobuf_body(spans)` encodes them
exactly as opentelemetry-exporter-otlp-proto-http does before it posts them.
"""

import gzip
import json
from collections.abc import Iterable
from typing import Any

from google.rpc.status_pb2 import Status
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status as SpanStatus
from opentelemetry.trace import StatusCode

URL = "/v1/traces"
PROTOBUF = "application/x-protobuf"

# An OpenAI chat completion as OpenLLMetry and the official instrumentation report it:
# prompt_tokens (cached tokens inside) as input, completion_tokens (reasoning inside) as output.
OPENAI_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 10_000,
    "gen_ai.usage.cache_read.input_tokens": 4_000,
    "gen_ai.usage.output_tokens": 2_000,
    "gen_ai.usage.reasoning.output_tokens": 500,
}
# An Anthropic message (API usage: input_tokens 1,000, cache_read_input_tokens 20,000,
# cache_creation_input_tokens 5,000, output_tokens 800) as OpenLLMetry's and the official
# Anthropic instrumentations report it: the conventions' input counts the cache too.
ANTHROPIC_MESSAGE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.system": "Anthropic",
    "gen_ai.request.model": "claude-sonnet-4-20250514",
    "gen_ai.usage.input_tokens": 26_000,
    "gen_ai.usage.cache_read.input_tokens": 20_000,
    "gen_ai.usage.cache_creation.input_tokens": 5_000,
    "gen_ai.usage.output_tokens": 800,
}


def recorded(
    *calls: dict[str, Any],
    resource: dict[str, Any] | None = None,
    name: str = "chat",
    scope: str = "opentelemetry.instrumentation.openai",
    error: str | None = None,
) -> tuple[ReadableSpan, ...]:
    """One finished span per attribute set, recorded by the SDK as an instrumentation would
    (status ERROR with `error` as its description when given)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(resource or {"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer(scope, "1.0.0")
    for attributes in calls:
        with tracer.start_as_current_span(name, attributes=attributes) as span:
            if error:
                span.set_status(SpanStatus(StatusCode.ERROR, error))
    provider.shutdown()
    return memory.get_finished_spans()


def protobuf_body(spans: Iterable[ReadableSpan]) -> bytes:
    return encode_spans(list(spans)).SerializeToString()


def post(client, body: bytes, key: str | None, *, content_type: str = PROTOBUF, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.post(URL, body, content_type=content_type, **headers)


def post_spans(client, key: str | None, *calls: dict[str, Any], gzipped: bool = False, **options):
    body = protobuf_body(recorded(*calls, **options))
    if gzipped:
        return post(client, gzip.compress(body), key, HTTP_CONTENT_ENCODING="gzip")
    return post(client, body, key)


def post_json(client, document: dict[str, Any], key: str | None, **headers):
    return post(
        client, json.dumps(document).encode(), key, content_type="application/json", **headers
    )


def export_answer(response) -> ExportTraceServiceResponse:
    assert response["Content-Type"] == PROTOBUF
    return ExportTraceServiceResponse.FromString(response.content)


def status_answer(response) -> Status:
    """The google.rpc.Status of an error, decoded with googleapis' own message."""
    assert response["Content-Type"] == PROTOBUF
    return Status.FromString(response.content)
