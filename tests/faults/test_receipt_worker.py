"""A receipt uploaded to gunicorn is read by a real Celery worker on Redis: the upload answers
202 queued at once, and polling shows it done with the fields tesseract read, the file kept
under RECEIPTS_ROOT for both processes."""

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from billing.models import Receipt
from tests.receipt_files import receipt_image

from .conftest import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receipt_parts(request, monkeypatch):
    # The web server stores the file, the worker reads it: both from this test's folder.
    monkeypatch.setenv("RECEIPTS_ROOT", str(settings.RECEIPTS_ROOT))
    return request.getfixturevalue("parts")


def multipart_post(url: str, key: str, data: bytes, filename: str):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_worker_reads_an_uploaded_receipt_into_its_draft(receipt_parts):
    web, key = receipt_parts.web, receipt_parts.key
    status, body = multipart_post(f"{web.base}/api/receipts/ocr", key, receipt_image(), "r.png")
    assert status == 202, body
    queued = body["data"]
    assert queued["status"] == "queued"

    def read():
        status, polled, _ = web.request(
            "GET",
            f"/api/receipts/{queued['receiptId']}",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert status == 200, polled
        return polled["data"] if polled["data"]["status"] in ("done", "failed") else None

    done = wait_until(read, 60, 0.3, "the worker to read the receipt")
    assert done["status"] == "done", done
    assert {name: field["value"] for name, field in done["fields"].items()} == {
        "vendor": "Anthropic",
        "date": "2026-01-15",
        "total": 21.6,
        "currency": "USD",
        "tax": 1.6,
    }
    assert done["expense"]["amount"] == 21.6
    assert "billing.tasks.receipt_read_task" in receipt_parts.worker.output()
    receipt = Receipt.objects.get(pk=queued["receiptId"])
    assert Path(settings.RECEIPTS_ROOT) in Path(receipt.file.path).parents
