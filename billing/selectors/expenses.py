"""Reads of the organization's expenses and receipts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from billing.models import Expense, ExpenseStatus, Receipt
from tokentracker.money import reporting_currency_of


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
    """The confirmed expenses of a filter, summed in the reporting currency."""

    currency: str
    confirmed: int
    amount: Decimal  # the converted ones, in `currency`
    # The ones with no rate for their day (or converted into a former reporting currency,
    # until they are converted again), as entered, per currency: never counted as 0.
    unconverted: dict[str, Decimal]
    drafts: int = 0  # matching the same filters, counted apart: never in the amount
    valued: bool = False  # whether any confirmed one is converted (the amount is not 0 by default)

    @property
    def count(self) -> int:
        return self.confirmed + self.drafts

    @property
    def priced_amount(self) -> Decimal | None:
        """The amount; None when every confirmed expense waits for a rate (0 would be a lie)."""
        return None if self.unconverted and not self.valued else self.amount


def expense_totals(
    organization_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    source: str | None = None,
    service: str | None = None,
    category: str | None = None,
    search: str | None = None,
) -> ExpenseTotals:
    """The count and sum of the confirmed expenses `expenses_of_organization` lists for
    these filters, and the count of its drafts (not spend yet): one query, grouped by status
    and currency. The amount is the expense part of every spend reader."""
    currency = reporting_currency_of(organization_id)
    rows = (
        expenses_of_organization(
            organization_id,
            start=start,
            end=end,
            source=source,
            service=service,
            category=category,
            search=search,
        )
        .values("status", "currency", "converted_currency")
        .annotate(
            expenses=Count("id"),
            entered=Sum("amount"),
            converted=Sum("converted_amount"),
            waiting=Sum("amount", filter=Q(converted_amount__isnull=True)),
        )
        .order_by()
    )
    confirmed, drafts, amount, unconverted = 0, 0, Decimal(0), defaultdict(Decimal)
    valued = False
    for row in rows:
        if row["status"] == ExpenseStatus.DRAFT:
            drafts += row["expenses"]
            continue
        confirmed += row["expenses"]
        if row["converted_currency"] == currency:
            amount += row["converted"] or 0
            valued = valued or row["converted"] is not None
            if row["waiting"] is not None:
                unconverted[row["currency"]] += row["waiting"]
        else:
            unconverted[row["currency"]] += row["entered"]
    return ExpenseTotals(
        currency=currency,
        confirmed=confirmed,
        amount=amount,
        unconverted=dict(sorted(unconverted.items())),
        drafts=drafts,
        valued=valued,
    )


def expense_drafts_count(organization_id: int) -> int:
    """How many of the organization's expenses, of any day, wait to be confirmed."""
    return Expense.objects.filter(
        organization_id=organization_id, status=ExpenseStatus.DRAFT
    ).count()


def expenses_exist(organization_id: int) -> bool:
    return Expense.objects.filter(organization_id=organization_id).exists()
