"""Costs waiting for an exchange rate, per currency they were priced in.

They are never in a spend total (not as 0, not as if in the reporting currency); the pages
show them beside it. Read from raw events through a partial index that holds only them.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Sum, Value, When
from django.db.models.functions import Coalesce

from ..costs import CATALOG_CURRENCY
from ..models import CostSource, UsageEvent


@dataclass(frozen=True)
class UnconvertedAmount:
    currency: str
    amount: Decimal
    events: int


def unconverted_amounts(
    organization_id: int, *, start: datetime, end: datetime, livemode: bool | None = None
) -> list[UnconvertedAmount]:
    """The organization's unconverted costs of [start, end), summed per original currency
    (the one reported, or USD for catalog prices), largest first; `livemode` as in
    UsageScope."""
    events = UsageEvent.objects.filter(
        organization_id=organization_id,
        cost_source=CostSource.UNCONVERTED,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    if livemode is not None:
        events = events.filter(livemode=livemode)
    rows = (
        events.annotate(
            original_currency=Case(
                When(reported_amount__isnull=False, then=F("reported_currency")),
                default=Value(CATALOG_CURRENCY),
                output_field=CharField(),
            )
        )
        .values("original_currency")
        .annotate(amount=Sum(Coalesce("reported_amount", "catalog_cost_usd")), events=Count("id"))
        .order_by()
    )
    amounts = [
        UnconvertedAmount(row["original_currency"], row["amount"] or Decimal(0), row["events"])
        for row in rows
    ]
    amounts.sort(key=lambda item: (-item.amount, item.currency))
    return amounts
