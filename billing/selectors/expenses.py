"""Reads of the organization's expenses and receipts."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet

from billing.models import Expense, ExpenseStatus, Receipt
from tokentracker.money import reporting_currency_of

from .spend import Spend, spend_by, spend_combined


def expenses_of_organization(
    organization_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    status: str | None = None,
    source: str | None = None,
    service: str | None = None,
    category: str | None = None,
    search: str | None = None,
) -> QuerySet[Expense]:
    """The organization's expenses, latest day first (drafts without a day lead), filtered
    by day (`start` and `end` both included), status, source, service, category (exact,
    case-insensitive) and `search` (in the vendor, category or description)."""
    expenses = Expense.objects.filter(organization_id=organization_id)
    if start is not None:
        expenses = expenses.filter(date__gte=start)
    if end is not None:
        expenses = expenses.filter(date__lte=end)
    if status:
        expenses = expenses.filter(status=status)
    if source:
        expenses = expenses.filter(source=source)
    if service is not None:
        expenses = expenses.filter(service=service)
    if category:
        expenses = expenses.filter(category__iexact=category)
    if search:
        expenses = expenses.filter(
            Q(vendor__icontains=search)
            | Q(category__icontains=search)
            | Q(description__icontains=search)
        )
    # NULLs placed explicitly: PostgreSQL sorts them first in a descending order, SQLite last.
    return expenses.select_related("created_by", "receipt").order_by(
        F("date").desc(nulls_first=True), "-created_at", "-id"
    )


def expense_of_organization(organization_id: int, expense_id: int) -> Expense | None:
    return (
        Expense.objects.filter(organization_id=organization_id, pk=expense_id)
        .select_related("receipt")
        .first()
    )


def receipt_of_organization(organization_id: int, receipt_id: int) -> Receipt | None:
    return (
        Receipt.objects.filter(organization_id=organization_id, pk=receipt_id)
        .select_related("expense")
        .first()
    )


def expense_categories_of_organization(organization_id: int) -> list[str]:
    """The categories the organization's expenses use, for a filter's choices."""
    return sorted(
        set(
            Expense.objects.filter(organization_id=organization_id)
            .exclude(category="")
            .values_list("category", flat=True)
        ),
        key=str.lower,
    )


@dataclass(frozen=True)
class ExpenseTotals:
    """The expenses of the days in [start, end]: what the confirmed ones add up to, in the
    reporting currency (`spend`, exactly the expense part of every spend reader), and how
    many there are; drafts are counted apart, never in the amount."""

    currency: str
    spend: Spend
    confirmed: int
    drafts: int

    @property
    def count(self) -> int:
        return self.confirmed + self.drafts


def expense_totals(organization_id: int, *, start: date, end: date) -> ExpenseTotals:
    counts = Expense.objects.filter(
        organization_id=organization_id, date__gte=start, date__lte=end
    ).aggregate(
        confirmed=Count("id", filter=Q(status=ExpenseStatus.CONFIRMED)),
        drafts=Count("id", filter=Q(status=ExpenseStatus.DRAFT)),
    )
    spend = spend_by(
        organization_id=organization_id,
        start=start,
        end=end,
        group_by=(),
        sources=["expense"],
    )
    return ExpenseTotals(
        currency=reporting_currency_of(organization_id),
        spend=spend_combined(spend),
        confirmed=counts["confirmed"],
        drafts=counts["drafts"],
    )
