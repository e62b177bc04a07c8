"""A receipt uploaded on the Expenses page (`/o/<slug>/expenses/receipts`) and its review
page (`/o/<slug>/expenses/<id>/review`): real files read by real tesseract, the draft's
fields with their confidence beside the receipt, confirm, save as a draft, the reading's
states, bad files refused with nothing stored, and who may do what."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Expense, Receipt, ReceiptStatus
from billing.ocr.uploads import MAX_BYTES
from billing.services.expenses import expense_create
from billing.services.receipts import receipt_upload
from tests.receipt_files import png_declaring, receipt_image
from tokentracker.models import ExchangeRate, Role

pytestmark = pytest.mark.django_db

NOW = "2026-03-21T12:30:00Z"
PAGE = "/o/acme/expenses/"
UPLOAD = "/o/acme/expenses/receipts"
# What real tesseract reads from tests.receipt_files.receipt_image(), as the form holds it.
READ = {
    "vendor": "Anthropic",
    "amount": "21.6",
    "currency": "USD",
    "date": "2026-01-15",
    "tax": "1.6",
    "category": "",
    "description": "",
}


def review_url(expense_id):
    return f"/o/acme/expenses/{expense_id}/review"


def stored_files():
    root = Path(settings.RECEIPTS_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _text(response):
    return response.content.decode()


def _file(data, name="receipt.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def now(freeze):
    freeze(NOW)


@pytest.fixture
def uploaded(client, org, sign_in, now, django_capture_on_commit_callbacks):
    """A member uploads the clean receipt on the page; it is read in-process (the embedded
    default) once the upload commits. Returns the upload's response."""
    sign_in(org, Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(UPLOAD, {"file": _file(receipt_image(), "Anthropic Jan.png")})


@pytest.fixture
def stored(org, now, django_capture_on_commit_callbacks):
    """A receipt of `org` stored with its draft, its reading not run (a busy worker)."""
    with django_capture_on_commit_callbacks(execute=False):
        return receipt_upload(organization_id=org.id, data=receipt_image(), filename="r.png")


def test_an_uploaded_receipt_is_read_and_reviewed_beside_its_image(client, org, uploaded):
    receipt = Receipt.objects.get()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == review_url(receipt.expense_id)
    review = client.get(uploaded["Location"])
    assert review.status_code == 200
    content = _text(review)
    assert "Receipt uploaded: Anthropic Jan.png." in content
    assert f'src="/o/acme/receipts/{receipt.pk}/preview.png"' in content
    assert f'href="/o/acme/receipts/{receipt.pk}/file"' in content
    assert client.get(f"/o/acme/receipts/{receipt.pk}/preview.png").status_code == 200
    form = review.context["form"]
    assert {name: form[name].value() for name in READ} == {**READ, "date": date(2026, 1, 15)}
    assert 'name="date" value="2026-01-15"' in content
    assert 'name="amount" value="21.6"' in content
    readings = dict((field.name, read) for field, read in review.context["fields"])
    assert {name: read.found for name, read in readings.items() if read} == {
        "vendor": True,
        "amount": True,
        "currency": True,
        "date": True,
        "tax": True,
    }
    # A clean receipt: nothing read with low confidence.
    assert not any(read.low for read in readings.values() if read)
    assert "low confidence" not in content
    confidence = round(receipt.fields["total"]["confidence"] * 100)
    assert f"Read with {confidence}% confidence." in content
    assert 'value="confirm">Confirm</button>' in content
    assert 'value="save" class="secondary">Save draft</button>' in content
    assert 'http-equiv="refresh"' not in content


def test_confirming_the_draft_makes_it_spend_in_the_list_and_totals(client, org, uploaded):
    receipt = Receipt.objects.get()
    response = client.post(
        review_url(receipt.expense_id), {**READ, "category": "Subscriptions", "action": "confirm"}
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    expense = Expense.objects.get()
    assert (
        expense.status,
        expense.source,
        expense.vendor,
        expense.service,
        expense.amount,
        expense.tax,
        expense.converted_amount,
        expense.date,
        expense.category,
    ) == (
        "confirmed",
        "receipt",
        "Anthropic",
        "anthropic",
        Decimal("21.6"),
        Decimal("1.6"),
        Decimal("21.6"),
        date(2026, 1, 15),
        "Subscriptions",
    )
    page = client.get(PAGE)
    assert "Expense confirmed: Anthropic, 2026-01-15." in _text(page)
    totals = page.context["totals"]
    assert (totals.confirmed, totals.amount) == (1, Decimal("21.6"))
    assert page.context["drafts"] == 0
    # Its row links the receipt; a confirmed receipt expense is edited beside it.
    content = _text(page)
    assert f'<a href="/o/acme/receipts/{receipt.pk}/file"' in content
    assert f'href="{review_url(expense.pk)}" aria-label="Edit Anthropic 2026-01-15"' in content
    # Once confirmed, the review page saves without confirming again.
    again = client.get(review_url(expense.pk))
    assert "Save draft" not in _text(again)
    assert 'value="save">Save</button>' in _text(again)


def test_saving_the_draft_keeps_it_a_draft_that_is_not_spend(client, org, uploaded):
    receipt = Receipt.objects.get()
    response = client.post(
        review_url(receipt.expense_id), {**READ, "vendor": "Anthropic PBC", "action": "save"}
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (expense.status, expense.vendor, expense.converted_amount) == (
        "draft",
        "Anthropic PBC",
        None,
    )
    page = client.get(response["Location"])
    assert "Draft saved: Anthropic PBC, 2026-01-15. It counts once confirmed." in _text(page)
    assert page.context["totals"].confirmed == 0
    assert page.context["drafts"] == 1
    assert f'href="{review_url(expense.pk)}" aria-label="Review Anthropic PBC 2026-01-15"' in _text(
        page
    )


def test_a_field_read_with_low_confidence_is_marked_and_one_not_found_says_so(
    client, org, sign_in, stored
):
    Receipt.objects.filter(pk=stored.pk).update(
        status=ReceiptStatus.DONE,
        fields={
            "vendor": {"value": "Anthropic", "confidence": 0.91},
            "total": {"value": "21.60", "confidence": 0.42},
        },
    )
    Expense.objects.filter(pk=stored.expense_id).update(vendor="Anthropic", amount="21.60")
    sign_in(org, Role.MEMBER)
    response = client.get(review_url(stored.expense_id))
    content = " ".join(_text(response).split())
    assert 'data-testid="reading-vendor">Read with 91% confidence.' in content
    assert (
        'data-testid="reading-amount"><span class="badge warning">low confidence</span> read at '
        "42%: check it."
    ) in content
    assert 'data-testid="reading-date">Not found on the receipt.' in content
    assert (
        'data-testid="reading-currency">Not found on the receipt: your reporting currency is '
        "assumed."
    ) in content
    assert response.context["form"]["currency"].value() == "USD"


def test_confirming_without_an_amount_is_a_400_naming_it_and_changes_nothing(
    client, org, sign_in, stored
):
    Receipt.objects.filter(pk=stored.pk).update(
        status=ReceiptStatus.FAILED,
        error="The receipt could not be read; enter its details by hand.",
    )
    sign_in(org, Role.MEMBER)
    review = client.get(review_url(stored.expense_id))
    content = _text(review)
    assert "The receipt could not be read; enter its details by hand." in content
    assert "Type its vendor, date, amount and currency below." in content
    assert review.context["form"]["vendor"].value() == ""
    response = client.post(
        review_url(stored.expense_id), {**READ, "amount": "", "action": "confirm"}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["amount"]
    assert "Is required to confirm the expense." in _text(response)
    expense = Expense.objects.get()
    assert (expense.status, expense.vendor, expense.amount) == ("draft", "", None)


def test_a_failed_receipt_is_typed_in_by_hand_and_confirmed(client, org, sign_in, stored):
    ExchangeRate.objects.create(day="2026-01-15", currency="USD", rate=Decimal("1.25"))
    Receipt.objects.filter(pk=stored.pk).update(status=ReceiptStatus.FAILED, error="Unreadable.")
    sign_in(org, Role.MEMBER)
    response = client.post(
        review_url(stored.expense_id),
        {**READ, "amount": "40", "currency": "EUR", "action": "confirm"},
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    # 40 EUR at 1 EUR = 1.25 USD.
    assert (expense.status, expense.amount, expense.converted_amount) == (
        "confirmed",
        Decimal(40),
        Decimal(50),
    )


def test_while_it_is_read_the_page_refreshes_itself_and_takes_no_edits(
    client, org, sign_in, stored
):
    sign_in(org, Role.MEMBER)
    response = client.get(review_url(stored.expense_id))
    assert response.status_code == 200
    content = _text(response)
    assert '<meta http-equiv="refresh" content="3">' in content
    assert "Waiting to be read…" in content
    assert f'<a href="{review_url(stored.expense_id)}">refresh it now</a>' in content
    assert f'src="/o/acme/receipts/{stored.pk}/preview.png"' in content
    assert "Confirm</button>" not in content
    Receipt.objects.filter(pk=stored.pk).update(status=ReceiptStatus.PROCESSING)
    assert "Being read…" in _text(client.get(review_url(stored.expense_id)))
    refused = client.post(review_url(stored.expense_id), {**READ, "action": "confirm"})
    assert refused.status_code == 409
    assert "The receipt is still being read: nothing was saved." in _text(refused)
    expense = Expense.objects.get()
    assert (expense.status, expense.vendor) == ("draft", "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"%!PS-Adobe-3.0 not a receipt", "The file is not a PNG, JPEG, WebP, TIFF or PDF file"),
        (png_declaring(100_000, 100_000), "The image declares more pixels than a receipt can have"),
        (b"\0" * (MAX_BYTES + 1), "a receipt may be at most 10,485,760 bytes (10 MB)."),
    ],
)
def test_a_refused_file_is_a_400_on_the_page_and_stores_nothing(
    client, org, sign_in, now, data, message
):
    sign_in(org, Role.MEMBER)
    response = client.post(UPLOAD, {"file": _file(data)})
    assert response.status_code == 400
    assert list(response.context["upload_form"].errors) == ["file"]
    content = _text(response)
    assert message in content
    assert 'class="errorlist' in content
    assert not Expense.objects.exists()
    assert not Receipt.objects.exists()
    assert stored_files() == []


def test_page_and_api_uploads_share_the_organizations_budget_of_five_a_minute(
    client, org, raw_key, sign_in, now
):
    # Four refused files through the API and one on the page use the minute's five uploads.
    for _ in range(4):
        answer = client.post(
            "/api/receipts/ocr",
            {"file": _file(b"not a receipt")},
            HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        )
        assert answer.status_code == 400
    sign_in(org, Role.MEMBER)
    assert client.post(UPLOAD, {"file": _file(b"not a receipt")}).status_code == 400
    response = client.post(UPLOAD, {"file": _file(receipt_image())})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Your organization may upload 5 receipts a minute; try again in" in _text(response)
    assert not Receipt.objects.exists()
    assert stored_files() == []
    # The API sees the page's uploads too.
    answer = client.post(
        "/api/receipts/ocr", {"file": _file(b"x")}, HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    assert answer.status_code == 429


def test_an_upload_without_a_file_is_a_400(client, org, sign_in, now):
    sign_in(org, Role.MEMBER)
    response = client.post(UPLOAD, {})
    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert not Expense.objects.exists()


def test_deleting_the_draft_deletes_its_receipt_and_file(
    client, org, sign_in, stored, django_capture_on_commit_callbacks
):
    sign_in(org, Role.MEMBER)
    assert len(stored_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/acme/expenses/{stored.expense_id}/delete", {"confirm": "yes"})
    assert response.status_code == 302
    assert "Expense and its receipt deleted: no vendor yet, no date yet." in _text(client.get(PAGE))
    assert not Receipt.objects.exists()
    assert stored_files() == []


def test_an_expense_typed_in_has_no_review_page_but_its_edit_page(client, org, sign_in, now):
    item = expense_create(organization_id=org.id, vendor="Cursor", amount="40", date="2026-03-01")
    sign_in(org, Role.MEMBER)
    response = client.get(review_url(item.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/expenses/{item.pk}/edit"


def test_an_anonymous_visitor_is_sent_to_log_in(client, org, stored):
    for response in (client.get(review_url(stored.expense_id)), client.post(UPLOAD, {})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login?next=")
    response = client.post(review_url(stored.expense_id), {**READ, "action": "confirm"})
    assert response.status_code == 302
    assert Expense.objects.get().status == "draft"


def test_a_viewer_gets_403_on_the_upload_and_the_review(client, org, sign_in, stored):
    sign_in(org, Role.VIEWER)
    assert 'action="/o/acme/expenses/receipts"' not in _text(client.get(PAGE))
    assert client.post(UPLOAD, {"file": _file(receipt_image())}).status_code == 403
    assert client.get(review_url(stored.expense_id)).status_code == 403
    Receipt.objects.filter(pk=stored.pk).update(status=ReceiptStatus.DONE)
    response = client.post(review_url(stored.expense_id), {**READ, "action": "confirm"})
    assert response.status_code == 403
    assert (Receipt.objects.count(), Expense.objects.get().status) == (1, "draft")


def test_an_outsider_gets_404_and_changes_nothing(client, outsider_org, sign_in, stored):
    Receipt.objects.filter(pk=stored.pk).update(status=ReceiptStatus.DONE)
    sign_in(outsider_org, Role.OWNER)
    assert client.get(review_url(stored.expense_id)).status_code == 404
    assert (
        client.post(review_url(stored.expense_id), {**READ, "action": "confirm"}).status_code == 404
    )
    assert client.post(UPLOAD, {"file": _file(receipt_image())}).status_code == 404
    own = f"/o/outsider/expenses/{stored.expense_id}/review"
    assert client.get(own).status_code == 404
    assert client.post(own, {**READ, "action": "confirm"}).status_code == 404
    assert (Receipt.objects.count(), Expense.objects.get().status) == (1, "draft")
