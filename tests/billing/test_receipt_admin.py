"""Receipts in Django admin: listed by status, read-only, no upload here; deleting one here
deletes its file and leaves its draft expense."""

from pathlib import Path

import pytest

from billing.models import Expense, Receipt
from billing.services.receipts import receipt_upload
from tests.receipt_files import receipt_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def receipts(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        made = [
            receipt_upload(organization_id=org.id, data=receipt_image(), filename=name)
            for name in ("first.png", "second.png")
        ]
    Receipt.objects.filter(pk=made[1].pk).update(status="failed", error="No text.")
    return made


def test_receipts_are_listed_and_filtered_by_status(staff_client, receipts):
    listed = staff_client.get("/admin/billing/receipt/")
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2
    failed = staff_client.get("/admin/billing/receipt/", {"status__exact": "failed"})
    assert [receipt.pk for receipt in failed.context["cl"].result_list] == [receipts[1].pk]


def test_a_receipt_is_read_only_and_none_is_added_here(staff_client, receipts):
    receipt = receipts[0]
    page = staff_client.get(f"/admin/billing/receipt/{receipt.pk}/change/")
    assert page.status_code == 200
    assert b"first.png" in page.content
    assert receipt.file.name.encode() in page.content
    assert b'name="status"' not in page.content  # shown, not editable
    assert (
        staff_client.post(
            f"/admin/billing/receipt/{receipt.pk}/change/", {"status": "done"}
        ).status_code
        == 403
    )
    assert staff_client.get("/admin/billing/receipt/add/").status_code == 403


def test_deleting_a_receipt_here_deletes_its_file_and_keeps_the_draft(
    staff_client, receipts, django_capture_on_commit_callbacks
):
    receipt = receipts[0]
    path = Path(receipt.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/billing/receipt/{receipt.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not path.exists()
    assert Expense.objects.filter(pk=receipt.expense_id, status="draft").exists()
