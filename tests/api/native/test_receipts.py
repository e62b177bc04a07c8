"""`/api/v1/receipts`: upload (multipart), list, one, its file; scoped to the caller's
organization, writes for write keys and members, bad files a 422 (413 too large) that
stores nothing."""

from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from billing import tasks
from billing.models import Expense, Receipt
from billing.ocr.uploads import MAX_BYTES
from billing.services.receipts import receipt_upload
from tests.receipt_files import blank_pdf, png_declaring, receipt_image, receipt_pdf
from tokentracker.models import ApiKeyScope, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db
RECEIPTS = "/api/v1/receipts"


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}


def upload(client, data: bytes, key=None, name="receipt.png"):
    return client.post(
        RECEIPTS, {"file": SimpleUploadedFile(name, data, content_type="image/png")}, **auth(key)
    )


def nothing_stored() -> bool:
    root = Path(settings.RECEIPTS_ROOT)
    files = [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
    return not files and not Receipt.objects.exists() and not Expense.objects.exists()


@pytest.fixture
def queued_mode(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(tasks.receipt_read_task, "delay") as delay:
        yield delay


@pytest.fixture
def stored(org, django_capture_on_commit_callbacks):
    def stored(data: bytes = b"", organization=None):
        with django_capture_on_commit_callbacks(execute=False):
            return receipt_upload(
                organization_id=(organization or org).id,
                data=data or receipt_image(),
                filename="r.png",
            )

    return stored


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_read_at_once_when_tasks_run_in_process(client, org, raw_key):
    response = upload(client, receipt_pdf(), raw_key, name="invoice.pdf")
    assert response.status_code == 201, response.content
    got = response.json()
    receipt = Receipt.objects.get()
    assert (got["id"], got["status"], got["error"], got["content_type"]) == (
        receipt.pk,
        "done",
        "",
        "application/pdf",
    )
    assert {name: field["value"] for name, field in got["fields"].items()} == {
        "vendor": "Anthropic",
        "date": "2026-01-15",
        "total": 21.6,
        "currency": "USD",
        "tax": 1.6,
    }
    expense = receipt.expense
    assert got["expense"] == {
        "id": receipt.expense_id,
        "status": "draft",
        "source": "receipt",
        "vendor": "Anthropic",
        "service": "anthropic",
        "date": "2026-01-15",
        "amount": 21.6,
        "currency": "USD",
        "tax": 1.6,
        "converted_amount": None,
        "converted_currency": None,
        "category": "",
        "description": "",
        "receipt_id": receipt.pk,
        "created_at": expense.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": expense.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert client.get(f"{RECEIPTS}/{receipt.pk}", **auth(raw_key)).json() == got


def test_queued_the_answer_is_202_and_the_receipt_is_read_later(
    client, raw_key, queued_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, receipt_image(), raw_key)
    assert response.status_code == 202, response.content
    got = response.json()
    assert (got["status"], got["fields"]) == (
        "queued",
        dict.fromkeys(["vendor", "date", "total", "currency", "tax"]),
    )
    queued_mode.assert_called_once_with(got["id"])
    tasks.receipt_read_task(got["id"])
    polled = client.get(f"{RECEIPTS}/{got['id']}", **auth(raw_key)).json()
    assert (polled["status"], polled["fields"]["total"]["value"]) == ("done", 21.6)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"not an image at all", "unsupported_type"),
        (png_declaring(30_000, 30_000), "too_many_pixels"),
        (blank_pdf(500), "too_many_pages"),
        (receipt_pdf(user_password="pw"), "encrypted"),
    ],
)
def test_a_bad_file_is_a_422_naming_the_rule_and_stores_nothing(client, raw_key, data, reason):
    response = upload(client, data, raw_key)
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert (body["code"], body["details"]["reason"]) == ("VALIDATION_FAILED", reason)
    assert body["details"]["file"] == [body["message"]]
    assert nothing_stored()


def test_a_file_over_10_mib_is_a_413(client, raw_key):
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES, raw_key)
    assert response.status_code == 413
    assert response.json()["error"]["details"]["reason"] == "too_large"
    assert nothing_stored()


def test_no_file_is_a_422(client, raw_key):
    response = client.post(RECEIPTS, {"other": "x"}, **auth(raw_key))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["reason"] == "missing"


def test_without_a_key_nothing_is_read_or_stored(client, stored):
    receipt = stored()
    for response in (
        upload(client, receipt_image()),
        client.get(RECEIPTS),
        client.get(f"{RECEIPTS}/{receipt.pk}"),
        client.get(f"{RECEIPTS}/{receipt.pk}/file"),
    ):
        assert response.status_code == 401
    assert Receipt.objects.count() == 1


def test_a_read_key_reads_but_only_a_write_key_uploads(client, org, stored, queued_mode):
    read_key = api_key_create(organization=org, name="r", scope=ApiKeyScope.READ).raw_key
    receipt = stored()
    assert client.get(f"{RECEIPTS}/{receipt.pk}", **auth(read_key)).status_code == 200
    response = upload(client, receipt_image(), read_key)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key is read-only."
    assert Receipt.objects.count() == 1


def test_a_viewer_reads_but_cannot_upload(client, org, sign_in, stored):
    sign_in(org, Role.VIEWER)
    receipt = stored()
    assert client.get(f"{RECEIPTS}/{receipt.pk}").json()["id"] == receipt.pk
    response = upload(client, receipt_image())
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Viewers cannot upload receipts."


def test_an_outsider_gets_nothing_of_another_organizations_receipts(client, outsider_key, stored):
    receipt = stored()
    assert client.get(RECEIPTS, **auth(outsider_key)).json()["results"] == []
    for path in (f"{RECEIPTS}/{receipt.pk}", f"{RECEIPTS}/{receipt.pk}/file"):
        assert client.get(path, **auth(outsider_key)).status_code == 404, path


def test_the_list_is_newest_first_filtered_and_paged_in_few_queries(
    client, raw_key, stored, outsider_org, django_assert_num_queries
):
    first, second, third = stored(), stored(), stored()
    stored(organization=outsider_org)
    Receipt.objects.filter(pk=second.pk).update(status="failed")
    # Authentication (the key's lookup, then its last use) and one query for the page.
    with django_assert_num_queries(3):
        page = client.get(RECEIPTS, {"limit": 2}, **auth(raw_key)).json()
    assert [row["id"] for row in page["results"]] == [third.pk, second.pk]
    rest = client.get(page["next"], **auth(raw_key)).json()
    assert [row["id"] for row in rest["results"]] == [first.pk]
    failed = client.get(RECEIPTS, {"status": "failed"}, **auth(raw_key)).json()
    assert [row["id"] for row in failed["results"]] == [second.pk]


def test_the_file_is_served_as_stored_whatever_the_client_accepts(client, raw_key, stored):
    data = receipt_image("WEBP")
    receipt = stored(data)
    response = client.get(
        f"{RECEIPTS}/{receipt.pk}/file", HTTP_ACCEPT="image/webp", **auth(raw_key)
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == (
        "image/webp",
        "nosniff",
    )
    assert response["Content-Disposition"] == f'inline; filename="receipt-{receipt.pk}.webp"'
    assert response["Cache-Control"] == "private, max-age=3600"


def test_an_overlong_id_is_a_404(client, raw_key):
    assert client.get(f"{RECEIPTS}/{2**64}", **auth(raw_key)).status_code == 404
    assert client.get(f"{RECEIPTS}/999", **auth(raw_key)).status_code == 404
