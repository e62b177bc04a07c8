"""OTLP's error body: google.rpc.Status, JSON to a JSON request, protobuf to a protobuf one.

The server declares the message itself (googleapis-common-protos is no server dependency);
googleapis' own generated message must read what it writes.
"""

from google.rpc.status_pb2 import Status
from rest_framework.response import Response

from tokentracker.api import errors
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.otlp.encoding import ProtobufRenderer, RpcStatus


def test_the_otlp_dialect_answers_a_status_with_the_grpc_code_of_each_kind():
    expected = {
        Kind.VALIDATION: 3,
        Kind.UNAUTHORIZED: 16,
        Kind.FORBIDDEN: 7,
        Kind.QUOTA_EXCEEDED: 8,
        Kind.UNAVAILABLE: 14,
        Kind.INTERNAL: 13,
    }
    for kind, code in expected.items():
        body = errors.OTLP.body_for(ApiError(kind, "why"), request_id="req_1")
        assert body == {"code": code, "message": "why"}
    assert errors.OTLP.status_for(ApiError(Kind.VALIDATION, "bad")) == 400
    # A domain error's own code name (another contract's) is no gRPC code.
    named = ApiError(Kind.VALIDATION, "bad range", code="INVALID_DATE_RANGE")
    assert errors.OTLP.body_for(named, request_id="req_1") == {"code": 3, "message": "bad range"}


def test_the_declared_status_is_read_by_googleapis_own_message():
    ours = RpcStatus(code=3, message="Malformed protobuf body")
    theirs = Status.FromString(ours.SerializeToString())
    assert (theirs.code, theirs.message, list(theirs.details)) == (3, "Malformed protobuf body", [])


def test_the_renderer_encodes_an_error_as_a_status_and_a_success_as_an_export_response():
    renderer = ProtobufRenderer()
    error = renderer.render(
        {"code": 16, "message": "Invalid or missing API token"},
        renderer_context={"response": Response(status=401)},
    )
    assert Status.FromString(error) == Status(code=16, message="Invalid or missing API token")
    assert renderer.render({}, renderer_context={"response": Response(status=200)}) == b""
