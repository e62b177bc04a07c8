"""The Expenses page: the organization's expenses with filters, totals and a CSV export;
members add, edit and delete them, upload a receipt and review what OCR read from it
beside the receipt before confirming it. Viewers read (403 on every form)."""

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing.forms import ExpenseFilterForm, ExpenseForm, ReceiptUploadForm
from billing.models import Expense, ExpenseStatus, Receipt
from billing.selectors.expenses import (
    expense_categories_of_organization,
    expense_drafts_count,
    expense_of_organization,
    expense_totals,
    expenses_exist,
    expenses_of_organization,
)
from billing.services import UNCHANGED
from billing.services.expenses import (
    ExpenseInvalid,
    expense_create,
    expense_delete,
    expense_update,
)
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from usage.dates import iso_z
from usage.selectors.logs import CSV_CHUNK_ROWS, formula_guarded

EXPENSES_PER_PAGE = 50


def utc_today() -> date:
    return timezone.now().astimezone(UTC).date()


def expense_described(expense: Expense) -> str:
    return f"{expense.vendor or 'no vendor yet'}, {expense.date or 'no date yet'}"


def list_url_showing(membership: Membership, expense: Expense) -> str:
    """The list, reaching back far enough to show `expense` (the default shows 90 days)."""
    url = reverse("expenses", kwargs={"org_slug": membership.organization.slug})
    if expense.date is None:
        return f"{url}?start=&status={ExpenseStatus.DRAFT}"
    if expense.date < ExpenseFilterForm.default_start(utc_today()):
        return f"{url}?start={expense.date.isoformat()}"
    return url


def expense_or_404(membership: Membership, expense_id: int) -> Expense:
    expense = expense_of_organization(membership.organization_id, expense_id)
    if expense is None:
        raise Http404("No such expense.")
    return expense


def receipt_of(expense: Expense) -> Receipt | None:
    try:
        return expense.receipt
    except Receipt.DoesNotExist:
        return None


def _filters(request: HttpRequest, membership: Membership) -> ExpenseFilterForm:
    return ExpenseFilterForm(
        request.GET,
        categories=expense_categories_of_organization(membership.organization_id),
        today=utc_today(),
    )


def expenses_list_page(
    request: HttpRequest,
    membership: Membership,
    upload_form: ReceiptUploadForm,
    status: int = 200,
) -> HttpResponse:
    organization_id = membership.organization_id
    filter_form = _filters(request, membership)
    filters = filter_form.filters(utc_today())
    expenses = Paginator(
        expenses_of_organization(organization_id, **filters), EXPENSES_PER_PAGE
    ).get_page(request.GET.get("page"))
    drafts_only = filters["status"] == ExpenseStatus.DRAFT
    context = {
        "expenses": expenses,
        "filter_form": filter_form,
        "filters": filters,
        # Drafts are not spend: the totals count the confirmed expenses the filters match.
        "totals": None
        if drafts_only
        else expense_totals(
            organization_id, **{name: v for name, v in filters.items() if name != "status"}
        ),
        "drafts": expense_drafts_count(organization_id),
        "nothing_yet": not expenses.paginator.count and not expenses_exist(organization_id),
        "may_write": membership.is_at_least(Role.MEMBER),
        "upload_form": upload_form,
    }
    if filter_form.errors and status == 200:
        status = 400
    return render(request, "billing/expenses.html", context, status=status)


@organization_page()
def expenses_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return expenses_list_page(request, membership, ReceiptUploadForm())


# --- CSV -----------------------------------------------------------------------------------

CSV_FIELDS = (
    "id",
    "date",
    "vendor",
    "service",
    "category",
    "description",
    "amount",
    "currency",
    "tax",
    "converted_amount",
    "reporting_currency",
    "source",
    "status",
    "created_by",
    "created_at",
)


class _Echo:
    """The file-like object csv.writer writes to, handing each line back (Django's
    "streaming large CSV files" recipe): the stdlib writer does the quoting."""

    def write(self, line: str) -> str:
        return line


def _number(amount: Decimal | None) -> str:
    # 40, 12.5: exact, without the stored scale's trailing zeros or an exponent.
    return "" if amount is None else f"{amount.normalize():f}"


def _csv_row(expense: Expense) -> list[str | int]:
    author = expense.created_by
    texts = {
        "vendor": expense.vendor,
        "service": expense.service,
        "category": expense.category,
        "description": expense.description,
        "created_by": (author.email or author.get_username()) if author else "",
    }
    guarded = {name: formula_guarded(text) for name, text in texts.items()}
    return [
        expense.pk,
        expense.date.isoformat() if expense.date else "",
        guarded["vendor"],
        guarded["service"],
        guarded["category"],
        guarded["description"],
        _number(expense.amount),
        expense.currency,
        _number(expense.tax),
        _number(expense.converted_amount),
        expense.converted_currency,
        expense.source,
        expense.status,
        guarded["created_by"],
        iso_z(expense.created_at),
    ]


def _csv_lines(expenses: QuerySet[Expense]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(CSV_FIELDS)
    rows: Iterable[Expense] = expenses.iterator(chunk_size=CSV_CHUNK_ROWS)
    for expense in rows:
        yield writer.writerow(_csv_row(expense))


@organization_page()
def expenses_csv(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The filtered list as CSV, in the order the page lists it, streamed."""
    filter_form = _filters(request, membership)
    filters = filter_form.filters(utc_today())
    if filter_form.errors:
        # The page falls back to defaults on a bad value; a download must not, or it would
        # not hold what the link asked for.
        problems = [
            f"{filter_form[name].label}: {' '.join(errors)}"
            for name, errors in filter_form.errors.items()
        ]
        return HttpResponseBadRequest("\n".join(problems), content_type="text/plain")
    expenses = expenses_of_organization(membership.organization_id, **filters)
    response = StreamingHttpResponse(_csv_lines(expenses), content_type="text/csv")
    start, end = filters["start"] or "all", filters["end"] or utc_today()
    filename = f"{membership.organization.slug}_expenses_{start}_{end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Add, edit, delete ----------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: ExpenseForm, expense: Expense | None = None
) -> HttpResponse:
    return render(
        request,
        "billing/expense_form.html",
        {"form": form, "expense": expense, "receipt": expense and receipt_of(expense)},
        status=400 if form.errors else 200,
    )


@organization_page(role=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def expense_create_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "GET":
        form = ExpenseForm(
            initial={"currency": membership.organization.reporting_currency, "date": utc_today()}
        )
        return _form_page(request, form)
    form = ExpenseForm(request.POST)
    if form.is_valid():
        try:
            expense = expense_create(
                organization_id=membership.organization_id,
                created_by_id=request.user.pk,
                **form.cleaned_data,
            )
        except ExpenseInvalid as error:
            form.refusal_show(error)
        else:
            messages.success(request, f"Expense added: {expense_described(expense)}.")
            return redirect(list_url_showing(membership, expense))
    return _form_page(request, form)


def _changes(form: ExpenseForm) -> dict[str, Any]:
    """The cleaned data as `expense_update` takes it. An amount or date left empty (a draft's
    may be) keeps what is stored: the service has no "none" for them, and confirming asks
    for them anyway; an empty tax clears it."""
    return {
        name: UNCHANGED if value is None and name in ("amount", "date") else value
        for name, value in form.cleaned_data.items()
    }


def expense_form_save(
    membership: Membership,
    expense: Expense,
    form: ExpenseForm,
    *,
    confirm: bool = False,
) -> Expense | None:
    """Save the posted form into `expense`; the saved expense, or None with the service's
    refusal shown in the form."""
    if not form.is_valid():
        return None
    try:
        updated = expense_update(
            organization_id=membership.organization_id,
            expense_id=expense.pk,
            confirm=confirm,
            **_changes(form),
        )
    except ExpenseInvalid as error:
        form.refusal_show(error)
        return None
    if updated is None:  # deleted meanwhile
        raise Http404("No such expense.")
    return updated


@organization_page(role=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def expense_edit_page(
    request: HttpRequest, membership: Membership, expense_id: int
) -> HttpResponse:
    expense = expense_or_404(membership, expense_id)
    draft = expense.status == ExpenseStatus.DRAFT
    if request.method == "GET":
        initial = ExpenseForm.initial_of(expense, membership.organization.reporting_currency)
        return _form_page(request, ExpenseForm(initial=initial, draft=draft), expense)
    form = ExpenseForm(request.POST, draft=draft)
    saved = expense_form_save(membership, expense, form)
    if saved is None:
        return _form_page(request, form, expense)
    messages.success(request, f"Expense saved: {expense_described(saved)}.")
    return redirect(list_url_showing(membership, saved))


@require_POST
@organization_page(role=Role.MEMBER)
def expense_delete_page(
    request: HttpRequest, membership: Membership, expense_id: int
) -> HttpResponse:
    expense = expense_or_404(membership, expense_id)
    if request.POST.get("confirm") != "yes":
        # Confirmed in the page's <details> (no JavaScript): one stray click deletes nothing.
        messages.error(
            request, f"Confirm to delete {expense_described(expense)}: nothing was changed."
        )
    elif expense_delete(organization_id=membership.organization_id, expense_id=expense.pk):
        receipt = " and its receipt" if receipt_of(expense) else ""
        messages.success(request, f"Expense{receipt} deleted: {expense_described(expense)}.")
    return redirect("expenses", org_slug=membership.organization.slug)
