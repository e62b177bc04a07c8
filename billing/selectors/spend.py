"""One spend reader over every source: API usage, manual costs, expenses, and what a synced
provider billed beyond the events (untracked spend).

A source is a function `(organization_id, start, end) -> Iterable[SpendRow]` registered in
`SOURCES`; `spend_by` groups whatever the sources return, so a new source plugs in by
registering itself and no reader changes.

Periods are whole UTC days, `start` and `end` both included. A monthly cost (a manual
cost) belongs to the period holding the first day of its month, so consecutive periods
never count one month twice. An expense belongs to the period holding its day.

**The max rule (untracked spend).** A provider whose admin API is synced (OpenAI,
Anthropic: `ProviderIntegration`) reports what it billed per UTC day (`ProviderCostBucket`).
Our own events of that provider's service are already spend (source "usage"), so the bill is
not added on top of them: the "untracked" source adds, per provider and synced day, only
`billed - tracked` when the bill is higher, where `tracked` is the cost of the events booked
to that provider's service (`service_of_provider`). Every reader (costs, budgets,
projections) thus sees `max(billed, tracked)` per provider and day: the real bill where it
is higher, our own events where they are (over-reporting, or a bill not final yet), and
never tracked usage counted twice. A day counts only once synced (before the day of
`costs_synced_until`); a day not synced yet adds nothing (it is "not synced", not "0
billed"). A day with a cost line that has no exchange rate to the reporting currency
cannot be compared and adds nothing either (the reconciliation shows it as unconverted).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from billing.models import (
    Expense,
    ExpenseStatus,
    ManualCost,
    ProviderCostBucket,
    ProviderIntegration,
    Service,
    SyncedProvider,
)
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


# -- What synced providers billed against what the events account for --------------------


@dataclass(frozen=True)
class ProviderDay:
    """One synced provider's UTC day: what it billed (converted to the reporting currency)
    against the cost of the events booked to its service."""

    provider: str
    day: date
    synced: bool  # the provider's cost report covers the whole day
    billed: Decimal  # converted cost lines; 0 for a synced day with none
    unconverted_lines: int  # cost lines with no exchange rate: the day is not judged
    tracked: Decimal  # priced events of the provider's service
    unpriced_events: int  # its events with no cost, not in `tracked`

    @property
    def judged(self) -> bool:
        """Whether billed and tracked can be compared: synced, every line converted."""
        return self.synced and not self.unconverted_lines

    @property
    def untracked(self) -> Decimal | None:
        """Billed beyond what the events account for; None when not judged."""
        return max(self.billed - self.tracked, Decimal(0)) if self.judged else None

    @property
    def over_reported(self) -> Decimal | None:
        """What the events account for beyond the bill; None when not judged."""
        return max(self.tracked - self.billed, Decimal(0)) if self.judged else None


def _service_of_provider_sql() -> Case:
    """`service_of_provider` of a rollup's provider, in SQL."""
    return Case(
        *(When(provider=p, then=Value(s)) for p, s in PROVIDER_SERVICES.items()),
        default=F("provider"),
        output_field=CharField(),
    )


def synced_providers_of_service(service: str) -> list[str]:
    """The synced providers whose bills belong to `service` (none for most services)."""
    return [p for p in SyncedProvider.values if service_of_provider(p) == service]


def provider_days(
    organization_id: int, start: date, end: date, *, providers: Iterable[str] | None = None
) -> dict[tuple[str, date], ProviderDay]:
    """Every (synced provider, UTC day) of [start, end] that has a cost line or tracked
    events, of every synced provider or those named, in one query: the cost lines per day,
    the rollups per day and service, and each integration's `costs_synced_until`, as one
    UNION (three reads would be three queries on every spend read). A day with neither is
    left out: nothing billed, nothing tracked."""
    providers = list(SyncedProvider.values if providers is None else providers)
    tracked_providers = [p for service in providers for p in providers_of_service(service)]
    columns = ("part", "name", "on", "amount", "count")
    billed = (
        ProviderCostBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            day__gte=start,
            day__lte=end,
        )
        .values("provider", "day")
        .annotate(
            part=Value("billed", output_field=CharField()),
            name=F("provider"),
            on=F("day"),
            amount=Sum("converted_amount"),
            count=Count("pk", filter=Q(converted_amount__isnull=True)),
        )
        .values_list(*columns)
        .order_by()
    )
    integrations = ProviderIntegration.objects.filter(
        organization_id=organization_id, provider__in=providers
    )
    tracked = (
        DailyRollup.objects.filter(
            # An organization with no integration (most) skips the rollups altogether: one
            # uncorrelated EXISTS, evaluated once.
            Exists(integrations),
            organization_id=organization_id,
            provider__in=tracked_providers,
            hour__gte=_midnight(start),
            hour__lt=_midnight(end + timedelta(days=1)),
        )
        .annotate(name=_service_of_provider_sql(), on=TruncDate("hour", tzinfo=UTC))
        .values("name", "on")
        .annotate(
            part=Value("tracked", output_field=CharField()),
            amount=Sum("cost"),
            count=Sum("unpriced_events"),
        )
        .values_list(*columns)
        .order_by()
    )
    synced = (
        integrations.filter(costs_synced_until__isnull=False)
        .annotate(
            part=Value("synced", output_field=CharField()),
            name=F("provider"),
            on=TruncDate("costs_synced_until", tzinfo=UTC),
            amount=Value(None, output_field=DecimalField()),
            count=Value(0),
        )
        .values_list(*columns)
        .order_by()
    )
    synced_before: dict[str, date] = {}
    sums: dict[tuple[str, date], dict[str, tuple[Decimal, int]]] = {}
    for part, name, on, amount, count in billed.union(tracked, synced, all=True):
        if part == "synced":
            synced_before[name] = on
        else:
            sums.setdefault((name, on), {})[part] = (Decimal(amount or 0), int(count or 0))
    days = {}
    for (name, on), parts in sums.items():
        billed_amount, unconverted = parts.get("billed", (Decimal(0), 0))
        tracked_amount, unpriced = parts.get("tracked", (Decimal(0), 0))
        days[name, on] = ProviderDay(
            provider=name,
            day=on,
            synced=name in synced_before and on < synced_before[name],
            billed=billed_amount,
            unconverted_lines=unconverted,
            tracked=tracked_amount,
            unpriced_events=unpriced,
        )
    return days


# Sources whose spend is per UTC day like API usage (budgets project them); the others are
# the month's fixed costs (billing.selectors.budgets).
DAILY_SOURCES = ("usage", "untracked")


@spend_source("untracked")
def untracked_spend(organization_id: int, start: date, end: date) -> Iterable[SpendRow]:
    """What synced providers billed beyond our events, per provider (the max rule, in the
    module's docstring): one query."""
    untracked: dict[str, Decimal] = {}
    for (provider, _), day in provider_days(organization_id, start, end).items():
        if day.untracked:
            untracked[provider] = untracked.get(provider, Decimal(0)) + day.untracked
    for provider, amount in sorted(untracked.items()):
        yield SpendRow(
            source="untracked", service=service_of_provider(provider), model=None, amount=amount
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
    "DAILY_SOURCES",
    "OTHER_SERVICE",
    "SOURCES",
    "ProviderDay",
    "Service",
    "Spend",
    "SpendRow",
    "provider_days",
    "providers_of_service",
    "spend_by",
    "spend_combined",
    "spend_source",
    "synced_providers_of_service",
]
