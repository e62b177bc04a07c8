"""The AI Cost Index arithmetic, apart from the database so it can be checked by hand.

For each day, each constituent model contributes its *closing* price: the catalog version in
effect at the end of that UTC day, so a price change (a dated genai-prices version, or an
admin edit at any hour) shows on the day it happens. A model without an input and an output
price that day is absent, and `constituents` counts only the models present.

The constituents combine as an equally weighted mean:

    input_per_mtok   = mean of the models' input prices
    output_per_mtok  = mean of the models' output prices
    blended_per_mtok = mean of the models' blended prices, blended = (3 * input + output) / 4

(the blended mean equals `(3 * input_per_mtok + output_per_mtok) / 4`). Equal weights keep
the index a statement about list prices, not about who uses which model; each figure is
rounded to 10 decimal places, the catalog's precision, only at the end.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

PRICE_QUANTUM = Decimal("0.0000000001")


@dataclass(frozen=True)
class PriceVersion:
    effective_from: datetime | None
    effective_to: datetime | None
    input_per_mtok: Decimal | None
    output_per_mtok: Decimal | None


@dataclass(frozen=True)
class IndexDay:
    blended_per_mtok: Decimal
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    constituents: int


def day_close(day: date) -> datetime:
    """The first moment after `day` (UTC): a version that started before it and has not
    ended by it is the day's closing price."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def closing_price(versions: Sequence[PriceVersion], day: date) -> PriceVersion | None:
    close = day_close(day)
    in_effect = [
        version
        for version in versions
        if (version.effective_from is None or version.effective_from < close)
        and (version.effective_to is None or version.effective_to >= close)
    ]
    if not in_effect:
        return None
    return max(in_effect, key=lambda v: v.effective_from or datetime.min.replace(tzinfo=UTC))


def index_day(prices: Iterable[PriceVersion | None]) -> IndexDay | None:
    """The index over the constituents' prices of one day; None when none is priced."""
    priced = [
        price
        for price in prices
        if price is not None
        and price.input_per_mtok is not None
        and price.output_per_mtok is not None
    ]
    if not priced:
        return None
    count = len(priced)
    input_sum = sum((p.input_per_mtok for p in priced), Decimal(0))
    output_sum = sum((p.output_per_mtok for p in priced), Decimal(0))
    return IndexDay(
        blended_per_mtok=((3 * input_sum + output_sum) / (4 * count)).quantize(PRICE_QUANTUM),
        input_per_mtok=(input_sum / count).quantize(PRICE_QUANTUM),
        output_per_mtok=(output_sum / count).quantize(PRICE_QUANTUM),
        constituents=count,
    )
