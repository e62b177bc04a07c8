"""CodingVibez `POST /api/receipts/ocr` (multipart, field `file`) and `GET /api/receipts/{id}`:
a receipt read by real tesseract into a draft expense, answered at once (201) when tasks run
in-process or queued (202) for a worker and polled; bad files refused in the envelope,
storing nothing; keys, viewers and outsiders; the seed's upload limit of 5 a minute."""

from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from billing import tasks
from billing.models import Expense, Receipt
from billing.ocr.uploads import MAX_BYTES
from tests.receipt_files import blank_pdf, image_of, png_declaring, receipt_image, receipt_pdf
from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, Role

from .helpers import data, error

pytestmark = pytest.mark.django_db
OCR = "/api/receipts/ocr"

READ_FIELDS = {
    "vendor": "Anthropic",
    "date": "2026-01-15",
    "total": 21.6,
    "currency": "USD",
    "tax": 1.6,
}


def upload(client, data: bytes, key: str | None = None, name="receipt.png", kind="image/png"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(OCR, {"file": SimpleUploadedFile(name, data, content_type=kind)}, **headers)


def poll(client, receipt_id: str, key: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get(f"/api/receipts/{receipt_id}", **headers)


def stored_files() -> list[Path]:
    root = Path(settings.RECEIPTS_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def nothing_stored() -> bool:
    return not stored_files() and not Receipt.objects.exists() and not Expense.objects.exists()


@pytest.fixture
def queued_mode(settings):
    """A broker and a worker that has not run yet: the reading waits in the queue."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(tasks.receipt_read_task, "delay") as delay:
        yield delay


# The reading runs when the upload commits: outside the test's own transaction, as in
# production, so that the answer can already hold it.
@pytest.mark.django_db(transaction=True)
def test_with_tasks_in_process_the_answer_is_the_reading_done(client, org, raw_key):
    response = upload(client, receipt_image("JPEG"), raw_key, name="anthropic.jpg")
    got = data(response, 201)
    receipt = Receipt.objects.get()
    assert (got["receiptId"], got["expenseId"]) == (str(receipt.pk), str(receipt.expense_id))
    assert (got["status"], got["error"], got["contentType"], got["fileName"]) == (
        "done",
        None,
        "image/jpeg",
        "anthropic.jpg",
    )
    assert {name: field["value"] for name, field in got["fields"].items()} == READ_FIELDS
    assert all(0 < field["confidence"] <= 1 for field in got["fields"].values())
    assert got["expense"] == {
        "id": str(receipt.expense_id),
        "status": "draft",
        "vendor": "Anthropic",
        "service": "anthropic",
        "date": "2026-01-15",
        "amount": 21.6,
        "currency": "USD",
        "tax": 1.6,
    }
    # The text as tesseract read it (a JPEG may ring a second point into "21..60").
    assert got["text"].startswith("ANTHROPIC PBC\n") and "TOTAL USD 21" in got["text"]
    assert (got["pages"], got["size"]) == (1, receipt.size)
    assert got["readingSeconds"] > 0 and got["readAt"].endswith("Z")
    # Polling answers the same data.
    assert data(poll(client, got["receiptId"], raw_key)) == got
    # Stored privately, under RECEIPTS_ROOT.
    (path,) = stored_files()
    assert Path(settings.RECEIPTS_ROOT) in path.parents
    assert Expense.objects.get().amount == Decimal("21.60")


def test_with_a_worker_the_answer_is_202_queued_and_the_poll_follows_it(
    client, raw_key, queued_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, receipt_pdf(), raw_key, name="invoice.pdf")
    queued = data(response, 202)
    assert (queued["status"], queued["readAt"], queued["text"]) == ("queued", None, "")
    assert queued["fields"] == dict.fromkeys(READ_FIELDS)
    assert queued["expense"]["status"] == "draft" and queued["expense"]["amount"] is None
    queued_mode.assert_called_once_with(int(queued["receiptId"]))
    assert data(poll(client, queued["receiptId"], raw_key))["status"] == "queued"

    assert tasks.receipt_read_task(int(queued["receiptId"])) == "done"  # the worker's turn

    done = data(poll(client, queued["receiptId"], raw_key))
    assert (done["status"], done["contentType"]) == ("done", "application/pdf")
    assert {name: field["value"] for name, field in done["fields"].items()} == READ_FIELDS
    assert done["expense"]["amount"] == 21.6


def test_a_one_pixel_jpeg_is_taken_for_reading(client, raw_key, queued_mode):
    # Nothing on it to read, but nothing wrong with it either: it is the reader's to judge.
    queued = data(upload(client, image_of((1, 1), "JPEG"), raw_key, name="dot.jpg"), 202)
    assert (queued["status"], queued["contentType"]) == ("queued", "image/jpeg")
    assert Receipt.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "receipt.png", "The file is empty."),
        (
            b"Anthropic\nTOTAL 21.60\n",
            "receipt.png",  # a .txt renamed, sent as image/png
            "The file is not a PNG, JPEG, WebP, TIFF or PDF file (judged by its content, "
            "not its name).",
        ),
        (
            png_declaring(30_000, 30_000),
            "bomb.png",
            "The image declares more pixels than a receipt can have (at most 50 million per page).",
        ),
        (
            blank_pdf(500),
            "book.pdf",
            "The file has 500 pages; a receipt may have at most 20.",
        ),
        (
            receipt_pdf(user_password="secret"),
            "locked.pdf",
            "The PDF is protected by a password; upload it without the password.",
        ),
        (
            receipt_image("PNG")[:300],
            "cut.png",
            "The image is damaged and cannot be read.",
        ),
    ],
    ids=["empty", "renamed-text", "bomb", "500-pages", "encrypted", "damaged"],
)
def test_a_bad_file_is_a_validation_error_and_stores_nothing(
    client, raw_key, queued_mode, content, name, message
):
    assert error(upload(client, content, raw_key, name=name), 400, "VALIDATION_ERROR") == message
    assert nothing_stored()
    queued_mode.assert_not_called()


def test_a_file_over_10_mib_is_a_413_in_the_envelope(client, raw_key):
    response = upload(client, b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, raw_key, name="big.jpg")
    assert error(response, 413, "VALIDATION_ERROR") == (
        "The file is 10485763 bytes; a receipt may be at most 10485760 bytes (10 MiB)."
    )
    assert nothing_stored()


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, raw_key):
    response = client.post(
        OCR,
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    message = error(response, 413, "VALIDATION_ERROR")
    assert (
        message == "The file is 52428800 bytes; a receipt may be at most 10485760 bytes (10 MiB)."
    )
    assert nothing_stored()


def test_no_file_field_is_a_validation_error(client, raw_key):
    response = client.post(
        OCR,
        {"receipt": SimpleUploadedFile("r.png", receipt_image())},
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    assert error(response, 400, "VALIDATION_ERROR") == (
        "file is required: the receipt (PNG, JPEG, WebP, TIFF or PDF) as a file part."
    )
    # A text field named file is no file either.
    response = client.post(OCR, {"file": "receipt.png"}, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    error(response, 400, "VALIDATION_ERROR")
    assert nothing_stored()


def test_a_json_body_is_a_validation_error_naming_multipart(api, raw_key):
    response = api.post(OCR, {"file": "aGVsbG8="}, raw_key)
    assert error(response, 400, "VALIDATION_ERROR") == (
        "Send the receipt as multipart/form-data, in a field named file."
    )
    assert nothing_stored()


def test_without_a_key_nothing_is_stored_or_read(client, org):
    error(upload(client, receipt_image()), 401, "AUTHENTICATION_ERROR")
    error(upload(client, receipt_image(), "mtt_" + "x" * 40), 401, "AUTHENTICATION_ERROR")
    error(poll(client, "1"), 401, "AUTHENTICATION_ERROR")
    assert nothing_stored()


def test_a_read_only_key_reads_but_cannot_upload(client, org, queued_mode):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ).raw_key
    assert error(upload(client, receipt_image(), read_key), 403, "AUTHORIZATION_ERROR") == (
        "This API key is read-only."
    )
    assert nothing_stored()


def test_a_member_uploads_and_is_recorded_as_the_uploader(client, org, sign_in, queued_mode):
    user = sign_in(org, Role.MEMBER)
    got = data(upload(client, receipt_image()), 202)
    receipt = Receipt.objects.get(pk=got["receiptId"])
    assert (receipt.uploaded_by, receipt.expense.created_by) == (user, user)
    assert data(poll(client, got["receiptId"]))["receiptId"] == got["receiptId"]


def test_a_viewer_reads_a_receipt_but_cannot_upload(client, org, sign_in, raw_key, queued_mode):
    got = data(upload(client, receipt_image(), raw_key), 202)
    client.logout()
    sign_in(org, Role.VIEWER)
    assert data(poll(client, got["receiptId"]))["receiptId"] == got["receiptId"]
    assert error(upload(client, receipt_image()), 403, "AUTHORIZATION_ERROR") == (
        "Viewers cannot upload receipts."
    )
    assert Receipt.objects.count() == 1


def test_an_outsider_cannot_read_another_organizations_receipt(
    client, org, raw_key, outsider_key, queued_mode
):
    got = data(upload(client, receipt_image(), raw_key), 202)
    assert error(poll(client, got["receiptId"], outsider_key), 404, "NOT_FOUND") == (
        "No receipt by this id."
    )
    # The outsider's own upload is theirs alone.
    theirs = data(upload(client, receipt_image(), outsider_key), 202)
    error(poll(client, theirs["receiptId"], raw_key), 404, "NOT_FOUND")
    assert Receipt.objects.filter(organization=org).count() == 1


def test_an_unknown_or_overlong_id_is_not_found(client, raw_key):
    assert error(poll(client, "999", raw_key), 404, "NOT_FOUND") == "No receipt by this id."
    error(poll(client, str(2**64), raw_key), 404, "NOT_FOUND")
    assert error(poll(client, "abc", raw_key), 404, "NOT_FOUND") == (
        "No endpoint at /api/receipts/abc."
    )


def test_the_sixth_upload_in_a_minute_is_rate_limited_and_stores_nothing(
    client, raw_key, queued_mode
):
    for remaining in ("4", "3", "2", "1", "0"):
        response = upload(client, receipt_image(), raw_key)
        data(response, 202)
        assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == (
            "5",
            remaining,
        )
    refused = upload(client, receipt_image(), raw_key)
    error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert (refused["X-RateLimit-Limit"], refused["X-RateLimit-Remaining"]) == ("5", "0")
    assert int(refused["X-RateLimit-Reset"]) > 0
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Receipt.objects.count() == 5
    # Polling is a read: its own budget.
    assert poll(client, "999", raw_key)["X-RateLimit-Limit"] == "100"


def test_the_schema_documents_the_multipart_upload(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    upload_op = schema["paths"]["/api/receipts/ocr"]["post"]
    body = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"201", "202", "400", "401", "403", "413", "429"} <= set(upload_op["responses"])
    assert "get" in schema["paths"]["/api/receipts/{receipt_id}"]
