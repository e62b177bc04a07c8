"""A receipt upload, taken from a multipart request the same way by every door that accepts
one (CodingVibez's `POST /api/receipts/ocr`, `POST /api/v1/receipts`).

The file is judged by `billing.services.receipts.receipt_upload` (by its content, never
its name or the part's Content-Type); the doors only render its refusal in their own
envelope: a 4xx naming the rule (`reason`), 413 for a file over the size limit.
"""

from decimal import Decimal, InvalidOperation

from rest_framework import status

from billing.models import Receipt
from billing.ocr.uploads import (
    MAX_BYTES,
    MAX_PAGES,
    MAX_PIXELS,
    PDF_RENDER_DPI,
    ReceiptRejected,
)
from billing.selectors.expenses import receipt_of_organization
from billing.services.receipts import receipt_upload
from tokentracker.api.base import OrganizationScoped
from tokentracker.api.errors import ApiError, Kind

FIELD = "file"
# What a reading may find, in the order the doors show them; total and tax are money.
READ_FIELDS = ("vendor", "date", "total", "currency", "tax")
MONEY_FIELDS = frozenset({"total", "tax"})
# What a multipart body may add around the file (boundaries, part headers, small fields):
# a body past MAX_BYTES plus this is refused before Django spools it to disk.
MULTIPART_OVERHEAD = 64 * 1024


def _refused(message: str, reason: str, status_code: int | None = None) -> ApiError:
    return ApiError(
        Kind.VALIDATION,
        message,
        details={FIELD: [message], "reason": reason},
        status_code=status_code,
    )


def _too_large(size: int) -> ApiError:
    return _refused(
        f"The file is {size} bytes; a receipt may be at most {MAX_BYTES} bytes "
        f"({MAX_BYTES // (1024 * 1024)} MiB).",
        ReceiptRejected.TOO_LARGE,
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def receipt_upload_from(view: OrganizationScoped) -> Receipt:
    """Store the request's `file` as a receipt of the caller's organization, with its draft
    expense; the receipt as it is once the request's work is done (read already, when tasks
    run in-process). A signed-in person is recorded as its uploader; an API key is no one."""
    request = view.request
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # as Django reads it: no usable length, no body
        declared = 0
    if declared > MAX_BYTES + MULTIPART_OVERHEAD:
        raise _too_large(declared)
    if not request.content_type.startswith("multipart/form-data"):
        raise _refused(
            f"Send the receipt as multipart/form-data, in a field named {FIELD}.",
            "not_multipart",
        )
    upload = request.FILES.get(FIELD)
    if upload is None:
        raise _refused(
            f"{FIELD} is required: the receipt (PNG, JPEG, WebP, TIFF or PDF) as a file part.",
            "missing",
        )
    if upload.size > MAX_BYTES:
        raise _too_large(upload.size)
    user = request.user if view.api_key is None else None
    try:
        receipt = receipt_upload(
            organization_id=view.organization_id,
            data=upload.read(),
            filename=upload.name or "",
            uploaded_by_id=user.pk if user is not None and user.is_authenticated else None,
        )
    except ReceiptRejected as error:
        raise _refused(
            error.message,
            error.code or "invalid",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            if error.code == ReceiptRejected.TOO_LARGE
            else None,
        ) from None
    # Read again: with tasks in-process the reading ran when the upload committed.
    return receipt_of_organization(view.organization_id, receipt.pk) or receipt


UPLOAD_LIMITS = (
    f"PNG, JPEG, WebP, TIFF or PDF, judged by its content (not its name or type); at most "
    f"{MAX_BYTES // (1024 * 1024)} MiB, {MAX_PAGES} pages and {MAX_PIXELS // 1_000_000} "
    f"million pixels a page (a PDF page at {PDF_RENDER_DPI} DPI); no password-protected PDF."
)


def receipt_fields_found(receipt: Receipt) -> dict[str, tuple[object, float] | None]:
    """Each field a reading may find, as (value, confidence), or None when it was not found
    (or not yet): text for vendor, currency and date (YYYY-MM-DD), a Decimal for total and
    tax, for each door to render as its numbers."""
    stored = receipt.fields if isinstance(receipt.fields, dict) else {}
    found: dict[str, tuple[object, float] | None] = {}
    for name in READ_FIELDS:
        field = stored.get(name)
        value = field.get("value") if isinstance(field, dict) else None
        if name in MONEY_FIELDS and value is not None:
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                value = None
        found[name] = None if value in (None, "") else (value, float(field["confidence"]))
    return found
