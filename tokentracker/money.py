"""The one money mechanism: reporting currencies, exchange rates and conversion.

Every app converts money here (usage's ingest and reconversion, billing later). Rates are
the ECB's euro reference rates (`ExchangeRate`, units per 1 EUR), so any two currencies
convert through the euro: `amount * rate(to) / rate(from)`.

"The rate of its day" is the latest rate published on or before that day, at most
`MAX_RATE_AGE_DAYS` old: the ECB publishes on TARGET working days only, so a Saturday,
Sunday or holiday (Easter is four days, Christmas to New Year up to five) takes the last
working day's rate; a gap longer than a week means the table was not kept up to date, and
inventing a rate from stale data would be worse than saying there is none.

Ingest converts every event, so the rates and the organizations' reporting currencies are
held in memory per process (`VersionedBook`): a currency's series is read once, on first
use, and every edit (a rate, an organization's currency) makes every process reload.
"""

import threading
from bisect import bisect_right
from datetime import date
from decimal import Decimal, localcontext

from django.db import transaction
from django.dispatch import Signal

from .currencies import DEFAULT_CURRENCY
from .models import ExchangeRate, Organization
from .reference_data import VersionedBook

ANCHOR_CURRENCY = "EUR"
MAX_RATE_AGE_DAYS = 7
# Cost columns keep twelve decimal places (usage.models.COST).
MONEY_QUANTUM = Decimal("0.000000000001")
VERSION_CACHE_KEY = "money-book:version"

# Sent after a transaction that changed rates commits (the load command, admin edits):
# usage converts the events that were waiting for a rate.
exchange_rates_changed = Signal()
# Sent, with `organization_id`, when an organization's reporting currency changes
# (inside the transaction): usage converts its events again once it commits.
reporting_currency_changed = Signal()


class MoneyBook:
    """Reporting currencies of the organizations (those not on the default) and, loaded on
    first use, each currency's rate series."""

    def __init__(self, reporting: dict[int, str]) -> None:
        self._reporting = reporting
        self._series: dict[str, tuple[list[int], list[Decimal]]] = {}
        self._lock = threading.Lock()

    def reporting_currency(self, organization_id: int) -> str:
        return self._reporting.get(organization_id, DEFAULT_CURRENCY)

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Units of `currency` per euro on `on`, or None without a usable rate."""
        if currency == ANCHOR_CURRENCY:
            return Decimal(1)
        days, rates = self._series_of(currency)
        day = on.toordinal()
        index = bisect_right(days, day) - 1
        if index < 0 or day - days[index] > MAX_RATE_AGE_DAYS:
            return None
        return rates[index]

    def convert(self, amount: Decimal, currency: str, to: str, on: date) -> Decimal | None:
        if currency == to:
            return amount.quantize(MONEY_QUANTUM)
        rate_from = self.rate(currency, on)
        rate_to = self.rate(to, on)
        if rate_from is None or rate_to is None:
            return None
        # Enough digits that the only rounding is the final one to the cost columns' places.
        with localcontext() as context:
            context.prec = 60
            return (amount * rate_to / rate_from).quantize(MONEY_QUANTUM)

    def _series_of(self, currency: str) -> tuple[list[int], list[Decimal]]:
        series = self._series.get(currency)
        if series is None:
            with self._lock:
                series = self._series.get(currency)
                if series is None:
                    rows = ExchangeRate.objects.filter(currency=currency).order_by("day")
                    pairs = list(rows.values_list("day", "rate"))
                    series = ([day.toordinal() for day, _ in pairs], [rate for _, rate in pairs])
                    self._series[currency] = series
        return series


def _load() -> MoneyBook:
    reporting = dict(
        Organization.objects.exclude(reporting_currency=DEFAULT_CURRENCY).values_list(
            "pk", "reporting_currency"
        )
    )
    return MoneyBook(reporting)


_book = VersionedBook(VERSION_CACHE_KEY, _load)


def money_book_get() -> MoneyBook:
    return _book.get()


def money_book_uncached() -> MoneyBook:
    """A book read from the database now, for work that must not see a copy up to
    `max_age` old (converting events again after rates or a currency changed)."""
    return _load()


def money_book_invalidate() -> None:
    """Make every process reload rates and reporting currencies: now, and again at commit so
    no process can reload the old rows between the bump and the commit."""
    _book.invalidate()
    transaction.on_commit(_book.invalidate)


def money_convert(*, amount: Decimal, currency: str, to: str, on: date) -> Decimal | None:
    """`amount` of `currency` in `to` at the rate of day `on`, to twelve decimal places;
    None when either currency has no rate for that day (see the module's docstring)."""
    return money_book_get().convert(amount, currency, to, on)


def reporting_currency_of(organization_id: int) -> str:
    return money_book_get().reporting_currency(organization_id)
