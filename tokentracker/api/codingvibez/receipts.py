"""CodingVibez receipts: `POST /api/receipts/ocr` (multipart, field `file`) and
`GET /api/receipts/{id}` to poll one.

The upload goes through `billing.services.receipts` (the one write every door uses): the
file is checked by its content and stored privately, a draft expense is created, and the
receipt is read by OCR in a task. When tasks run in-process (no broker: the embedded
default) the answer is 201 with the reading done; with a worker it is 202 with status
`queued`, and the client polls `GET /api/receipts/{id}` until `done` or `failed`. Either
way `expenseId` is the draft the reading fills, to confirm through the expenses API or page.

Uploads count against the plan's upload limit (5 a minute by default, seed 004), reads
against its GET limit.
"""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Expense, Receipt, ReceiptStatus
from billing.selectors.expenses import receipt_of_organization
from tokentracker.api.base import CodingVibezView
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.receipts import UPLOAD_LIMITS, receipt_fields_found, receipt_upload_from
from tokentracker.api.render import iso_or_none

from .schemas import CodingVibezError, enveloped, errors
from .values import iso, money, money_or_none

TAGS = ["codingvibez"]
MAX_ID = 2**63 - 1


class CodingVibezReceiptField(BaseModel):
    value: str | float = Field(
        description="vendor: text; date: YYYY-MM-DD; total and tax: numbers; currency: ISO "
        "4217 code."
    )
    confidence: float = Field(ge=0, le=1, description="How sure the reading is, 0 to 1.")


class CodingVibezReceiptFields(BaseModel):
    vendor: CodingVibezReceiptField | None
    date: CodingVibezReceiptField | None
    total: CodingVibezReceiptField | None
    currency: CodingVibezReceiptField | None
    tax: CodingVibezReceiptField | None


class CodingVibezReceiptExpense(BaseModel):
    id: str
    status: str = Field(description="draft until someone confirms it; then confirmed.")
    vendor: str
    service: str = Field(description="One of the 13 services when the vendor is one, else ''.")
    date: str | None
    amount: float | None
    currency: str | None
    tax: float | None


class CodingVibezReceipt(BaseModel):
    receiptId: str
    expenseId: str
    status: str = Field(description="queued, processing, done or failed.")
    error: str | None = Field(description="Why the reading failed (status failed); else null.")
    fields: CodingVibezReceiptFields = Field(
        description="What the reading found; a field it did not find (or not yet) is null."
    )
    expense: CodingVibezReceiptExpense = Field(
        description="The draft expense as it stands: the fields found fill its empty ones."
    )
    fileName: str
    contentType: str
    size: int = Field(description="Bytes.")
    pages: int
    text: str = Field(description="The text read ('' until done).")
    readingSeconds: float | None
    uploadedAt: str
    readAt: str | None


def _field(found: tuple[object, float] | None) -> CodingVibezReceiptField | None:
    if found is None:
        return None
    value, confidence = found
    if isinstance(value, Decimal):
        value = money(value)
    return CodingVibezReceiptField(value=value, confidence=confidence)


def _expense(expense: Expense) -> CodingVibezReceiptExpense:
    return CodingVibezReceiptExpense(
        id=str(expense.pk),
        status=expense.status,
        vendor=expense.vendor,
        service=expense.service,
        date=expense.date.isoformat() if expense.date else None,
        amount=money_or_none(expense.amount),
        currency=expense.currency or None,
        tax=money_or_none(expense.tax),
    )


def receipt_data(receipt: Receipt) -> dict:
    return CodingVibezReceipt(
        receiptId=str(receipt.pk),
        expenseId=str(receipt.expense_id),
        status=receipt.status,
        error=receipt.error or None,
        fields=CodingVibezReceiptFields(
            **{name: _field(found) for name, found in receipt_fields_found(receipt).items()}
        ),
        expense=_expense(receipt.expense),
        fileName=receipt.original_name,
        contentType=receipt.content_type,
        size=receipt.size,
        pages=receipt.pages,
        text=receipt.text,
        readingSeconds=receipt.reading_seconds,
        uploadedAt=iso(receipt.uploaded_at),
        readAt=iso_or_none(receipt.read_at),
    ).model_dump()


_UPLOAD_BODY = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
}


class ReceiptOcrView(CodingVibezView):
    parser_classes = [MultiPartParser]
    viewer_write_refusal = "Viewers cannot upload receipts."

    @extend_schema(
        operation_id="codingvibez_receipts_ocr",
        summary="Upload a receipt to read (CodingVibez)",
        description=(
            "Multipart, field `file`: " + UPLOAD_LIMITS + " The receipt is stored privately "
            "with a draft expense, and read by OCR: 201 with `status` done (or failed) when "
            "tasks run in-process, 202 with `status` queued when a worker reads it; poll "
            "`GET /api/receipts/{id}`. A refused file is a VALIDATION_ERROR naming the rule "
            "(413 when too large) and stores nothing."
        ),
        request=_UPLOAD_BODY,
        responses={
            201: OpenApiResponse(enveloped(CodingVibezReceipt), description="Read already"),
            202: OpenApiResponse(enveloped(CodingVibezReceipt), description="Queued"),
            **errors(400, 401, 403, 413),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        receipt = receipt_upload_from(self)
        waiting = receipt.status in (ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING)
        return self.envelope(
            receipt_data(receipt),
            status=status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED,
        )


class ReceiptView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_receipt",
        summary="One receipt and what was read from it (CodingVibez)",
        description="The same data as the upload's answer, as it is now: poll it until "
        "`status` is done or failed.",
        parameters=[OpenApiParameter("receipt_id", int, OpenApiParameter.PATH)],
        responses={
            200: enveloped(CodingVibezReceipt),
            **errors(401, 403),
            404: OpenApiResponse(
                CodingVibezError, description="NOT_FOUND: no receipt by this id here"
            ),
        },
        tags=TAGS,
    )
    def get(self, request: Request, receipt_id: int) -> Response:
        # An id past the database's bigint would be a DataError, not a missing receipt.
        receipt = (
            receipt_of_organization(self.organization_id, receipt_id)
            if receipt_id <= MAX_ID
            else None
        )
        if receipt is None:
            raise ApiError(Kind.NOT_FOUND, "No receipt by this id.")
        return self.envelope(receipt_data(receipt))
