"""Loading the ECB's euro reference rates (`eurofxref-hist.csv`) into `ExchangeRate`.

The file is the one the ECB publishes at
https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip: a header `Date,USD,JPY,...`
ending in an empty column, then one line per TARGET working day, newest first, each cell a
rate per 1 EUR or `N/A` when the currency was not quoted that day (before it existed, after
it joined the euro). No CSV library knows this layout; the standard `csv` module reads the
cells and the rules below are the format's.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ..currencies import currency_code
from ..models import ExchangeRate, RateSource
from ..money import exchange_rates_changed, money_book_invalidate

_NO_RATE = frozenset({"", "N/A"})
_BATCH = 5000
# ExchangeRate.rate's column: 20 digits, 8 of them decimal places.
_MAX_RATE = Decimal(10) ** 12


class RatesFileInvalid(ValueError):
    """The file is not in the ECB's format; nothing was loaded."""


@dataclass(frozen=True)
class RatesLoaded:
    days: int
    rates: int  # rates in the file
    created: int
    updated: int
    skipped_currencies: tuple[str, ...]  # columns that are not current ISO 4217 codes


def ecb_rates_parse(text: str) -> tuple[dict[tuple[str, date], Decimal], int, tuple[str, ...]]:
    """The rates of an ECB history file by (currency, day), its day count, and the columns
    skipped (currencies withdrawn from ISO 4217, such as CYP or HRK, that no event can be
    reported in). Raises RatesFileInvalid naming the line and column at fault."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise RatesFileInvalid(
            "not an ECB eurofxref-hist.csv file: the first line must start with Date"
        )
    columns: list[str | None] = []
    skipped = []
    for name in header[1:]:
        name = name.strip()
        if not name:
            columns.append(None)  # the trailing empty column
            continue
        try:
            columns.append(currency_code(name))
        except ValueError:
            columns.append(None)
            skipped.append(name)
    rates: dict[tuple[str, date], Decimal] = {}
    days = 0
    for line_number, cells in enumerate(reader, start=2):
        if not cells or not any(cell.strip() for cell in cells):
            continue
        try:
            day = date.fromisoformat(cells[0].strip())
        except ValueError:
            raise RatesFileInvalid(
                f"line {line_number}: {cells[0]!r} is not a date (YYYY-MM-DD)"
            ) from None
        if len(cells) > len(header):
            raise RatesFileInvalid(
                f"line {line_number}: {len(cells)} cells, the header has {len(header)}"
            )
        days += 1
        for currency, cell in zip(columns, cells[1:], strict=False):
            cell = cell.strip()
            if currency is None or cell in _NO_RATE:
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                rate = None
            if rate is None or not rate.is_finite() or not 0 < rate < _MAX_RATE:
                raise RatesFileInvalid(
                    f"line {line_number}, {currency}: {cell!r} is not a positive rate"
                )
            rates[(currency, day)] = rate
    if not days:
        raise RatesFileInvalid("the file has a header but no rates")
    return rates, days, tuple(skipped)


def exchange_rates_load(*, text: str) -> RatesLoaded:
    """Upsert the rates of an ECB history file: new days are added, changed rates updated,
    the rest left alone, so loading the same file twice changes nothing. All or nothing.
    Once committed, events waiting for these rates are converted (usage listens to
    `exchange_rates_changed`)."""
    rates, days, skipped = ecb_rates_parse(text)
    currencies = {currency for currency, _ in rates}
    stored = {
        (currency, day): (pk, rate)
        for pk, currency, day, rate in ExchangeRate.objects.filter(
            currency__in=currencies
        ).values_list("pk", "currency", "day", "rate")
    }
    now = timezone.now()
    new, changed = [], []
    for (currency, day), rate in rates.items():
        found = stored.get((currency, day))
        if found is None:
            new.append(
                ExchangeRate(
                    day=day, currency=currency, rate=rate, source=RateSource.ECB, updated_at=now
                )
            )
        elif found[1] != rate:
            changed.append(
                ExchangeRate(
                    pk=found[0],
                    day=day,
                    currency=currency,
                    rate=rate,
                    source=RateSource.ECB,
                    updated_at=now,
                )
            )
    with transaction.atomic():
        ExchangeRate.objects.bulk_create(new, batch_size=_BATCH)
        ExchangeRate.objects.bulk_update(
            changed, ["rate", "source", "updated_at"], batch_size=_BATCH
        )
        if new or changed:
            money_book_invalidate()
            transaction.on_commit(lambda: exchange_rates_changed.send(sender=ExchangeRate))
    return RatesLoaded(
        days=days,
        rates=len(rates),
        created=len(new),
        updated=len(changed),
        skipped_currencies=skipped,
    )
