"""The days a provider's sync covers, and amounts kept per currency."""

from datetime import UTC, date, datetime, time
from decimal import Decimal


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_of(moment: datetime | None) -> date | None:
    """The first day not wholly covered by a sync that reached `moment`."""
    return None if moment is None else moment.astimezone(UTC).date()


def add_amount(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal(0)) + amount


class Span:
    """The days of a provider one sync side covers: from its first bucket to the day of
    its frontier (excluded)."""

    def __init__(self, first: date | None, until: date | None) -> None:
        self.first, self.until = first, until

    def __contains__(self, day: date) -> bool:
        return self.first is not None and self.until is not None and self.first <= day < self.until
