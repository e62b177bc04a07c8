"""Spans of model calls, as OpenTelemetry's GenAI semantic conventions and the common
instrumentations (OpenLLMetry, OpenLIT, the official opentelemetry-instrumentation-*)
write them, translated into the ingest service's events: one span, one event.

Which spans: a span is a model call when it carries a usage count (input or output
tokens). Agent, workflow and tool spans are passed over even when they carry one: their
counts are sums of the model calls beneath them, which arrive as spans of their own.

Which counts: the conventions count cached tokens inside `gen_ai.usage.input_tokens` and
reasoning inside `gen_ai.usage.output_tokens`, for every provider; OpenLLMetry and the
official instrumentations do so (they add Anthropic's cache reads and writes to its input).
OpenLIT instead passes on each provider's own counts (Anthropic's input without its cache),
and says so in its resource (`telemetry.sdk.name` = "openlit"). Either way the counts are
handed to the ingest service as the provider reports them, which normalises them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from pydantic import ValidationError

from usage.genai_catalog import model_provider_guess, provider_canonical
from usage.pricing import TokenError, tokens_as_reported
from usage.schemas import EventInput, FieldError, InvalidEvent

# Each count by the attributes that carry it, the first present wins: the conventions'
# current name, their earlier one, then OpenLLMetry's (llm.usage.*) and OpenLIT's own.
TOKEN_ATTRIBUTES = {
    "input_tokens": (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.usage.prompt_tokens",
    ),
    "output_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.completion_tokens",
    ),
    "cache_read_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.prompt_tokens_details.cached_tokens",
    ),
    "cache_write_tokens": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.prompt_tokens_details.cache_creation_tokens",
    ),
    "reasoning_tokens": (
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "llm.usage.reasoning_tokens",
        "gen_ai.usage.completion_tokens_details.reasoning_tokens",
    ),
}
USAGE_FIELDS = ("input_tokens", "output_tokens")
PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
MODEL = ("gen_ai.response.model", "gen_ai.request.model")
OPERATION = ("gen_ai.operation.name", "llm.request.type")
SESSION = ("session.id", "gen_ai.conversation.id")
DEVELOPER = ("user.id", "enduser.id")
# Spans whose usage, if any, sums the model calls made beneath them.
ROLLUP_OPERATIONS = frozenset({"invoke_agent", "create_agent", "execute_tool", "invoke_workflow"})
# The conventions' provider names genai-prices does not know by another spelling.
PROVIDER_NAMES = {
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
    "azure.ai.inference": "azure",
    "az.ai.inference": "azure",
}
# The resource attributes kept in each event's metadata: which build of which service in
# which environment, and the instrumentation that reported it (not service.instance.id, a
# random id the SDK makes per process).
RESOURCE_KEPT = (
    "service.namespace",
    "service.version",
    "deployment.environment.name",
    "deployment.environment",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
)
# The SDK's service.name when the app set none (unknown_service, unknown_service:python).
UNNAMED_SERVICE = "unknown_service"
OPENLIT = "openlit"

Scalar = str | int | float | bool


@dataclass
class SpanBatch:
    """The events of a request's model-call spans, in order, and what was passed over."""

    events: list[EventInput | InvalidEvent] = field(default_factory=list)
    # Per event: its span ("<trace id>/<span id>"), and which attribute each field came from.
    spans: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    ignored: int = 0

    def rejection(self, error: FieldError) -> str:
        assert error.index is not None, "the ingest service names each error's event"
        source = self.sources[error.index].get(error.field, error.field)
        return f"span {self.spans[error.index]}: {source}: {error.message}"


@dataclass(frozen=True)
class _Resource:
    project: str | None
    kept: dict[str, Scalar]
    counts_as_reported: bool


def spans_translate(request: ExportTraceServiceRequest) -> SpanBatch:
    batch = SpanBatch()
    for resource_spans in request.resource_spans:
        resource = _resource(_attributes(resource_spans.resource.attributes))
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                attributes = _attributes(span.attributes)
                if not _is_model_call(attributes):
                    batch.ignored += 1
                    continue
                sources: dict[str, str] = {}
                batch.spans.append(f"{span.trace_id.hex()}/{span.span_id.hex()}")
                batch.sources.append(sources)
                batch.events.append(_event(span, attributes, resource, scope, sources))
    return batch


def _scalar(value: AnyValue) -> Scalar | None:
    kind = value.WhichOneof("value")
    if kind in ("string_value", "int_value", "double_value", "bool_value"):
        return getattr(value, kind)
    return None  # arrays, key-value lists and bytes: nothing counted or kept is one


def _attributes(key_values: list[KeyValue]) -> dict[str, Scalar | None]:
    return {pair.key: _scalar(pair.value) for pair in key_values}


def _first(attributes: dict[str, Scalar | None], names: tuple[str, ...]) -> tuple[str, Any]:
    for name in names:
        if name in attributes:
            return name, attributes[name]
    return names[0], None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _resource(attributes: dict[str, Scalar | None]) -> _Resource:
    service = _text(attributes.get("service.name"))
    if service and service.startswith(UNNAMED_SERVICE):
        service = None
    kept: dict[str, Scalar] = {}
    for name in RESOURCE_KEPT:
        value = attributes.get(name)
        if value is not None:
            kept[name] = value
    return _Resource(
        project=service,
        kept=kept,
        counts_as_reported=attributes.get("telemetry.sdk.name") == OPENLIT,
    )


def _is_model_call(attributes: dict[str, Scalar | None]) -> bool:
    if _text(_first(attributes, OPERATION)[1]) in ROLLUP_OPERATIONS:
        return False
    return any(name in attributes for usage in USAGE_FIELDS for name in TOKEN_ATTRIBUTES[usage])


def _count(value: Any) -> int | None:
    """A token count as instrumentations write it: an int, a whole double, or digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


@lru_cache(maxsize=1024)
def _provider(reported: str) -> str:
    """The catalog's provider id for a reported name (one lookup per name, not per span)."""
    return provider_canonical(PROVIDER_NAMES.get(reported.lower(), reported))


def _moment(unix_nano: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=unix_nano // 1000)


def _event(
    span: Span,
    attributes: dict[str, Scalar | None],
    resource: _Resource,
    scope: str,
    sources: dict[str, str],
) -> EventInput | InvalidEvent:
    problems: list[FieldError] = []
    if len(span.trace_id) != 16 or not any(span.trace_id):
        problems.append(FieldError(field="traceId", message="must be 16 bytes, not all zero"))
    if len(span.span_id) != 8 or not any(span.span_id):
        problems.append(FieldError(field="spanId", message="must be 8 bytes, not all zero"))

    counts: dict[str, int] = {}
    for name, candidates in TOKEN_ATTRIBUTES.items():
        source, value = _first(attributes, candidates)
        sources[name] = source
        if value is None and source not in attributes:
            continue
        count = _count(value)
        if count is None:
            problems.append(
                FieldError(field=source, message=f"must be a whole number, not {value!r}")
            )
        elif count < 0:
            problems.append(FieldError(field=source, message=f"must not be negative ({count})"))
        else:
            counts[name] = count

    sources["model"], model = _first(attributes, MODEL)
    model = _text(model)
    if model is None:
        problems.append(
            FieldError(
                field="gen_ai.request.model",
                message="a span with token usage must name its model "
                "(gen_ai.response.model or gen_ai.request.model)",
            )
        )
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start and end and end < start:
        problems.append(FieldError(field="endTimeUnixNano", message="is before startTimeUnixNano"))
    if problems:
        return InvalidEvent(tuple(problems))
    assert model is not None

    sources["provider"], reported = _first(attributes, PROVIDER)
    reported = _text(reported)
    provider = _provider(reported) if reported else model_provider_guess(model)
    input_tokens, output_tokens = counts.get("input_tokens", 0), counts.get("output_tokens", 0)
    if not resource.counts_as_reported:
        try:
            input_tokens, output_tokens = tokens_as_reported(
                provider=provider,
                model=model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=counts.get("cache_read_tokens", 0),
                cache_write_tokens=counts.get("cache_write_tokens", 0),
                reasoning_tokens=counts.get("reasoning_tokens", 0),
            )
        except TokenError as exc:
            return InvalidEvent((FieldError(field=exc.field, message=exc.message),))

    fields: dict[str, Any] = {
        "id": f"{span.trace_id.hex()}-{span.span_id.hex()}",
        "provider": provider,
        "model": model,
        **counts,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "occurred_at": _moment(start) if start else None,
        "latency_ms": (end - start) // 1_000_000 if start and end else None,
        "project": resource.project,
        "metadata": _metadata(span, attributes, resource, scope, model),
        **_outcome(span, attributes),
    }
    sources.update(occurred_at="startTimeUnixNano", latency_ms="endTimeUnixNano")
    sources["project"] = "service.name"
    for name, candidates in (
        ("use_case", OPERATION),
        ("session_id", SESSION),
        ("developer_id", DEVELOPER),
    ):
        sources[name], value = _first(attributes, candidates)
        fields[name] = _text(value)
    try:
        return EventInput.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        return InvalidEvent(
            tuple(
                FieldError(field=".".join(str(part) for part in error["loc"]), message=error["msg"])
                for error in exc.errors()
            )
        )


def _outcome(span: Span, attributes: dict[str, Scalar | None]) -> dict[str, Any]:
    """Success from the span status: instrumentations leave it unset on success and set
    ERROR (with `error.type`) on failure."""
    error_type = _text(attributes.get("error.type"))
    http_status = attributes.get("http.response.status_code")
    outcome: dict[str, Any] = {
        "status_code": http_status
        if isinstance(http_status, int) and 100 <= http_status <= 599
        else None
    }
    if span.status.code == Status.STATUS_CODE_ERROR or error_type:
        outcome.update(
            success=False,
            status="error",
            error_message=span.status.message or error_type,
        )
    else:
        outcome.update(success=True, status="ok")
    return outcome


def _metadata(
    span: Span,
    attributes: dict[str, Scalar | None],
    resource: _Resource,
    scope: str,
    model: str,
) -> dict[str, Scalar]:
    metadata: dict[str, Scalar] = {**resource.kept, "otel.span.name": span.name}
    if scope:
        metadata["otel.scope.name"] = scope
    response_id = _text(attributes.get("gen_ai.response.id"))
    if response_id:
        metadata["gen_ai.response.id"] = response_id
    requested = _text(attributes.get("gen_ai.request.model"))
    if requested and requested != model:
        metadata["gen_ai.request.model"] = requested
    return metadata
