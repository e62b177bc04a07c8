"""Costs per service and calendar month, for the Costs page and CodingVibez's `/api/costs/*`.

Money comes from `spend_by` (every spend source: API usage, manual costs, confirmed
expenses, and what synced providers billed beyond the events); tokens from the rollups.
Months are UTC calendar months.

A service whose provider is synced (OpenAI, Anthropic) splits its API spend by model as the
max rule counts it (`reconciled_spend_by_model`): each day by the provider's own cost lines
where its bill is that day's spend, by our events' models where they are.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from billing.models import Service
from tokentracker.money import reporting_currency_of
from usage.genai_catalog import provider_display
from usage.selectors.usage import UsageScope, UsageTotals, usage_totals

from .reconciliation import (
    ProviderReconciliation,
    reconciled_spend_by_model,
    reconciliation,
)
from .spend import (
    DAILY_SOURCES,
    OTHER_SERVICE,
    SOURCES,
    Spend,
    providers_of_service,
    spend_by,
    spend_combined,
    synced_providers_of_service,
)

OTHER_LABEL = "Other"


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def current(cls) -> "Month":
        today = timezone.now().astimezone(UTC).date()
        return cls(today.year, today.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def shifted(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def previous(self) -> "Month":
        return self.shifted(-1)

    @property
    def label(self) -> str:
        return f"{calendar.month_abbr[self.month]} {self.year}"

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _spend(
    organization_id: int,
    month: Month,
    group_by: tuple[str, ...],
    service: str | None = None,
    sources: list[str] | None = None,
) -> list[Spend]:
    return spend_by(
        organization_id=organization_id,
        start=month.first_day,
        end=month.last_day,
        group_by=group_by,
        service=service,
        sources=sources,
    )


def change_percent(current: Spend, previous: Spend) -> Decimal | None:
    """The change from `previous` to `current` in percent, to two places; None when there
    is nothing to compare: no priced spend the month before, or no priced part now of spend
    that could not be valued (that would read as -100%)."""
    if previous.amount == 0 or current.priced_amount is None:
        return None
    change = (current.amount - previous.amount) * 100 / previous.amount
    return change.quantize(Decimal("0.01"), ROUND_HALF_UP)


def service_tokens(*, organization_id: int, service: str, month: Month) -> UsageTotals:
    """The tokens of the providers booked to `service` in `month`, from the rollups."""
    scope = UsageScope.covering(
        organization_id,
        datetime.combine(month.first_day, time.min, tzinfo=UTC),
        datetime.combine(month.shifted(1).first_day, time.min, tzinfo=UTC),
        providers=providers_of_service(service),
    )
    return usage_totals(scope)


@dataclass(frozen=True)
class ServiceCosts:
    service: str
    month: Month
    currency: str
    current: Spend
    previous: Spend
    by_model: list[Spend]  # the month's spend per model; `model` None: spend with no model
    tokens: UsageTotals
    # The service's synced providers over the month (no models); empty: none is synced, the
    # spend is our events' (and manual costs', expenses') alone.
    reconciled: list[ProviderReconciliation]

    @property
    def last_sync(self) -> datetime | None:
        """The oldest of the synced providers' last successful syncs: how old the bill is."""
        moments = [provider.last_success_at for provider in self.reconciled]
        if not moments or None in moments:
            return None
        return min(moment for moment in moments if moment is not None)


def _by_model_reconciled(
    organization_id: int, service: str, month: Month, providers: list[str]
) -> list[Spend]:
    """`spend_by` per model, its API part (usage and untracked spend) split by the side
    each day counts; unpriced events stay with their models."""
    amounts = reconciled_spend_by_model(
        organization_id=organization_id,
        providers=providers,
        start=month.first_day,
        end=month.last_day,
    )
    groups = {
        spend.model: spend
        for spend in _spend(
            organization_id,
            month,
            group_by=("model",),
            service=service,
            sources=[name for name in SOURCES if name not in DAILY_SOURCES],
        )
    }
    for spend in _spend(
        organization_id, month, group_by=("model",), service=service, sources=["usage"]
    ):
        group = groups.setdefault(spend.model, Spend(service=None, model=spend.model))
        group.unpriced_events += spend.unpriced_events
    for model, amount in amounts.items():
        group = groups.setdefault(model, Spend(service=None, model=model))
        group.amount += amount
        group.valued = True
    return sorted(groups.values(), key=lambda s: (-s.amount, s.service or "", s.model or ""))


def service_costs(*, organization_id: int, service: str, month: Month) -> ServiceCosts:
    """One service's spend in `month` (by model) and the month before, and its tokens."""
    providers = synced_providers_of_service(service)
    reconciled = []
    if providers:
        reconciled = [
            provider
            for provider in reconciliation(
                organization_id=organization_id,
                start=month.first_day,
                end=month.last_day,
                providers=providers,
                with_models=False,
            )
            if provider.costs_synced_until is not None
        ]
    if reconciled:
        names = [provider.provider for provider in reconciled]
        by_model = _by_model_reconciled(organization_id, service, month, names)
    else:
        by_model = _spend(organization_id, month, group_by=("model",), service=service)
    previous = _spend(organization_id, month.previous, group_by=(), service=service)
    return ServiceCosts(
        service=service,
        month=month,
        currency=reporting_currency_of(organization_id),
        current=spend_combined(by_model),
        previous=spend_combined(previous),
        by_model=by_model,
        tokens=service_tokens(organization_id=organization_id, service=service, month=month),
        reconciled=reconciled,
    )


@dataclass(frozen=True)
class OrganizationCosts:
    month: Month
    currency: str
    total: Spend
    previous: Spend
    by_service: list[Spend]

    @property
    def change_percent(self) -> Decimal | None:
        return change_percent(self.total, self.previous)


def organization_costs(*, organization_id: int, month: Month) -> OrganizationCosts:
    """Every service's spend in `month`, the total, and the month before's total."""
    by_service = _spend(organization_id, month, group_by=("service",))
    previous = _spend(organization_id, month.previous, group_by=())
    return OrganizationCosts(
        month=month,
        currency=reporting_currency_of(organization_id),
        total=spend_combined(by_service),
        previous=spend_combined(previous),
        by_service=by_service,
    )


@dataclass(frozen=True)
class ServiceRow:
    service: str
    months: list[Spend]  # one per month of the table, oldest first

    @property
    def label(self) -> str:
        """Its name: one of the 13 services, Other (expenses with another vendor), or a
        provider outside them."""
        if self.service in Service.values:
            return Service(self.service).label
        if self.service == OTHER_SERVICE:
            return OTHER_LABEL
        return provider_display(self.service)

    @property
    def change_percent(self) -> Decimal | None:
        """The last month against the one before."""
        return change_percent(self.months[-1], self.months[-2])


@dataclass(frozen=True)
class CostsByMonth:
    months: list[Month]  # oldest first; the last is the month asked for
    currency: str
    services: list[ServiceRow]  # costliest in the last month first
    totals: list[Spend]

    @property
    def change_percent(self) -> Decimal | None:
        return change_percent(self.totals[-1], self.totals[-2])

    @property
    def empty(self) -> bool:
        return not self.services


def costs_by_month(*, organization_id: int, last: Month, count: int = 6) -> CostsByMonth:
    """Each service's spend in the `count` months up to `last` (at least two, for the
    change), with every service that has spend in any of them and the monthly totals."""
    assert count >= 2, count
    months = [last.shifted(offset) for offset in range(1 - count, 1)]
    spent = [
        {spend.service: spend for spend in _spend(organization_id, month, group_by=("service",))}
        for month in months
    ]
    names = {service for month in spent for service in month}
    rows = [
        ServiceRow(
            service=name,
            months=[month.get(name) or Spend(service=name, model=None) for month in spent],
        )
        for name in names
    ]
    rows.sort(
        key=lambda row: (-row.months[-1].amount, -sum(s.amount for s in row.months), row.service)
    )
    return CostsByMonth(
        months=months,
        currency=reporting_currency_of(organization_id),
        services=rows,
        totals=[spend_combined(month.values()) for month in spent],
    )
