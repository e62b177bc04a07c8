"""Receipts: an upload checked by its content and stored privately with a draft expense,
then read by OCR (a Celery task) into that draft.

The draft is created at upload, so there is always something to complete by hand: when the
reading fails, or finds only some fields. The reading fills only the fields it found, only
while the expense is still a draft, and only those still empty: what a person typed in
meanwhile is never overwritten.
"""

import logging
import time
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from billing.models import Expense, ExpenseSource, ExpenseStatus, Receipt, ReceiptStatus
from billing.ocr.uploads import receipt_file_inspect
from tokentracker.broker import task_publish, task_queued

from .expenses import service_of_vendor
from .fields import FieldInvalid, amount_parse, currency_parse, date_parse, text_parse

if TYPE_CHECKING:
    from billing.ocr.reading import FieldReading, ReceiptReading

logger = logging.getLogger(__name__)

# Receipt.original_name's length; the name is shown, never used as a path.
NAME_LIMIT = 255
# What is kept of the text read: 20 pages of dense print stay well under it.
TEXT_LIMIT = 200_000
# A receipt still queued or being read this long after its upload lost its task (the
# broker restarted without it, the worker was killed): the sweep queues it again, and gives
# it up as failed after SWEEP_GIVE_UP.
SWEEP_AFTER = timedelta(minutes=15)
SWEEP_GIVE_UP = timedelta(days=1)
SWEEP_BATCH = 100

FAILED_MESSAGE = "The receipt could not be read; enter its details by hand."
TIMED_OUT_MESSAGE = "Reading the receipt took too long; enter its details by hand."
MISSING_MESSAGE = "The receipt's file is missing; enter its details by hand."
LOST_MESSAGE = "The receipt was not read in time; enter its details by hand."


def receipt_name_clean(filename: str) -> str:
    """The uploaded file's own name, for display: its last path part (either slash), without
    control or format characters, at most NAME_LIMIT characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-NAME_LIMIT:]


def receipt_upload(
    *,
    organization_id: int,
    data: bytes,
    filename: str,
    uploaded_by_id: int | None = None,
) -> Receipt:
    """Check the file (`ReceiptRejected`, and nothing is stored), store it privately, create
    its draft expense and the queued receipt, and once committed queue the reading (or read
    it here when tasks run in-process, or the broker cannot be reached).

    The returned receipt is as it was stored; read it again to see the reading's outcome
    when tasks run in-process.
    """
    inspected = receipt_file_inspect(data)
    receipt = Receipt(
        organization_id=organization_id,
        original_name=receipt_name_clean(filename),
        content_type=inspected.content_type,
        size=inspected.size,
        pages=inspected.pages,
        sha256=inspected.sha256,
        status=ReceiptStatus.QUEUED,
        uploaded_by_id=uploaded_by_id,
    )
    try:
        with transaction.atomic():
            receipt.expense = Expense.objects.create(
                organization_id=organization_id,
                status=ExpenseStatus.DRAFT,
                source=ExpenseSource.RECEIPT,
                created_by_id=uploaded_by_id,
            )
            # Saved under a random name (billing.models.receipt_path), never the client's.
            receipt.file.save("receipt", ContentFile(data), save=False)
            receipt.save()
            # Robust: a failure after the commit is logged, never taken for a failed upload.
            transaction.on_commit(partial(receipt_read_soon, receipt.pk), robust=True)
    except BaseException:
        # The rows were rolled back: the file must not outlive them. (Within a caller's
        # transaction that rolls back later, the file stays behind: the doors call this
        # outside of one.)
        if receipt.file.name:
            receipt.file.storage.delete(receipt.file.name)
        raise
    return receipt


def receipt_read_soon(receipt_id: int) -> None:
    """After the upload commits: queue the reading, or read it here (no broker configured:
    the embedded default; or the broker cannot be reached)."""
    from billing.tasks import receipt_read_task

    if task_queued(receipt_read_task, receipt_id):
        return
    try:
        receipt_read(receipt_id)
    except Exception:
        # The receipt stays queued with its draft: beat's sweep (with a broker) reads it
        # later, and the draft can be completed by hand meanwhile.
        logger.exception("receipt %s not read", receipt_id)


def receipt_read(receipt_id: int) -> Receipt | None:
    """Read one receipt by OCR and fill its draft expense; the task's body.

    Idempotent: a receipt already read (done or failed) is returned unchanged. A receipt
    being read is claimed again (a task delivered twice after its worker died); both
    readings give the same fields and fill only empty fields, so the second changes nothing.
    None when the receipt was deleted meanwhile. Database errors propagate (the task
    retries them); anything the reading raises fails the receipt with a message safe to
    show, and leaves the draft for a person to fill.
    """
    claimed = Receipt.objects.filter(
        pk=receipt_id, status__in=[ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING]
    ).update(status=ReceiptStatus.PROCESSING)
    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if receipt is None or not claimed:
        return receipt
    # Imported here: tesseract's binding loads only in the processes that read receipts.
    from billing.ocr import reading

    started = time.monotonic()
    try:
        with receipt.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return _failed(receipt, MISSING_MESSAGE)
    try:
        result = reading.receipt_read(data, receipt.content_type)
    except reading.ReceiptUnreadable as error:
        return _failed(receipt, str(error) or FAILED_MESSAGE)
    except SoftTimeLimitExceeded:
        return _failed(receipt, TIMED_OUT_MESSAGE)
    except DatabaseError:
        raise
    except Exception:
        # tesseract crashed, a decoder failed on a page the upload check does not decode:
        # the details are for the logs, not for the person who uploaded it.
        logger.exception("receipt %s could not be read", receipt_id)
        return _failed(receipt, FAILED_MESSAGE)
    return _done(receipt, result, time.monotonic() - started)


def _failed(receipt: Receipt, message: str) -> Receipt:
    Receipt.objects.filter(pk=receipt.pk, status=ReceiptStatus.PROCESSING).update(
        status=ReceiptStatus.FAILED, error=message[:500], read_at=timezone.now()
    )
    receipt.refresh_from_db()
    return receipt


def _no_nul(text: str) -> str:
    # A PDF's text layer may hold NUL characters, which PostgreSQL stores in no text column.
    return text.replace("\x00", "")


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return _no_nul(value)
    return value


def receipt_fields_json(fields: dict[str, "FieldReading"]) -> dict[str, dict]:
    """The fields read, as stored in Receipt.fields: JSON values (a date as ISO text, an
    amount as decimal text) with a confidence from 0 to 1."""
    return {
        name: {
            "value": _json_value(field.value),
            "confidence": round(min(max(float(field.confidence), 0.0), 1.0), 3),
        }
        for name, field in fields.items()
    }


def _done(receipt: Receipt, result: "ReceiptReading", seconds: float) -> Receipt:
    with transaction.atomic():
        stored = Receipt.objects.filter(pk=receipt.pk, status=ReceiptStatus.PROCESSING).update(
            status=ReceiptStatus.DONE,
            error="",
            text=_no_nul(result.text)[:TEXT_LIMIT],
            fields=receipt_fields_json(result.fields),
            reading_seconds=round(seconds, 3),
            read_at=timezone.now(),
        )
        if stored:
            _draft_fill(receipt.expense_id, result.fields)
    receipt.refresh_from_db()
    return receipt


def _found(field: "FieldReading | None", parse: object) -> object:
    """The field's value as the expense stores it, or None when it was not found or is not
    a value a person could have typed (the same parsers as the expense forms)."""
    if field is None or field.value in (None, ""):
        return None
    try:
        return parse(field.value)  # type: ignore[operator]
    except (FieldInvalid, TypeError, ValueError):
        return None


def _draft_fill(expense_id: int, fields: dict[str, "FieldReading"]) -> None:
    expense = (
        Expense.objects.select_for_update()
        .filter(pk=expense_id, status=ExpenseStatus.DRAFT)
        .first()
    )
    if expense is None:  # confirmed (or deleted) before the reading finished
        return
    found = {
        "vendor": _found(
            fields.get("vendor"), lambda v: text_parse("vendor", _no_nul(str(v))[:200], 200)
        ),
        "date": _found(fields.get("date"), date_parse),
        "amount": _found(fields.get("total"), amount_parse),
        "currency": _found(fields.get("currency"), lambda v: currency_parse(v, "")),
        "tax": _found(fields.get("tax"), lambda v: amount_parse(v, "tax")),
    }
    changed = []
    for name, value in found.items():
        if value not in (None, "") and getattr(expense, name) in (None, ""):
            setattr(expense, name, value)
            changed.append(name)
    if "vendor" in changed and not expense.service:
        expense.service = service_of_vendor(expense.vendor)
        changed.append("service")
    if "tax" in changed and expense.amount is not None and expense.tax > expense.amount:
        # A tax read above the total is a misreading; the expense service refuses it too.
        expense.tax = None
        changed.remove("tax")
    if changed:
        expense.save(update_fields=[*changed, "updated_at"])


def receipts_read_sweep(*, now: object = None) -> int:
    """Queue again the receipts whose reading was lost (still queued or being read
    SWEEP_AFTER after their upload); those older than SWEEP_GIVE_UP fail. Returns how many
    were queued."""
    from billing.tasks import receipt_read_task

    now = now or timezone.now()
    waiting = Receipt.objects.filter(
        status__in=[ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING],
        uploaded_at__lt=now - SWEEP_AFTER,  # type: ignore[operator]
    )
    waiting.filter(uploaded_at__lt=now - SWEEP_GIVE_UP).update(  # type: ignore[operator]
        status=ReceiptStatus.FAILED, error=LOST_MESSAGE, read_at=now
    )
    queued = 0
    for receipt_id in waiting.order_by("id").values_list("pk", flat=True)[:SWEEP_BATCH]:
        queued += task_publish(receipt_read_task, receipt_id)
    return queued
