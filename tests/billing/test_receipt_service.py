"""The receipt services: an upload stored privately with its draft expense, the reading (real
tesseract) filling the draft, and everything that must not happen: a refused file leaving
anything behind, a reading overwriting what a person typed, a second reading changing
anything, a failure losing the draft."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from billing import tasks
from billing.models import Expense, Receipt
from billing.ocr import reading
from billing.ocr.reading import FieldReading, ReceiptReading, ReceiptUnreadable
from billing.ocr.uploads import MAX_BYTES, ReceiptRejected
from billing.services.expenses import expense_delete, expense_update
from billing.services.receipts import (
    FAILED_MESSAGE,
    LOST_MESSAGE,
    MISSING_MESSAGE,
    receipt_name_clean,
    receipt_read,
    receipt_upload,
    receipts_read_sweep,
)
from tests.factories import UserFactory
from tests.receipt_files import (
    blank_pdf,
    png_declaring,
    receipt_image,
    receipt_pdf,
)

pytestmark = pytest.mark.django_db


def stored_files() -> list[Path]:
    root = Path(settings.RECEIPTS_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def upload(org, django_capture_on_commit_callbacks):
    """Upload as the embedded default does it: committed, then read in-process."""

    def upload(data: bytes, filename: str = "receipt.png", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            receipt = receipt_upload(organization_id=org.id, data=data, filename=filename, **kwargs)
        receipt.refresh_from_db()
        return receipt

    return upload


def reading_of(**fields) -> ReceiptReading:
    return ReceiptReading(
        text="ACME\nTOTAL 12.00",
        fields={name: FieldReading(value, 0.9) for name, value in fields.items()},
        pages=1,
        pages_ocr=1,
    )


@pytest.fixture
def queued(org, django_capture_on_commit_callbacks):
    """A receipt stored with its draft, its reading not run yet (as with a busy worker)."""
    with django_capture_on_commit_callbacks(execute=False):
        return receipt_upload(organization_id=org.id, data=receipt_image(), filename="r.png")


def test_an_upload_is_stored_privately_with_a_draft_expense_and_read_by_tesseract(org, upload):
    user = UserFactory()
    data = receipt_image("PNG")
    receipt = upload(data, filename="C:\\Users\\ann\\Ticket ANTHROPIC.png", uploaded_by_id=user.pk)

    # Stored under RECEIPTS_ROOT (never under static/ or STATIC_ROOT), by a random name.
    (path,) = stored_files()
    assert path.read_bytes() == data
    assert path.parent == Path(settings.RECEIPTS_ROOT) / str(org.id)
    assert "ANTHROPIC" not in path.name and path.suffix == ""
    static_roots = [Path(settings.STATIC_ROOT), Path(settings.BASE_DIR) / "static"]
    assert not any(root in path.parents for root in static_roots)

    assert (receipt.status, receipt.error, receipt.original_name) == (
        "done",
        "",
        "Ticket ANTHROPIC.png",
    )
    assert (receipt.content_type, receipt.size, receipt.pages) == ("image/png", len(data), 1)
    assert receipt.uploaded_by == user
    assert "TOTAL USD 21.60" in receipt.text
    assert {name: field["value"] for name, field in receipt.fields.items()} == {
        "vendor": "Anthropic",
        "date": "2026-01-15",
        "total": "21.60",
        "currency": "USD",
        "tax": "1.60",
    }
    assert all(0 < field["confidence"] <= 1 for field in receipt.fields.values())
    assert 0 < receipt.reading_seconds < 30
    assert receipt.read_at is not None

    expense = Expense.objects.get()
    assert (expense.status, expense.source, expense.created_by) == ("draft", "receipt", user)
    assert (expense.vendor, expense.service, expense.date) == (
        "Anthropic",
        "anthropic",
        date(2026, 1, 15),
    )
    assert (expense.amount, expense.currency, expense.tax) == (
        Decimal("21.60"),
        "USD",
        Decimal("1.60"),
    )
    # A draft is not spend until a person confirms it.
    assert expense.converted_amount is None


def test_a_pdf_with_a_text_layer_fills_the_draft_too(upload):
    receipt = upload(receipt_pdf(), filename="receipt.pdf")
    assert (receipt.status, receipt.content_type) == ("done", "application/pdf")
    expense = receipt.expense
    assert (expense.vendor, expense.amount, expense.currency, expense.date) == (
        "Anthropic",
        Decimal("21.60"),
        "USD",
        date(2026, 1, 15),
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"Total 12.00\n", "unsupported_type"),
        (b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, "too_large"),
        (png_declaring(30_000, 30_000), "too_many_pixels"),
        (blank_pdf(500), "too_many_pages"),
        (receipt_pdf(user_password="secret"), "encrypted"),
    ],
    ids=["empty", "text", "oversized", "bomb", "500-pages", "encrypted"],
)
def test_a_refused_file_stores_nothing(org, upload, data, code):
    with pytest.raises(ReceiptRejected) as caught:
        upload(data, filename="receipt.png")
    assert caught.value.code == code
    assert stored_files() == []
    assert not Receipt.objects.exists()
    assert not Expense.objects.exists()


def test_a_failure_while_storing_the_rows_leaves_no_file(org):
    with (
        mock.patch.object(Receipt, "save", side_effect=OperationalError("database gone")),
        pytest.raises(OperationalError),
    ):
        receipt_upload(organization_id=org.id, data=receipt_image(), filename="r.png")
    assert stored_files() == []
    assert not Expense.objects.exists()


def test_the_reading_is_queued_after_the_commit_when_a_broker_runs(
    org, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(tasks.receipt_read_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        receipt = receipt_upload(organization_id=org.id, data=receipt_image(), filename="r.png")
        delay.assert_not_called()  # not before the rows are committed
    delay.assert_called_once_with(receipt.pk)
    receipt.refresh_from_db()
    assert receipt.status == "queued"
    assert tasks.receipt_read_task(receipt.pk) == "done"
    receipt.refresh_from_db()
    assert (receipt.status, receipt.expense.amount) == ("done", Decimal("21.60"))


def test_with_the_broker_down_the_receipt_is_read_here(
    org, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(
            tasks.receipt_read_task, "delay", side_effect=ConnectionError("broker down")
        ),
        mock.patch.object(reading, "receipt_read", return_value=reading_of(total=Decimal("5"))),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receipt = receipt_upload(organization_id=org.id, data=receipt_image(), filename="r.png")
    receipt.refresh_from_db()
    assert (receipt.status, receipt.expense.amount) == ("done", Decimal("5"))


def test_reading_a_receipt_again_changes_nothing(queued):
    with mock.patch.object(
        reading, "receipt_read", return_value=reading_of(vendor="Acme", total=Decimal("12.00"))
    ) as read:
        first = receipt_read(queued.pk)
        expense_update(
            organization_id=first.organization_id, expense_id=first.expense_id, vendor=""
        )
        again = receipt_read(queued.pk)
    assert read.call_count == 1
    assert (again.status, again.read_at, again.fields) == (
        first.status,
        first.read_at,
        first.fields,
    )
    # The vendor a person cleared after the reading stays cleared.
    assert Expense.objects.get().vendor == ""


def test_the_reading_never_overwrites_what_a_person_typed_in(queued):
    expense_update(
        organization_id=queued.organization_id,
        expense_id=queued.expense_id,
        vendor="Anthropic Ireland",
        amount="30",
    )
    found = reading_of(
        vendor="ANTHROPIC",
        total=Decimal("21.60"),
        date=date(2026, 1, 15),
        currency="usd",
    )
    with mock.patch.object(reading, "receipt_read", return_value=found):
        receipt_read(queued.pk)
    expense = Expense.objects.get()
    assert (expense.vendor, expense.service, expense.amount) == (
        "Anthropic Ireland",
        "",
        Decimal("30"),
    )
    # The empty fields are filled.
    assert (expense.date, expense.currency) == (date(2026, 1, 15), "USD")


def test_a_draft_confirmed_before_the_reading_finished_is_left_alone(queued):
    expense_update(
        organization_id=queued.organization_id,
        expense_id=queued.expense_id,
        vendor="Acme",
        amount="3",
        currency="EUR",
        date="2026-02-01",
        confirm=True,
    )
    with mock.patch.object(reading, "receipt_read", return_value=reading_of(tax=Decimal("1"))):
        receipt = receipt_read(queued.pk)
    assert receipt.status == "done"
    assert receipt.fields == {"tax": {"value": "1", "confidence": 0.9}}
    assert Expense.objects.get().tax is None


def test_values_a_form_would_refuse_are_not_filled_in(queued):
    found = reading_of(
        total=Decimal("-4"),
        date=date(1999, 12, 31),
        currency="XYZ",
        vendor="A" * 300,
    )
    with mock.patch.object(reading, "receipt_read", return_value=found):
        receipt_read(queued.pk)
    expense = Expense.objects.get()
    assert (expense.amount, expense.date, expense.currency) == (None, None, "")
    assert expense.vendor == "A" * 200


def test_a_tax_read_above_the_total_is_left_out(queued):
    found = reading_of(total=Decimal("10"), tax=Decimal("12"))
    with mock.patch.object(reading, "receipt_read", return_value=found):
        receipt_read(queued.pk)
    expense = Expense.objects.get()
    assert (expense.amount, expense.tax) == (Decimal("10"), None)


def test_nul_characters_read_from_a_pdf_are_not_stored(queued):
    found = ReceiptReading(
        text="ACME\x00 LTD", fields={"vendor": FieldReading("AC\x00ME", 0.5)}, pages=1, pages_ocr=0
    )
    with mock.patch.object(reading, "receipt_read", return_value=found):
        receipt = receipt_read(queued.pk)
    assert (receipt.text, receipt.fields["vendor"]["value"]) == ("ACME LTD", "ACME")
    assert Expense.objects.get().vendor == "ACME"


def test_an_unreadable_receipt_fails_with_its_message_and_keeps_the_draft(queued):
    with mock.patch.object(
        reading, "receipt_read", side_effect=ReceiptUnreadable("No text could be read.")
    ):
        receipt = receipt_read(queued.pk)
    assert (receipt.status, receipt.error, receipt.fields) == (
        "failed",
        "No text could be read.",
        {},
    )
    assert receipt.read_at is not None
    assert Expense.objects.get().status == "draft"


def test_an_unexpected_error_fails_the_receipt_with_a_safe_message(queued, caplog):
    with mock.patch.object(
        reading, "receipt_read", side_effect=ValueError("/var/lib/secret path in a traceback")
    ):
        receipt = receipt_read(queued.pk)
    assert (receipt.status, receipt.error) == ("failed", FAILED_MESSAGE)
    assert f"receipt {queued.pk} could not be read" in caplog.text


def test_a_blank_image_is_read_by_tesseract_and_fails_clearly(upload):
    from tests.receipt_files import image_of

    receipt = upload(image_of((600, 800)))
    assert (receipt.status, receipt.error) == ("failed", "No text could be read from this receipt.")
    assert (receipt.expense.status, receipt.expense.amount) == ("draft", None)


def test_a_missing_file_fails_the_receipt(queued):
    queued.file.storage.delete(queued.file.name)
    assert receipt_read(queued.pk).error == MISSING_MESSAGE


def test_the_task_retries_a_database_outage_and_the_retry_reads(queued):
    found = reading_of(total=Decimal("7"))
    with mock.patch.object(
        reading, "receipt_read", side_effect=[OperationalError("connection lost"), found]
    ) as read:
        with pytest.raises(Retry):  # raised here: eager tasks propagate (settings)
            tasks.receipt_read_task.apply(args=[queued.pk])
        queued.refresh_from_db()
        assert queued.status == "processing"
        # The retry (a redelivery likewise) claims the receipt still being read.
        assert tasks.receipt_read_task.apply(args=[queued.pk]).get() == "done"
    assert read.call_count == 2
    assert Expense.objects.get().amount == Decimal("7")


def test_the_task_does_not_retry_a_receipt_that_cannot_be_read(queued):
    with mock.patch.object(reading, "receipt_read", side_effect=ReceiptUnreadable("x")) as read:
        result = tasks.receipt_read_task.apply(args=[queued.pk])
    assert (result.state, result.get()) == ("SUCCESS", "failed")
    assert read.call_count == 1


def test_a_receipt_deleted_before_its_reading_is_skipped(queued):
    expense_delete(organization_id=queued.organization_id, expense_id=queued.expense_id)
    assert receipt_read(queued.pk) is None
    assert tasks.receipt_read_task(queued.pk) is None


def test_deleting_the_expense_deletes_the_receipt_and_its_file(
    org, upload, django_capture_on_commit_callbacks
):
    receipt = upload(receipt_image())
    assert len(stored_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert expense_delete(organization_id=org.id, expense_id=receipt.expense_id)
    assert stored_files() == []
    assert not Receipt.objects.exists()


def test_the_sweep_queues_receipts_whose_task_was_lost_and_gives_up_after_a_day(org, queued):
    Receipt.objects.filter(pk=queued.pk).update(uploaded_at=timezone.now() - timedelta(minutes=20))
    with mock.patch.object(tasks.receipt_read_task, "delay") as delay:
        assert receipts_read_sweep() == 1
    delay.assert_called_once_with(queued.pk)

    Receipt.objects.filter(pk=queued.pk).update(uploaded_at=timezone.now() - timedelta(days=2))
    with mock.patch.object(tasks.receipt_read_task, "delay") as delay:
        assert receipts_read_sweep() == 0
    delay.assert_not_called()
    queued.refresh_from_db()
    assert (queued.status, queued.error) == ("failed", LOST_MESSAGE)


def test_the_sweep_leaves_recent_and_finished_receipts_alone(queued):
    with mock.patch.object(tasks.receipt_read_task, "delay") as delay:
        assert receipts_read_sweep() == 0
    delay.assert_not_called()


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\fakepath\\scan.pdf", "scan.pdf"),
        ("re\x00ce\u202eipt\n.png", "receipt.png"),
        ("x" * 300 + ".png", "x" * 251 + ".png"),
        ("", ""),
    ],
)
def test_the_uploaded_name_is_kept_for_display_only_and_cleaned(name, cleaned):
    assert receipt_name_clean(name) == cleaned
