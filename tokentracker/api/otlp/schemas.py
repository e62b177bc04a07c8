"""OTLP/HTTP's bodies as /api/schema/ documents them: the JSON forms of the collector's
protobuf messages (opentelemetry-proto, collector/trace/v1), as OTLP/JSON writes them
(lowerCamelCase keys, hex ids, 64-bit integers as decimal strings or numbers).

Written out here because the messages are protobuf, which drf-spectacular cannot read;
only the fields the translation reads are described, and any other is accepted and ignored.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes

UNSIGNED_64 = {
    "oneOf": [
        {"type": "string", "pattern": "^[0-9]{1,20}$"},
        {"type": "integer", "minimum": 0},
    ],
    "description": "64-bit unsigned integer: a decimal string (OTLP/JSON's form) or a number.",
}


def _hex(size: int, description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": f"^[0-9a-fA-F]{{{size * 2}}}$",
        "description": f"{description}: {size} bytes, hex-encoded (not base64).",
    }


ANY_VALUE = {
    "type": "object",
    "description": (
        "One of stringValue, intValue (decimal string or number), doubleValue, boolValue, "
        "arrayValue, kvlistValue, bytesValue."
    ),
    "properties": {
        "stringValue": {"type": "string"},
        "intValue": {
            "oneOf": [{"type": "string", "pattern": "^-?[0-9]{1,19}$"}, {"type": "integer"}]
        },
        "doubleValue": {"type": "number"},
        "boolValue": {"type": "boolean"},
    },
}
ATTRIBUTES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "value": ANY_VALUE},
        "required": ["key", "value"],
    },
}
SPAN = {
    "type": "object",
    "properties": {
        "traceId": _hex(16, "The trace"),
        "spanId": _hex(8, "The span; with traceId, a retried export counts once"),
        "parentSpanId": {"type": "string", "description": "hex-encoded, or empty"},
        "name": {"type": "string"},
        "kind": {"type": "integer", "minimum": 0, "maximum": 5},
        "startTimeUnixNano": UNSIGNED_64,
        "endTimeUnixNano": UNSIGNED_64,
        "attributes": ATTRIBUTES,
        "status": {
            "type": "object",
            "properties": {
                "code": {"type": "integer", "enum": [0, 1, 2], "description": "2: ERROR"},
                "message": {"type": "string"},
            },
        },
    },
    "required": ["traceId", "spanId"],
}
EXPORT_TRACE_SERVICE_REQUEST = {
    "type": "object",
    "title": "ExportTraceServiceRequest",
    "properties": {
        "resourceSpans": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {"type": "object", "properties": {"attributes": ATTRIBUTES}},
                    "scopeSpans": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "scope": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "version": {"type": "string"},
                                    },
                                },
                                "spans": {"type": "array", "items": SPAN},
                            },
                        },
                    },
                },
            },
        }
    },
}
EXPORT_TRACE_SERVICE_RESPONSE = {
    "type": "object",
    "title": "ExportTraceServiceResponse",
    "description": "Empty when every span was taken.",
    "properties": {
        "partialSuccess": {
            "type": "object",
            "properties": {
                "rejectedSpans": {
                    "type": "string",
                    "pattern": "^[0-9]+$",
                    "description": "Spans refused (int64, written as a string); none stored.",
                },
                "errorMessage": {
                    "type": "string",
                    "description": (
                        "Why each refused span was refused, and how many spans carried no "
                        "GenAI usage and were ignored."
                    ),
                },
            },
        }
    },
}
RPC_STATUS = {
    "type": "object",
    "title": "Status",
    "description": "google.rpc.Status",
    "properties": {
        "code": {"type": "integer", "description": "gRPC status code, e.g. 3 INVALID_ARGUMENT"},
        "message": {"type": "string"},
    },
    "required": ["code", "message"],
}
PROTOBUF_BODY = OpenApiTypes.BINARY
