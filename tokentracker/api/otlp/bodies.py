"""An OTLP/HTTP request body, read as the OTLP specification says: its media type, its
content coding (gzip, and deflate, which OpenTelemetry's Python exporter can send), then
protobuf or OTLP/JSON into the collector's own ExportTraceServiceRequest.

OTLP/JSON is protobuf's JSON mapping with one exception protobuf's json_format does not
know: trace and span ids are hex strings, not base64. They are rewritten before parsing.
Unknown fields are ignored, as the specification requires of receivers.
"""

import base64
import json
import zlib
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.parsers import TooDeep, depth_check

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = (PROTOBUF, JSON)
# The HTTP content codings we undo, by their zlib window: gzip's header, or zlib's (RFC 9110
# defines "deflate" as the zlib format).
CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
# The id fields OTLP/JSON writes in hex, in both spellings json_format accepts.
HEX_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (`application/json; charset=utf-8`)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def body_media_type(content_type: str | None) -> str:
    kind = media_type(content_type)
    if kind not in MEDIA_TYPES:
        raise ApiError(
            Kind.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be {PROTOBUF} or {JSON}, not {kind or 'missing'}.",
        )
    return kind


def body_decompress(raw: bytes, content_encoding: str | None) -> bytes:
    """The body with its content coding undone, refused past the same limit as a plain one
    (a few kilobytes of gzip can inflate to gigabytes)."""
    coding = (content_encoding or "identity").strip().lower()
    if coding == "identity":
        return raw
    if coding not in CODINGS:
        raise ApiError(
            Kind.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Encoding must be gzip, deflate or identity, not {coding}.",
        )
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    inflater = zlib.decompressobj(wbits=CODINGS[coding])
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ApiError(
            Kind.VALIDATION, f"The {coding} body cannot be decompressed: {exc}."
        ) from None
    if len(body) > limit:
        # The one 413 every door answers (tokentracker.api.errors), for the inflated size.
        raise RequestDataTooBig(f"Decompressed body larger than {limit} bytes.")
    if not inflater.eof:
        raise ApiError(Kind.VALIDATION, f"The {coding} body is truncated.")
    return body


def traces_decode(body: bytes, kind: str) -> ExportTraceServiceRequest:
    """Parse a (decompressed) body of media type `kind`; a malformed one is a 400."""
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise ApiError(Kind.VALIDATION, f"Malformed protobuf body: {exc}.") from None
        return request
    try:
        document = json.loads(body)
        depth_check(document)
    except (ValueError, RecursionError, TooDeep) as exc:
        raise ApiError(Kind.VALIDATION, f"Malformed JSON body: {_reason(exc)}.") from None
    if not isinstance(document, dict):
        raise ApiError(
            Kind.VALIDATION, "The JSON body must be an ExportTraceServiceRequest object."
        )
    try:
        _hex_ids_as_base64(document)
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError) as exc:
        raise ApiError(Kind.VALIDATION, f"Malformed OTLP/JSON body: {_reason(exc)}.") from None
    return request


def _reason(exc: Exception) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError | TooDeep) else str(exc)


def _hex_ids_as_base64(document: dict[str, Any]) -> None:
    """Rewrite every span's and link's hex ids in place into the base64 json_format reads.

    Only where OTLP puts them (resource spans, scope spans, spans, links): a loop over those
    four levels, not a walk of the whole document, which may nest attribute values deeply.
    """
    for resource_spans in _items(document, "resourceSpans", "resource_spans"):
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
            for span in _items(scope_spans, "spans"):
                _rewrite_ids(span)
                for link in _items(span, "links"):
                    _rewrite_ids(link)


def _items(parent: Any, *names: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _rewrite_ids(holder: Any) -> None:
    if not isinstance(holder, dict):
        return  # json_format names the misplaced value itself
    for field in HEX_ID_FIELDS:
        value = holder.get(field)
        if not isinstance(value, str):
            continue
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise json_format.ParseError(
                f"{field} must be a hex string, got {value[:40]!r}"
            ) from None
        holder[field] = base64.b64encode(raw).decode()


__all__ = [
    "JSON",
    "PROTOBUF",
    "body_decompress",
    "body_media_type",
    "media_type",
    "traces_decode",
]
