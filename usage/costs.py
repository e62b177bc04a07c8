"""An event's cost columns in its organization's reporting currency.

What an event costs is decided first, in the currency it comes in: the amount a client
reported (in the currency it sent), or the catalog's price (USD). Here it becomes the cost
columns in the reporting currency, at the rate of the event's UTC day
(`tokentracker.money`). Without a rate the columns stay empty and the event is
`UNCONVERTED`, counted apart like an unpriced one; the amount as sent, or the catalog's
USD price, stays on the row to convert it once a rate exists. Ingest and reconversion both
come through here, so an event converted later ends exactly as if the rate had been there.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from tokentracker.money import MoneyBook

from .models import CostSource
from .pricing import CostParts

CATALOG_CURRENCY = "USD"
PART_COLUMNS = (
    "input_cost",
    "cache_read_cost",
    "cache_write_cost",
    "output_cost",
    "reasoning_cost",
)
_NO_PARTS = dict.fromkeys(PART_COLUMNS)


def costs_in_currency(
    *,
    money: MoneyBook,
    to: str,
    on: date,
    reported_amount: Decimal | None,
    reported_currency: str,
    catalog: CostParts | None,
) -> dict[str, Any]:
    """The part costs, `total_cost`, `currency` and `cost_source` of an event.

    A reported amount wins over the catalog. Catalog parts are converted one by one and
    the total is their sum, so the parts still add up to the total after conversion.
    """
    columns: dict[str, Any] = {"currency": to, **_NO_PARTS}
    if reported_amount is not None:
        total = money.convert(reported_amount, reported_currency, to, on)
        columns["total_cost"] = total
        columns["cost_source"] = (
            CostSource.REPORTED if total is not None else CostSource.UNCONVERTED
        )
        return columns
    if catalog is None:
        columns["total_cost"] = None
        columns["cost_source"] = CostSource.UNPRICED
        return columns
    if to == CATALOG_CURRENCY:
        # USD to USD: the parts are already at the cost columns' places (COST_QUANTUM is
        # MONEY_QUANTUM), so converting would only copy them.
        columns.update(
            input_cost=catalog.input,
            cache_read_cost=catalog.cache_read,
            cache_write_cost=catalog.cache_write,
            output_cost=catalog.output,
            reasoning_cost=catalog.reasoning,
            total_cost=catalog.total,
            cost_source=CostSource.CATALOG,
        )
        return columns
    parts = {
        "input_cost": catalog.input,
        "cache_read_cost": catalog.cache_read,
        "cache_write_cost": catalog.cache_write,
        "output_cost": catalog.output,
        "reasoning_cost": catalog.reasoning,
    }
    converted = {
        column: money.convert(amount, CATALOG_CURRENCY, to, on) for column, amount in parts.items()
    }
    if any(amount is None for amount in converted.values()):
        columns["total_cost"] = None
        columns["cost_source"] = CostSource.UNCONVERTED
        return columns
    columns.update(converted)
    columns["total_cost"] = sum(converted.values(), Decimal(0))
    columns["cost_source"] = CostSource.CATALOG
    return columns
