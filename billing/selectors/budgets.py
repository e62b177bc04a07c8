"""Reads of budgets: the spend of a budget's scope in a month, per UTC day and projected to
the month's end, and each budget's status (what pages and endpoints render).

A scope's spend has two parts. The daily part is spend per UTC day: usage (the daily
rollups, or raw events for an API key or a developer, which are no rollup dimension:
`usage.selectors.spend`) and untracked spend (what a synced provider billed beyond the
events of the day, `billing.selectors.spend`'s max rule). Untracked spend is usage our
integrations did not report: it grows with activity day by day, so it is projected with
the usage, not counted as fixed; a day the provider has not billed yet holds usage only,
which the projection's trend sees as it sees a quiet day. Everything else `spend_by` knows
(manual costs, expenses) is the month's fixed part, counted as it is and not extrapolated.
Manual costs, expenses and provider bills belong to a service, never to a project, key or
developer (a provider's project ids are not our projects), so those three scopes are usage
only.

Every figure is in the organization's reporting currency. A budget's `amount` was set in
the reporting currency of its day (`Budget.currency`); when that has changed since, the
amount is converted at the rate of the day evaluated. With no rate for that day the amount
is unknown: the status says so (`amount` None, `problem`) and no threshold is judged on a
guessed amount.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from django.db.models import QuerySet

from billing.models import Budget, BudgetAlert, BudgetScope, SyncedProvider
from billing.projections import LOOKBACK_DAYS, Projection, project_month
from billing.selectors.spend import (
    DAILY_SOURCES,
    SOURCES,
    ProviderDay,
    provider_days,
    providers_of_service,
    spend_by,
    synced_providers_of_service,
)
from tokentracker.money import money_convert, reporting_currency_of
from usage.selectors.spend import (
    DailyCost,
    daily_costs,
    daily_costs_by_provider_and_project,
    daily_costs_of_events,
)

PERCENT_QUANTUM = Decimal("0.01")


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_last(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class SpendScope:
    """Whose spend: the organization's, or one service's, project's, API key's or
    developer's within it."""

    organization_id: int
    service: str | None = None
    project: str | None = None
    api_key_id: int | None = None
    developer_id: str | None = None

    @classmethod
    def of_budget(cls, budget: Budget) -> "SpendScope":
        narrowing = {
            BudgetScope.ORGANIZATION: {},
            BudgetScope.SERVICE: {"service": budget.service},
            BudgetScope.PROJECT: {"project": budget.project},
            BudgetScope.API_KEY: {"api_key_id": budget.api_key_id},
            BudgetScope.DEVELOPER: {"developer_id": budget.developer_id},
        }[BudgetScope(budget.scope)]
        return cls(budget.organization_id, **narrowing)

    @property
    def has_monthly_costs(self) -> bool:
        """Monthly costs (manual costs, ...) and provider bills are booked per service, so
        only the organization and service scopes hold them."""
        return self.project is None and self.api_key_id is None and self.developer_id is None

    @property
    def synced_providers(self) -> list[str]:
        """The synced providers whose untracked spend is this scope's."""
        if not self.has_monthly_costs:
            return []
        if self.service is None:
            return list(SyncedProvider.values)
        return synced_providers_of_service(self.service)

    def provider_days(self, start: date, end: date) -> list[ProviderDay]:
        """The scope's synced providers' days of [start, end]: billed against tracked."""
        providers = self.synced_providers
        if not providers:
            return []
        return list(provider_days(self.organization_id, start, end, providers=providers).values())

    def usage_daily(self, start: date, end: date) -> dict[date, DailyCost]:
        if self.api_key_id is not None or self.developer_id is not None:
            return daily_costs_of_events(
                organization_id=self.organization_id,
                start=start,
                end=end,
                api_key_id=self.api_key_id,
                developer_id=self.developer_id,
            )
        return daily_costs(
            organization_id=self.organization_id,
            start=start,
            end=end,
            providers=providers_of_service(self.service) if self.service else (),
            project=self.project,
        )

    def monthly(self, month: date) -> "MonthlyCosts":
        """The month's spend of every source but usage (see the module's docstring)."""
        if not self.has_monthly_costs:
            return MonthlyCosts()
        groups = spend_by(
            organization_id=self.organization_id,
            start=month_first(month),
            end=month_last(month),
            group_by=(),
            service=self.service,
            sources=[name for name in SOURCES if name not in DAILY_SOURCES],
        )
        costs = MonthlyCosts()
        for group in groups:
            costs.amount += group.amount
            for currency, amount in group.unconverted.items():
                costs.unconverted[currency] = costs.unconverted.get(currency, Decimal(0)) + amount
        return costs


@dataclass(frozen=True)
class BilledMonth:
    """What the scope's synced providers billed in a month (judged days only: synced, every
    line converted) and the part of it no event of ours accounts for."""

    billed: Decimal = Decimal(0)
    untracked: Decimal = Decimal(0)

    def untracked_over(self, percent: int) -> bool:
        """Whether untracked spend is over `percent` of the bill (strictly; exactly)."""
        return self.billed > 0 and self.untracked * 100 > self.billed * percent


@dataclass
class MonthlyCosts:
    amount: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)  # per original currency


@dataclass(frozen=True)
class ScopeMonth:
    """One scope's spend read for `now`'s month: usage and untracked spend per day (with
    history), the month's other costs, and the projection made of them."""

    daily: dict[date, Decimal]
    monthly: MonthlyCosts
    unpriced_events: int  # this month's usage events without a cost
    projection: Projection
    billed: BilledMonth = BilledMonth()


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC)


def _window(now: datetime) -> tuple[date, date]:
    """The days a projection of `now`'s month reads, through today: the engine's
    `LOOKBACK_DAYS` before today, all it looks at (its fits and its range's rolling
    origins) and the window its backtest measured (bench/RESULTS.md). That always holds the
    month's first day too, which the month's spend needs."""
    today = _utc(now).date()
    return min(month_first(today), today - timedelta(days=LOOKBACK_DAYS)), today


class SpendReader(Protocol):
    def usage_daily(self, scope: SpendScope, start: date, end: date) -> dict[date, DailyCost]: ...

    def provider_days(self, scope: SpendScope, start: date, end: date) -> list[ProviderDay]: ...

    def monthly(self, scope: SpendScope, month: date) -> MonthlyCosts: ...


class _EachScope:
    """Reads each scope's spend with its own queries."""

    def usage_daily(self, scope: SpendScope, start: date, end: date) -> dict[date, DailyCost]:
        return scope.usage_daily(start, end)

    def provider_days(self, scope: SpendScope, start: date, end: date) -> list[ProviderDay]:
        return scope.provider_days(start, end)

    def monthly(self, scope: SpendScope, month: date) -> MonthlyCosts:
        return scope.monthly(month)


class _OrganizationRead:
    """One organization's spend of one projection window, read once (rollups per day,
    provider and project; synced providers' bills against the events per day; monthly costs
    per service) and cut per scope in memory, so a list of budgets costs the same few
    queries whatever its length. API key and developer scopes still read their own raw
    events."""

    def __init__(self, organization_id: int, *, now: datetime) -> None:
        self.start, self.end = _window(now)
        self.month = month_first(self.end)
        self.rows = daily_costs_by_provider_and_project(
            organization_id=organization_id, start=self.start, end=self.end
        )
        self.days = list(provider_days(organization_id, self.start, self.end).values())
        self.by_service: dict[str | None, MonthlyCosts] = {}
        for group in spend_by(
            organization_id=organization_id,
            start=self.month,
            end=month_last(self.month),
            group_by=("service",),
            sources=[name for name in SOURCES if name not in DAILY_SOURCES],
        ):
            self.by_service[group.service] = MonthlyCosts(group.amount, dict(group.unconverted))

    def usage_daily(self, scope: SpendScope, start: date, end: date) -> dict[date, DailyCost]:
        assert (start, end) == (self.start, self.end), "read for another window"
        if scope.api_key_id is not None or scope.developer_id is not None:
            return scope.usage_daily(start, end)
        providers = set(providers_of_service(scope.service)) if scope.service else None
        sums: dict[date, tuple[Decimal, int]] = {}
        for row in self.rows:
            if providers is not None and row.provider not in providers:
                continue
            if scope.project is not None and row.project != scope.project:
                continue
            cost, unpriced = sums.get(row.day, (Decimal(0), 0))
            sums[row.day] = (cost + row.cost.cost, unpriced + row.cost.unpriced_events)
        return {day: DailyCost(cost, unpriced) for day, (cost, unpriced) in sums.items()}

    def provider_days(self, scope: SpendScope, start: date, end: date) -> list[ProviderDay]:
        assert (start, end) == (self.start, self.end), "read for another window"
        providers = scope.synced_providers
        return [day for day in self.days if day.provider in providers]

    def monthly(self, scope: SpendScope, month: date) -> MonthlyCosts:
        assert month == self.month, "read for another month"
        costs = MonthlyCosts()
        if not scope.has_monthly_costs:
            return costs
        for service, group in self.by_service.items():
            if scope.service is not None and service != scope.service:
                continue
            costs.amount += group.amount
            for currency, amount in group.unconverted.items():
                costs.unconverted[currency] = costs.unconverted.get(currency, Decimal(0)) + amount
        return costs


def scope_month(
    scope: SpendScope, *, now: datetime, reader: SpendReader | None = None
) -> ScopeMonth:
    reader = reader or _EachScope()
    now = _utc(now)
    start, today = _window(now)
    first = month_first(today)
    usage = reader.usage_daily(scope, start, today)
    daily = {day: cost.cost for day, cost in usage.items()}
    billed = untracked = Decimal(0)
    for day in reader.provider_days(scope, start, today):
        if day.untracked:
            daily[day.day] = daily.get(day.day, Decimal(0)) + day.untracked
        if day.day >= first and day.judged:
            billed += day.billed
            untracked += day.untracked or Decimal(0)
    monthly = reader.monthly(scope, first)
    return ScopeMonth(
        daily=daily,
        monthly=monthly,
        unpriced_events=sum(cost.unpriced_events for day, cost in usage.items() if day >= first),
        projection=project_month(daily, now=now, fixed=monthly.amount),
        billed=BilledMonth(billed, untracked),
    )


# -- Per budget ---------------------------------------------------------------------------


def budget_daily_spend(budget: Budget, *, start: date, end: date) -> dict[date, Decimal]:
    """The daily part of the budget's spend (usage and untracked spend) per UTC day of
    [start, end] (both included); days without either are left out. Add
    `budget_monthly_spend` for the whole spend."""
    scope = SpendScope.of_budget(budget)
    daily = {day: cost.cost for day, cost in scope.usage_daily(start, end).items()}
    for day in scope.provider_days(start, end):
        if day.untracked:
            daily[day.day] = daily.get(day.day, Decimal(0)) + day.untracked
    return daily


def budget_monthly_spend(budget: Budget, *, month: date) -> Decimal:
    """The fixed part of the budget's spend in `month` (any day of it): manual costs,
    expenses and other monthly sources, converted ones only. Zero for project, API key and developer
    budgets."""
    return SpendScope.of_budget(budget).monthly(month).amount


def budget_month_spend(budget: Budget, *, month: date) -> Decimal:
    """Spend of the budget's scope in the calendar month holding `month`, in the
    organization's reporting currency (unpriced events and unconverted costs left out).

    The organization and service scopes are `spend_by` (every source); projects, API keys
    and developers are usage only. API keys and developers read raw events (no rollup
    dimension): one aggregate per budget and month, acceptable for budgets.
    """
    scope = SpendScope.of_budget(budget)
    first, last = month_first(month), month_last(month)
    if scope.has_monthly_costs:
        groups = spend_by(
            organization_id=scope.organization_id,
            start=first,
            end=last,
            group_by=(),
            service=scope.service,
        )
        return sum((group.amount for group in groups), Decimal(0))
    return sum((cost.cost for cost in scope.usage_daily(first, last).values()), Decimal(0))


def budget_projection(budget: Budget, *, now: datetime) -> Projection:
    """The budget scope's spend projected to the end of `now`'s month (UTC)."""
    return scope_month(SpendScope.of_budget(budget), now=now).projection


def organization_projection(
    organization_id: int, *, now: datetime, service: str | None = None
) -> Projection:
    """The organization's spend (or one service's) projected to the end of `now`'s month."""
    return scope_month(SpendScope(organization_id, service=service), now=now).projection


@dataclass(frozen=True)
class BudgetAmount:
    """A budget's amount in the reporting currency, or why it is not known."""

    amount: Decimal | None
    currency: str
    problem: str | None = None


def budget_amount(budget: Budget, *, on: date) -> BudgetAmount:
    """The budget's amount in the organization's current reporting currency: converted at
    the rate of `on` when it was set in another one; None (with the reason) without a rate,
    so nothing is judged against a guess."""
    reporting = reporting_currency_of(budget.organization_id)
    if budget.currency == reporting:
        return BudgetAmount(budget.amount, reporting)
    converted = money_convert(amount=budget.amount, currency=budget.currency, to=reporting, on=on)
    if converted is None:
        return BudgetAmount(
            None,
            reporting,
            f"No exchange rate from {budget.currency} to {reporting} for {on.isoformat()}: "
            "the amount cannot be compared with spend until rates are loaded.",
        )
    return BudgetAmount(converted, reporting)


@dataclass(frozen=True)
class BudgetStatus:
    """A budget against this month's spend; every figure in `currency` (the organization's
    reporting currency)."""

    budget: Budget
    month: date  # its first day
    currency: str
    amount: Decimal | None  # None: set in another currency with no rate today (`problem`)
    spent: Decimal  # this month so far, converted spend only
    projection: Projection
    unconverted: dict[str, Decimal]  # costs waiting for an exchange rate, as sent
    unpriced_events: int  # this month's events without a price, not in `spent`
    problem: str | None = None
    billed: BilledMonth = BilledMonth()  # synced providers' bill of the month, and untracked

    @property
    def remaining(self) -> Decimal | None:
        """What is left this month; negative once over budget."""
        return None if self.amount is None else self.amount - self.spent

    @property
    def percent(self) -> Decimal | None:
        """Spent as a percentage of the amount, to two places."""
        if not self.amount:
            return None
        return (self.spent * 100 / self.amount).quantize(PERCENT_QUANTUM)

    def reached(self, threshold: int) -> bool:
        """Whether `threshold` percent of the amount is spent (exactly, not rounded)."""
        return self.amount is not None and self.spent * 100 >= self.amount * threshold

    @property
    def untracked_over(self) -> bool:
        """Whether the month's untracked spend is over the budget's untracked alert
        percentage of the bill (False when the alert is off)."""
        percent = self.budget.untracked_alert_percent
        return percent is not None and self.billed.untracked_over(percent)

    @property
    def will_exceed(self) -> bool | None:
        """Whether the projected month exceeds the amount; None when it is unknown."""
        return None if self.amount is None else self.projection.estimate > self.amount


def budget_status(
    budget: Budget, *, now: datetime, reader: SpendReader | None = None
) -> BudgetStatus:
    now = _utc(now)
    month = scope_month(SpendScope.of_budget(budget), now=now, reader=reader)
    amount = budget_amount(budget, on=now.date())
    return BudgetStatus(
        budget=budget,
        month=month.projection.month,
        currency=amount.currency,
        amount=amount.amount,
        spent=month.projection.spent,
        projection=month.projection,
        unconverted=month.monthly.unconverted,
        unpriced_events=month.unpriced_events,
        problem=amount.problem,
        billed=month.billed,
    )


def budgets_of_organization(organization_id: int) -> QuerySet[Budget]:
    return Budget.objects.filter(organization_id=organization_id).select_related("api_key")


def budgets_status(
    organization_id: int, *, now: datetime, budgets: Iterable[Budget] | None = None
) -> list[BudgetStatus]:
    """Every budget of the organization (or those given, which must be its own) with this
    month's spend against it, by name."""
    chosen = list(budgets_of_organization(organization_id) if budgets is None else budgets)
    if not chosen:
        return []
    reader = _OrganizationRead(organization_id, now=now)
    statuses = []
    for budget in chosen:
        assert budget.organization_id == organization_id, "another organization's budget"
        statuses.append(budget_status(budget, now=now, reader=reader))
    return statuses


def organizations_with_budgets(organization_ids: Iterable[int] | None = None) -> list[int]:
    """The organizations (of those given, or all) that have a budget."""
    budgets = Budget.objects.all()
    if organization_ids is not None:
        budgets = budgets.filter(organization_id__in=list(organization_ids))
    return sorted(set(budgets.values_list("organization_id", flat=True)))


def alerts_claimed(
    organization_id: int, *, periods: Iterable[date]
) -> set[tuple[int, date, str, int]]:
    """(budget id, period, kind, threshold) of the organization's alerts in `periods`."""
    return set(
        BudgetAlert.objects.filter(
            organization_id=organization_id, period__in=list(periods)
        ).values_list("budget_id", "period", "kind", "threshold")
    )


def alerts_of_organization(organization_id: int) -> QuerySet[BudgetAlert]:
    """The organization's alerts, newest first, with their budget."""
    return BudgetAlert.objects.filter(organization_id=organization_id).select_related("budget")


__all__ = [
    "BilledMonth",
    "BudgetAmount",
    "BudgetStatus",
    "SpendScope",
    "alerts_claimed",
    "alerts_of_organization",
    "budget_amount",
    "budget_daily_spend",
    "budget_month_spend",
    "budget_monthly_spend",
    "budget_projection",
    "budget_status",
    "budgets_of_organization",
    "budgets_status",
    "organization_projection",
    "organizations_with_budgets",
]
