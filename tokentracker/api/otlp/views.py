"""POST /v1/traces: OTLP/HTTP trace export, the model calls among its spans as events."""

import logging
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from tokentracker.api.base import OtlpView
from usage.schemas import EventsInvalid, FieldError
from usage.services.events import events_record

from . import schemas
from .bodies import JSON, PROTOBUF, body_decompress, body_media_type, traces_decode
from .conventions import SpanBatch, spans_translate
from .encoding import EncodedResponse, ProtobufRenderer, RequestEncoding

logger = logging.getLogger(__name__)

# Rejected spans named one by one in the answer; the rest are counted.
MAX_LISTED = 10


def _answer(batch: SpanBatch, errors: tuple[FieldError, ...] | list[FieldError]) -> dict[str, Any]:
    """The ExportTraceServiceResponse in its JSON form: rejected spans, and a message that
    says why each was refused and how many spans were ignored (OTLP lets a server warn
    through partial_success with rejected_spans 0)."""
    rejected = sorted({error.index for error in errors if error.index is not None})
    reasons: dict[int, list[str]] = {}
    for error in errors:
        assert error.index is not None
        reasons.setdefault(error.index, []).append(batch.rejection(error))
    notes = ["; ".join(reasons[index]) for index in rejected[:MAX_LISTED]]
    if len(rejected) > MAX_LISTED:
        notes.append(f"and {len(rejected) - MAX_LISTED} more spans rejected")
    if batch.ignored:
        notes.append(
            f"{batch.ignored} span(s) without GenAI token usage (or agent, workflow and tool "
            "spans, whose model calls are counted) ignored"
        )
    response = ExportTraceServiceResponse()
    if notes:
        response.partial_success.rejected_spans = len(rejected)
        response.partial_success.error_message = "; ".join(notes)
    return json_format.MessageToDict(response)


# Each answer, in JSON to a JSON request and in protobuf to a protobuf one; every error is a
# google.rpc.Status.
_ANSWERS = {
    200: "Taken. partialSuccess, when present, counts the refused spans and says why, and "
    "how many spans were ignored.",
    400: "Malformed body (protobuf, JSON, or its compression).",
    401: "Missing or unknown API key.",
    403: "The API key is read-only.",
    413: "The body, or its decompressed form, is over the size limit.",
    415: "Content-Type is not application/x-protobuf or application/json, or the "
    "Content-Encoding is not gzip, deflate or identity.",
    429: "The organization's daily event quota is used up; Retry-After says when a retry can "
    "succeed.",
}


class TracesView(OtlpView):
    renderer_classes = [JSONRenderer, ProtobufRenderer]
    content_negotiation_class = RequestEncoding
    parser_classes: list = []  # the body is read and decoded by the view itself

    @extend_schema(
        summary="Export OpenTelemetry traces (OTLP/HTTP)",
        description=(
            "The OTLP/HTTP trace endpoint: point an OpenTelemetry exporter's "
            "`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` here, with `Authorization: Bearer <key>`. "
            "Binary protobuf (`application/x-protobuf`) or OTLP/JSON (`application/json`), "
            "optionally gzip- or deflate-compressed (`Content-Encoding`); the answer comes in "
            "the request's encoding. Every span carrying GenAI token usage (the GenAI semantic "
            "conventions, as OpenLLMetry, OpenLIT and the official instrumentations write them) "
            "becomes one usage event, priced from the catalog; other spans are ignored and "
            "counted in `partialSuccess.errorMessage`. A span's trace and span id make its "
            "event's id, so a retried export adds nothing. Spans are judged one by one: an "
            "invalid one (a negative count, no model) is counted in `rejectedSpans` with its "
            "reason and stores nothing, and the others are stored."
        ),
        request={JSON: schemas.EXPORT_TRACE_SERVICE_REQUEST, PROTOBUF: schemas.PROTOBUF_BODY},
        # The encoding follows the request's Content-Type, never a ?format= parameter.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (status, media): OpenApiResponse(schema, description)
            for status, description in _ANSWERS.items()
            for media, schema in (
                (
                    JSON,
                    schemas.EXPORT_TRACE_SERVICE_RESPONSE if status == 200 else schemas.RPC_STATUS,
                ),
                (PROTOBUF, schemas.PROTOBUF_BODY),
            )
        },
        tags=["OpenTelemetry"],
    )
    def post(self, request: Request) -> EncodedResponse:
        kind = body_media_type(request.content_type)
        raw = request.body  # too large: RequestDataTooBig, a 413 (tokentracker.api.errors)
        export = traces_decode(body_decompress(raw, request.headers.get("Content-Encoding")), kind)
        batch = spans_translate(export)
        errors: tuple[FieldError, ...] | list[FieldError] = ()
        created = duplicates = 0
        if batch.events:
            try:
                result = events_record(
                    organization_id=self.organization_id,
                    api_key_id=self.api_key_id,
                    events=batch.events,
                    livemode=self.livemode,
                )
                errors, created, duplicates = result.errors, result.created, result.duplicates
            except EventsInvalid as exc:
                errors = exc.errors
        rejected = len({error.index for error in errors})
        # Every export is counted in the log; one that refused spans at INFO, since the
        # exporter that sent it only ever reads the status code.
        logger.log(
            logging.INFO if rejected else logging.DEBUG,
            "OTLP export: %d model-call spans, %d events written, %d duplicates, "
            "%d rejected, %d other spans ignored",
            len(batch.events),
            created,
            duplicates,
            rejected,
            batch.ignored,
            extra={
                "organization_id": self.organization_id,
                "otlp_spans": len(batch.events) + batch.ignored,
                "otlp_events_created": created,
                "otlp_duplicates": duplicates,
                "otlp_rejected": rejected,
                "otlp_ignored": batch.ignored,
            },
        )
        return EncodedResponse(_answer(batch, errors))
