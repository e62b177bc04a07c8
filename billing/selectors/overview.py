"""An organization's month at a glance (what CodingVibez's stats, projections and dashboard
show): its spend this and last month, the budget that applies to a service's spend, and
its latest alerts. Every figure is in the organization's reporting currency.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.models import BudgetAlert, BudgetScope
from billing.selectors.budgets import (
    BudgetStatus,
    alerts_of_organization,
    budgets_of_organization,
    budgets_status,
    month_first,
    month_last,
)
from billing.selectors.spend import spend_by


@dataclass(frozen=True)
class MonthSpend:
    """A calendar month's spend of every source: `amount` is what could be valued;
    costs with no exchange rate are kept apart per currency, unpriced events counted."""

    month: date  # its first day
    amount: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unpriced_events: int = 0

    @property
    def wholly_unvalued(self) -> bool:
        """Spend, none of which could be valued (every event unpriced, every cost waiting
        for a rate): its amount is unknown, not 0."""
        return not self.amount and bool(self.unpriced_events or self.unconverted)


def month_spend(organization_id: int, *, month: date) -> MonthSpend:
    """The organization's spend in the calendar month holding `month`."""
    groups = spend_by(
        organization_id=organization_id,
        start=month_first(month),
        end=month_last(month),
        group_by=(),
    )
    unconverted: dict[str, Decimal] = {}
    for group in groups:
        for currency, amount in group.unconverted.items():
            unconverted[currency] = unconverted.get(currency, Decimal(0)) + amount
    return MonthSpend(
        month=month_first(month),
        amount=sum((group.amount for group in groups), Decimal(0)),
        unconverted=unconverted,
        unpriced_events=sum(group.unpriced_events for group in groups),
    )


def _tightest(statuses: list[BudgetStatus]) -> BudgetStatus | None:
    """The budget that will be exceeded first: the smallest amount, then by name; one
    whose amount is unknown (no exchange rate) only when no other is known."""
    known = [status for status in statuses if status.amount is not None]
    if known:
        return min(known, key=lambda s: (s.amount, s.budget.name, s.budget.pk))
    return statuses[0] if statuses else None


def budget_applying(
    organization_id: int, *, now: datetime, service: str | None = None
) -> BudgetStatus | None:
    """The status of the budget a service's spend (or, without `service`, the whole
    organization's) is held to: the service's own budget, else the organization's; of
    several, the tightest. None when there is neither."""
    budgets = list(budgets_of_organization(organization_id))
    if service is not None:
        own = [b for b in budgets if b.scope == BudgetScope.SERVICE and b.service == service]
        if own:
            return _tightest(budgets_status(organization_id, now=now, budgets=own))
    whole = [b for b in budgets if b.scope == BudgetScope.ORGANIZATION]
    if not whole:
        return None
    return _tightest(budgets_status(organization_id, now=now, budgets=whole))


def alerts_latest(organization_id: int, *, limit: int = 10) -> list[BudgetAlert]:
    """The organization's `limit` most recent budget alerts, newest first."""
    return list(alerts_of_organization(organization_id)[:limit])


__all__ = ["MonthSpend", "alerts_latest", "budget_applying", "month_spend"]
