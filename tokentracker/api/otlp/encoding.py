"""OTLP answers in the encoding of the request (OTLP specification, "OTLP/HTTP Response"):
binary protobuf to a protobuf request, JSON to a JSON one, whatever Accept says.

Views and the one exception handler hand over the answer in its JSON form, as DRF data;
the protobuf renderer encodes the same document: an ExportTraceServiceResponse for a 2xx,
a google.rpc.Status for an error.
"""

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from .bodies import PROTOBUF, media_type


def _status_message_class() -> type[Message]:
    """google.rpc.Status, declared from its two scalar fields.

    Its generated module ships in googleapis-common-protos, which only the tests' exporter
    brings in (it is not a dependency of the server). `details` (a list of Any) is never
    sent, so it is left out; the wire format of the two others is the same. The message
    lives in a pool of its own so it cannot clash with that package's when both are loaded.
    """
    proto = descriptor_pb2.FileDescriptorProto(
        name="tokentracker/otlp/google_rpc_status.proto", package="google.rpc", syntax="proto3"
    )
    status = proto.message_type.add(name="Status")
    for number, (name, kind) in enumerate(
        [
            ("code", descriptor_pb2.FieldDescriptorProto.TYPE_INT32),
            ("message", descriptor_pb2.FieldDescriptorProto.TYPE_STRING),
        ],
        start=1,
    ):
        status.field.add(
            name=name,
            number=number,
            type=kind,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            json_name=name,
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))


RpcStatus = _status_message_class()


class ProtobufRenderer(BaseRenderer):
    media_type = PROTOBUF
    format = "protobuf"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        failed = response is not None and response.status_code >= 400
        message = RpcStatus() if failed else ExportTraceServiceResponse()
        # Our own documents, built in the JSON form of these very messages.
        return json_format.ParseDict(data or {}, message).SerializeToString()


class RequestEncoding(DefaultContentNegotiation):
    """The renderer of the request's own Content-Type; JSON for any other (a 415 included)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        wanted = ProtobufRenderer if media_type(request.content_type) == PROTOBUF else JSONRenderer
        renderer = next(r for r in renderers if isinstance(r, wanted))
        return renderer, renderer.media_type


class EncodedResponse(Response):
    """A Response that keeps its Content-Type when the body is empty: DRF drops it, but an
    ExportTraceServiceResponse with nothing to report encodes to zero bytes of protobuf,
    which OTLP still labels application/x-protobuf."""

    @property
    def rendered_content(self) -> bytes:
        content = super().rendered_content
        if not content:
            self["Content-Type"] = self.accepted_media_type
        return content
