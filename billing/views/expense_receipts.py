"""A receipt uploaded on the Expenses page, and its review: the receipt beside the draft
expense OCR filled, each field with the confidence it was read with, to confirm or correct.
Members and up (viewers get 403); the expense services hold the rules."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from billing.forms import ExpenseForm, ReceiptUploadForm
from billing.models import Expense, ExpenseStatus, Receipt, ReceiptStatus
from billing.ocr.uploads import MAX_BYTES, ReceiptRejected
from billing.services.receipts import receipt_upload
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.ratelimit import minute_rate_limit_hit

from .expenses import (
    expense_described,
    expense_form_save,
    expense_or_404,
    expenses_list_page,
    list_url_showing,
    receipt_of,
)

# Below this, a field read from a receipt is marked for a second look.
LOW_CONFIDENCE = 0.6
# The form's field each of the receipt's fields fills.
READ_INTO = {
    "vendor": "vendor",
    "date": "date",
    "amount": "total",
    "currency": "currency",
    "tax": "tax",
}
# While a receipt is read, its review page reloads itself this often (a meta refresh: no
# script, so nothing the Content-Security-Policy blocks).
REFRESH_SECONDS = 3


@require_POST
@organization_page(role=Role.MEMBER)
def expense_receipt_upload_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ReceiptUploadForm(request.POST, request.FILES)
    counted = settings.RATE_LIMIT_ENABLED and form.is_valid()
    usage = minute_rate_limit_hit(membership.organization_id, "upload") if counted else None
    if usage is not None and usage.exceeded:
        # The same budget as the API's uploads: reading receipts is the costly part.
        form.add_error(
            "file",
            f"Your organization may upload {usage.limit} receipts a minute; "
            f"try again in {usage.retry_after} seconds.",
        )
        response = expenses_list_page(request, membership, form, status=429)
        response["Retry-After"] = str(usage.retry_after)
        return response
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            # Said here, without reading it into memory: the receipt rules would say the same.
            form.add_error(
                "file",
                f"The file is {upload.size:,} bytes; a receipt may be at most "
                f"{MAX_BYTES:,} bytes ({MAX_BYTES // (1024 * 1024)} MB).",
            )
        else:
            try:
                receipt = receipt_upload(
                    organization_id=membership.organization_id,
                    data=upload.read(),
                    filename=upload.name,
                    uploaded_by_id=request.user.pk,
                )
            except ReceiptRejected as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, f"Receipt uploaded: {receipt.original_name}.")
                return redirect(
                    "expense-review",
                    org_slug=membership.organization.slug,
                    expense_id=receipt.expense_id,
                )
    return expenses_list_page(request, membership, form, status=400)


@dataclass(frozen=True)
class FieldReading:
    """What the receipt said for one form field, for the note under it."""

    found: bool
    confidence: float | None = None

    @property
    def low(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE

    @property
    def percent(self) -> int | None:
        return None if self.confidence is None else round(self.confidence * 100)


def _readings(receipt: Receipt) -> dict[str, FieldReading]:
    if receipt.status != ReceiptStatus.DONE:
        return {}
    readings = {}
    for name, read_as in READ_INTO.items():
        field = receipt.fields.get(read_as)
        if isinstance(field, dict) and field.get("value") not in (None, ""):
            readings[name] = FieldReading(found=True, confidence=float(field["confidence"]))
        else:
            readings[name] = FieldReading(found=False)
    return readings


def _review_page(
    request: HttpRequest,
    expense: Expense,
    receipt: Receipt,
    form: ExpenseForm | None,
    status: int = 200,
) -> HttpResponse:
    readings = _readings(receipt)
    reading = receipt.status in (ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING)
    context = {
        "expense": expense,
        "receipt": receipt,
        "form": form,
        "fields": [(form[name], readings.get(name)) for name in form.fields] if form else [],
        "reading": reading,
        "refresh_seconds": REFRESH_SECONDS,
        "draft": expense.status == ExpenseStatus.DRAFT,
        "low_confidence_percent": round(LOW_CONFIDENCE * 100),
    }
    return render(request, "billing/expense_review.html", context, status=status)


@organization_page(role=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def expense_review_page(
    request: HttpRequest, membership: Membership, expense_id: int
) -> HttpResponse:
    expense = expense_or_404(membership, expense_id)
    receipt = receipt_of(expense)
    if receipt is None:  # typed in by hand: its own edit page
        return redirect(
            "expense-edit", org_slug=membership.organization.slug, expense_id=expense.pk
        )
    draft = expense.status == ExpenseStatus.DRAFT
    if receipt.status in (ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING):
        if request.method == "POST":
            # The reading fills the draft's empty fields when it ends: typing meanwhile
            # would race it, so the form waits for it.
            messages.error(request, "The receipt is still being read: nothing was saved.")
            return _review_page(request, expense, receipt, None, status=409)
        return _review_page(request, expense, receipt, None)
    currency = membership.organization.reporting_currency
    if request.method == "GET":
        form = ExpenseForm(initial=ExpenseForm.initial_of(expense, currency), draft=draft)
        return _review_page(request, expense, receipt, form)
    form = ExpenseForm(request.POST, draft=draft)
    confirm = draft and request.POST.get("action") == "confirm"
    saved = expense_form_save(membership, expense, form, confirm=confirm)
    if saved is None:
        return _review_page(request, expense, receipt, form, status=400)
    if saved.status == ExpenseStatus.DRAFT:
        messages.success(
            request, f"Draft saved: {expense_described(saved)}. It counts once confirmed."
        )
    elif confirm:
        messages.success(request, f"Expense confirmed: {expense_described(saved)}.")
    else:
        messages.success(request, f"Expense saved: {expense_described(saved)}.")
    return redirect(list_url_showing(membership, saved))
