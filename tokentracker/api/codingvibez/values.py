"""How times and money render on the CodingVibez surface."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokentracker.api.render import number
from usage.dates import iso_z as iso
from usage.selectors.usage import UsageScope, UsageTotals

from .schemas import CodingVibezPeriod

# Per-hour and per-request figures are divisions; twelve places is the cost columns' scale.
_COST_PLACES = 12


def money(amount: Decimal) -> float:
    return number(amount, _COST_PLACES)


def money_or_none(amount: Decimal | None) -> float | None:
    return None if amount is None else money(amount)


def cost_of(totals: UsageTotals) -> float | None:
    """The priced cost; null when there were events and none of them had a cost in the
    reporting currency, because showing $0 for spend we cannot price would be a lie."""
    return money_or_none(totals.priced_cost)


def period_of(scope: UsageScope) -> CodingVibezPeriod:
    return CodingVibezPeriod(
        startDate=scope.start.date().isoformat(),
        endDate=(scope.end - timedelta(microseconds=1)).date().isoformat(),
        start=iso(scope.start),
        end=iso(scope.end),
    )


def unconverted_money(amounts: dict[str, Decimal]) -> dict[str, float]:
    """Costs waiting for an exchange rate, per currency as entered."""
    return {currency: money(amount) for currency, amount in sorted(amounts.items())}


def money_unless_unvalued(amount: Decimal, *, unvalued: bool) -> float | None:
    """`amount`, or null when none of the spend it sums could be valued (every event
    unpriced, every cost unconverted): unknown, not 0."""
    return None if unvalued else money(amount)


def month_label(moment: datetime) -> str:
    """The UTC calendar month of `moment`, YYYY-MM."""
    return f"{moment.astimezone(UTC):%Y-%m}"
