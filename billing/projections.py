"""End-of-month spend projections (issue 14): the engine, pure arithmetic over a daily
spend series; billing.selectors reads the series and calls it.

This first method is a run rate: the month so far plus the mean of the last seven whole
days for every day left, with a p10-p90 range from the spread of those days. The trend and
weekday-pattern method and its backtest (bench/) replace it behind the same signature.
"""

import calendar
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

# z of the 10th and 90th percentiles of a normal distribution.
_Z90 = 1.2816


@dataclass(frozen=True)
class Projection:
    """The month's projected total spend, in the series' currency."""

    month: date  # its first day
    spent: Decimal  # the month so far, `fixed` included
    estimate: Decimal  # the end-of-month total
    low: Decimal  # p10
    high: Decimal  # p90
    confidence: float  # 0..1; low with little data
    trend: str  # "increasing", "decreasing" or "stable"


def project_month(
    daily: Mapping[date, Decimal], *, now: datetime, fixed: Decimal = Decimal(0)
) -> Projection:
    """Project the total of `now`'s month (UTC).

    `daily` holds spend per UTC day, from as far back as the caller reads (56 days before
    the month is plenty) through `now`'s day, whose spend is partial; days without spend
    may be missing. `fixed` is spend already booked for the whole month (manual costs),
    added as it is.
    """
    today = now.date()
    first = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    spent = sum((v for d, v in daily.items() if first <= d <= today), Decimal(0)) + fixed
    recent = [daily.get(today - timedelta(days=n), Decimal(0)) for n in range(1, 8)]
    rate = sum(recent, Decimal(0)) / len(recent)
    day_fraction = Decimal(now.hour * 3600 + now.minute * 60 + now.second) / 86400
    days_left = Decimal(days_in_month - today.day) + (1 - day_fraction)
    estimate = spent + rate * days_left
    spread = Decimal(str(statistics.pstdev(float(v) for v in recent)))
    margin = Decimal(str(_Z90)) * spread * days_left.sqrt() if days_left > 0 else Decimal(0)
    history_days = sum(1 for d in daily if d < today)
    confidence = min(1.0, history_days / 28) * float(1 - days_left / days_in_month) ** 0.5
    older = [daily.get(today - timedelta(days=n), Decimal(0)) for n in range(8, 15)]
    before = sum(older, Decimal(0)) / len(older)
    trend = (
        "increasing"
        if rate > before * Decimal("1.1")
        else "decreasing"
        if rate < before * Decimal("0.9")
        else "stable"
    )
    return Projection(
        month=first,
        spent=spent,
        estimate=estimate,
        low=max(spent, estimate - margin),
        high=estimate + margin,
        confidence=round(confidence, 2),
        trend=trend,
    )
