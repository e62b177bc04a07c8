"""`/api/v1/receipts`: upload a receipt (multipart, field `file`), list them, one with what
was read from it, and its file.

The upload goes through `billing.services.receipts`, as CodingVibez's
`POST /api/receipts/ocr` does: checked by content, stored privately with a draft expense,
read by OCR in a task (201 when it was read in-process, 202 while a worker has it). Writes
need a write key or a member (viewers read); the file is served as the dashboard serves it.
"""

from decimal import Decimal
from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Receipt, ReceiptStatus
from billing.views.receipts import receipt_file_response
from tokentracker.api.base import NativeViewSet
from tokentracker.api.native.expenses import ExpenseSerializer
from tokentracker.api.pagination import CursorPagination
from tokentracker.api.receipts import UPLOAD_LIMITS, receipt_fields_found, receipt_upload_from
from tokentracker.permissions import HasApiKeyOrMember

TAGS = ["receipts"]
MONEY = {"max_digits": 28, "decimal_places": 12}


class ReceiptUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=UPLOAD_LIMITS)


class FieldReadSerializer(serializers.Serializer):
    value = serializers.JSONField(
        help_text="vendor: text; date: YYYY-MM-DD; total, tax: numbers; currency: ISO 4217."
    )
    confidence = serializers.FloatField(min_value=0, max_value=1)


class FieldsReadSerializer(serializers.Serializer):
    vendor = FieldReadSerializer(allow_null=True)
    date = FieldReadSerializer(allow_null=True)
    total = FieldReadSerializer(allow_null=True)
    currency = FieldReadSerializer(allow_null=True)
    tax = FieldReadSerializer(allow_null=True)


class ReceiptSerializer(serializers.ModelSerializer):
    expense = ExpenseSerializer(
        read_only=True,
        help_text="The draft expense the reading fills (its empty fields only), until a "
        "person confirms it.",
    )
    fields = serializers.SerializerMethodField(
        method_name="fields_found",
        help_text="What the reading found; a field not found (or not yet) is null.",
    )
    file_name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "status",
            "error",
            "fields",
            "expense",
            "file_name",
            "content_type",
            "size",
            "pages",
            "sha256",
            "text",
            "reading_seconds",
            "uploaded_at",
            "read_at",
        ]
        read_only_fields = fields

    @extend_schema_field(FieldsReadSerializer)
    def fields_found(self, receipt: Receipt) -> dict[str, Any]:
        return {
            name: None
            if found is None
            else {
                # Money as a JSON number, as every other amount of this API.
                "value": float(found[0]) if isinstance(found[0], Decimal) else found[0],
                "confidence": found[1],
            }
            for name, found in receipt_fields_found(receipt).items()
        }


class ReceiptFilter(django_filters.FilterSet):
    class Meta:
        model = Receipt
        fields = ["status"]


class ReceiptPagination(CursorPagination):
    ordering = ("-uploaded_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(description="A read-only key or a viewer (uploads only)"),
    404: OpenApiResponse(description="No such receipt in your organization"),
}


@extend_schema_view(
    list=extend_schema(summary="List receipts, newest first", tags=TAGS),
    retrieve=extend_schema(
        summary="One receipt and what was read from it",
        description="Poll it after an upload answered 202 until `status` is done or failed.",
        tags=TAGS,
    ),
)
class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NativeViewSet):
    queryset = Receipt.objects.select_related("expense")
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    pagination_class = ReceiptPagination
    permission_classes = [HasApiKeyOrMember]
    parser_classes = [MultiPartParser]
    viewer_write_refusal = "Viewers cannot upload receipts."
    # Ids past the database's bigint are no route (a 404), not a failed query.
    lookup_value_regex = r"[0-9]{1,18}"

    @extend_schema(
        summary="Upload a receipt",
        description=(
            "Multipart, field `file`: "
            + UPLOAD_LIMITS
            + " Stored privately (never under a public URL) with a draft expense, and read "
            "by OCR: 201 when it was read in-process (status done or failed), 202 with "
            "status queued while a worker reads it. A refused file is a 422 whose "
            "`details.reason` names the rule (empty, unsupported_type, damaged, "
            "too_many_pages, too_many_pixels, encrypted), or a 413 when it is too large; "
            "nothing is stored."
        ),
        request={"multipart/form-data": ReceiptUploadSerializer},
        responses={
            201: OpenApiResponse(ReceiptSerializer, description="Stored and read"),
            202: OpenApiResponse(ReceiptSerializer, description="Stored, reading queued"),
            401: ERRORS[401],
            403: ERRORS[403],
            413: OpenApiResponse(description="The file is over 10 MiB"),
            422: OpenApiResponse(description="Not a receipt we read; details.reason says why"),
        },
        tags=TAGS,
    )
    def create(self, request: Request) -> Response:
        receipt = receipt_upload_from(self)
        waiting = receipt.status in (ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING)
        return Response(
            self.get_serializer(receipt).data,
            status=status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="A receipt's file",
        description=(
            "The file as uploaded, with the content type its content was judged to be, "
            "inline, `X-Content-Type-Options: nosniff`, privately cacheable (ETag)."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="image/png, image/jpeg, image/webp, image/tiff or application/pdf",
            ),
            401: ERRORS[401],
            404: ERRORS[404],
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> Any:
        return receipt_file_response(request, self.get_object())

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The file answers whatever a client accepts (an <img> asks for image/*); only its
        # errors are JSON, the one renderer.
        return super().perform_content_negotiation(request, force=force or self.action == "file")
