"""One spend reader over every source: API usage, manual costs, expenses, and the sources
later issues add (what providers bill through sync).

A source is a function `(organization_id, start, end) -> Iterable[SpendRow]` registered in
`SOURCES`; `spend_by` groups whatever the sources return, so a new source plugs in by
registering itself and no reader changes.

Periods are whole UTC days, `start` and `end` both included. A monthly cost (a manual
cost) belongs to the period holding the first day of its month, so consecutive periods
never count one month twice. An expense belongs to the period holding its day.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from billing.models import Expense, ExpenseStatus, ManualCost, Service
from usage.models import DailyRollup


@dataclass(frozen=True)
class SpendRow:
    source: str
    service: str
    model: str | None
    # In the reporting currency; None when it has none: unconverted, or only unpriced events.
    amount: Decimal | None
    unconverted_amount: Decimal | None = None  # as sent, when `amount` is None
    unconverted_currency: str | None = None
    unpriced_events: int = 0


SpendSource = Callable[[int, date, date], Iterable[SpendRow]]
SOURCES: dict[str, SpendSource] = {}


def spend_source(name: str) -> Callable[[SpendSource], SpendSource]:
    """Register a spend source under `name` (a row's `source`)."""

    def register(function: SpendSource) -> SpendSource:
        SOURCES[name] = function
        return function

    return register


# Providers as usage stores them (genai-prices' ids) that bill through another service.
PROVIDER_SERVICES = {
    "bedrock": "aws",
    "aws-bedrock": "aws",
    "vertex": "gcp",
    "google-vertex": "gcp",
    "gemini": "google",
    "azure-openai": "azure",
}


def service_of_provider(provider: str) -> str:
    """The service a provider's usage is billed by; a provider outside the 13 services
    stays under its own name rather than being hidden."""
    return PROVIDER_SERVICES.get(provider, provider)


def providers_of_service(service: str) -> tuple[str, ...]:
    """The providers whose usage `service_of_provider` books to `service`."""
    return (service, *sorted(p for p, s in PROVIDER_SERVICES.items() if s == service))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@spend_source("usage")
def usage_spend(organization_id: int, start: date, end: date) -> Iterable[SpendRow]:
    """Priced API events from the daily rollups; unpriced ones counted, not valued."""
    rows = (
        DailyRollup.objects.filter(
            organization_id=organization_id,
            hour__gte=_midnight(start),
            hour__lt=_midnight(end + timedelta(days=1)),
        )
        .values("provider", "model")
        .annotate(cost=Sum("cost"), priced=Sum("priced_events"), unpriced=Sum("unpriced_events"))
        .order_by()
    )
    for row in rows:
        yield SpendRow(
            source="usage",
            service=service_of_provider(row["provider"]),
            model=row["model"],
            # Events none of which has a price have no amount (not 0): only counted.
            amount=row["cost"] if row["priced"] else None,
            unpriced_events=row["unpriced"],
        )


def _months(start: date, end: date) -> Q:
    """The (year, month) pairs whose first day is in [start, end]."""
    first = date(start.year, start.month, 1)
    if first < start:
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    pairs = Q(pk__in=[])
    while first <= end:
        pairs |= Q(year=first.year, month=first.month)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return pairs


@spend_source("manual")
def manual_spend(organization_id: int, start: date, end: date) -> Iterable[SpendRow]:
    costs = ManualCost.objects.filter(_months(start, end), organization_id=organization_id)
    for cost in costs.only("service", "amount", "currency", "converted_amount"):
        converted = cost.converted_amount is not None
        yield SpendRow(
            source="manual",
            service=cost.service,
            model=None,
            amount=cost.converted_amount,
            unconverted_amount=None if converted else cost.amount,
            unconverted_currency=None if converted else cost.currency,
        )


# The service of an expense whose vendor is none of the 13 services.
OTHER_SERVICE = "other"


@spend_source("expense")
def expense_spend(organization_id: int, start: date, end: date) -> Iterable[SpendRow]:
    """Confirmed expenses of the days in [start, end]; drafts are not spend yet."""
    expenses = Expense.objects.filter(
        organization_id=organization_id,
        status=ExpenseStatus.CONFIRMED,
        date__gte=start,
        date__lte=end,
    )
    for expense in expenses.only("service", "amount", "currency", "converted_amount"):
        converted = expense.converted_amount is not None
        yield SpendRow(
            source="expense",
            service=expense.service or OTHER_SERVICE,
            model=None,
            amount=expense.converted_amount,
            unconverted_amount=None if converted else expense.amount,
            unconverted_currency=None if converted else expense.currency,
        )


@dataclass
class Spend:
    """Spend of one group: `amount` in the reporting currency; what could not be
    converted kept apart per currency; events that had no price counted."""

    service: str | None
    model: str | None
    amount: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unpriced_events: int = 0
    # Whether any part of the group has an amount in the reporting currency: it tells a
    # group of only unpriced events or unconverted costs (no amount) from one whose amount
    # is 0. Left out of equality: two groups with the same figures are the same spend.
    valued: bool = field(default=False, compare=False)

    @property
    def wholly_unpriced(self) -> bool:
        """Spend, none of it with an amount in the reporting currency."""
        return not self.valued and bool(self.unpriced_events or self.unconverted)

    @property
    def priced_amount(self) -> Decimal | None:
        """The amount in the reporting currency; None when the group has spend and none of
        it could be priced or converted, because 0 for spend we cannot value would be a
        lie. Beside it, `unpriced_events` and `unconverted` say what it leaves out."""
        return None if self.wholly_unpriced else self.amount


def spend_combined(parts: Iterable[Spend]) -> Spend:
    """The spend of disjoint groups, added up into one (no second read of the sources)."""
    total = Spend(service=None, model=None)
    for part in parts:
        total.amount += part.amount
        for currency, amount in part.unconverted.items():
            total.unconverted[currency] = total.unconverted.get(currency, Decimal(0)) + amount
        total.unpriced_events += part.unpriced_events
        total.valued = total.valued or part.valued
    return total


GROUPINGS = frozenset({"service", "model"})


def spend_by(
    *,
    organization_id: int,
    start: date,
    end: date,
    group_by: tuple[str, ...] = ("service",),
    service: str | None = None,
    sources: Iterable[str] | None = None,
) -> list[Spend]:
    """Spend of every source (or those named) grouped by service and/or model, largest
    first. `service` keeps one service's spend only (one of the 13 or a provider name)."""
    assert set(group_by) <= GROUPINGS, group_by
    groups: dict[tuple[str | None, str | None], Spend] = {}
    for name in sources if sources is not None else SOURCES:
        for row in SOURCES[name](organization_id, start, end):
            if service is not None and row.service != service:
                continue
            key = (
                row.service if "service" in group_by else None,
                row.model if "model" in group_by else None,
            )
            spend = groups.get(key)
            if spend is None:
                spend = groups[key] = Spend(service=key[0], model=key[1])
            if row.amount is not None:
                spend.amount += row.amount
                spend.valued = True
            elif row.unconverted_amount is not None and row.unconverted_currency:
                currency = row.unconverted_currency
                spend.unconverted[currency] = (
                    spend.unconverted.get(currency, Decimal(0)) + row.unconverted_amount
                )
            spend.unpriced_events += row.unpriced_events
    return sorted(groups.values(), key=lambda s: (-s.amount, s.service or "", s.model or ""))


__all__ = [
    "OTHER_SERVICE",
    "SOURCES",
    "Service",
    "Spend",
    "SpendRow",
    "providers_of_service",
    "spend_by",
    "spend_combined",
    "spend_source",
]
