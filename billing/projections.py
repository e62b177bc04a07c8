"""End-of-month spend projections (issue 14): the engine, pure arithmetic over a daily
spend series; billing.selectors reads the series and calls it.

The method (backtested by bench/projections.py, figures in bench/RESULTS.md):

1. **History.** The whole UTC days before `now`'s day, from the first day the series has
   (a day before it is "not tracked yet", not zero spend; a missing day after it is
   zero). Each fit uses at most the last `HISTORY_DAYS`; the range (5.) looks back
   `LOOKBACK_DAYS`. Today's spend so far is never history: it is a partial day.
2. **Weekday pattern.** Each day's ratio to its centred 7-day mean; a weekday's factor is
   the median of its ratios (moved only part of the way from 1 while it has fewer than
   `SEASONAL_FULL` of them), the seven scaled to average 1. Under `SEASONAL_MIN_DAYS` of
   history every factor is 1.
3. **Level and trend.** The history divided by its weekday factors; each day clipped to
   `CLIP` robust standard deviations (1.4826 x the median absolute deviation) around a
   first least-squares line, so that a spike or an outage tilts nothing, and what the
   clipping removed added back as a per-day average (spikes are spend the month will have
   too). From `TREND_MIN_DAYS` of history, a least-squares line through the clipped days
   gives the slope, shrunk by t^2 / (t^2 + 1) (t: the slope over its standard error), so
   a slope the noise could explain counts little. The level is the mean of the last
   `LEVEL_DAYS` clipped days moved to the last day along that slope (a short window, so a
   change of level shows within two weeks; the slope from the long one, where it is
   steadier). Day h ahead = its weekday factor x (level + slope x (phi + ... + phi^h)):
   a damped trend (phi = `DAMPING`) that flattens rather than running away; never below 0.
4. **The month.** The estimate is what the month already holds (every day of it in the
   series, today's partial spend included, plus `fixed`), plus the forecast for the part
   of today still to come (the day's forecast x the fraction of the day left, so today's
   spend so far is not counted twice) and for every later day of the month.
5. **The p10-p90 range.** The same method is run from the last `ORIGINS_MAX` days of the
   history (rolling origins, each with at least `ORIGIN_MIN_DAYS` before it): each
   forecasts the next days, as many as the month has left (fewer near the end of the
   history, at least `ORIGIN_MIN_HORIZON`), from what it knew then, and keeps actual /
   forecast. The 10th and 90th percentiles of those ratios are blended with a wide prior
   band (`PRIOR_LOW`..`PRIOR_HIGH`, weighted as `PRIOR_WEIGHT` windows) by how many
   independent windows they amount to: origins a day apart forecast windows that share
   all but a day, so they count as (origins + horizon - 1) / horizon, the disjoint
   windows they span. So the range is the prior's with little history, and the
   series' own error as windows accumulate; early in the month (a long horizon) the
   windows are few and the prior weighs more. The ratios scale only the spend still to
   come, so the range narrows as the month fills, and `low` never falls below what is
   already spent. `PRIOR_WEIGHT` is the one figure set from the backtest: the smallest
   that keeps coverage above 80% on both of its seeds.
6. **Confidence** (0..1) = min(1, history days / `HISTORY_FULL_DAYS`) x max(0, 1 - (high
   - low) / estimate): 0 with no history, and 0 when the p10-p90 range is as wide as the
   estimate itself.
7. **Trend** is "increasing" or "decreasing" when the (shrunk) slope moves the level by
   more than `TREND_LABEL_WEEKLY` a week, else "stable" (always, before four weeks).

With no whole day of history there is nothing to project from: the estimate, low and
high are what is already spent, confidence 0 and `history_days` 0, which readers show as
"not enough data" rather than as a forecast.

Projected amounts are rounded to six decimal places (`PLACES`): they are estimates, and
the model computes in floats.
"""

import calendar
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

HISTORY_DAYS = 56  # eight weeks: enough weekday ratios, recent enough to be relevant
LOOKBACK_DAYS = 91  # read for the rolling origins, each of which fits on HISTORY_DAYS
SEASONAL_MIN_DAYS = 14  # two weeks before weekday factors are estimated at all
SEASONAL_FULL = 4  # a weekday factor with k ratios moves min(1, k / 4) of the way
FACTOR_FLOOR = 0.05  # a weekday under it (nearly) never spends
TREND_MIN_DAYS = 28  # a slope from fewer days was more noise than trend in the backtest
LEVEL_DAYS = 14
CLIP = 3
DAMPING = 0.95
ORIGIN_MIN_DAYS = 7  # a rolling origin needs a week of history to forecast from
ORIGIN_MIN_HORIZON = 7
ORIGINS_MAX = 42  # the most recent origins; older ones add time, not information
PRIOR_LOW = 0.4  # the band of the spend still to come with no history: 40% .. 180%
PRIOR_HIGH = 1.8
PRIOR_WEIGHT = 0.75
HISTORY_FULL_DAYS = 28
TREND_LABEL_WEEKLY = 0.05  # a trend of 5% of the level a week is "increasing"
PLACES = Decimal("0.000001")


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
    history_days: int = 0  # whole days of history the forecast learned from


@dataclass(frozen=True)
class _Fit:
    factors: tuple[float, ...]  # by weekday, Monday first
    level: float  # deseasonalised spend of the last whole day
    slope: float  # per day

    def forecast(self, first_weekday: int, days: int) -> list[float]:
        """Days 1..`days` after the last whole day; `first_weekday` is day 1's."""
        out = []
        trend = 0.0
        step = 1.0
        for h in range(days):
            step *= DAMPING
            trend += step
            factor = self.factors[(first_weekday + h) % 7]
            out.append(factor * max(0.0, self.level + self.slope * trend))
        return out


def _weekday_factors(values: Sequence[float], first_weekday: int) -> tuple[float, ...]:
    if len(values) < SEASONAL_MIN_DAYS:
        return (1.0,) * 7
    ratios: list[list[float]] = [[] for _ in range(7)]
    running = sum(values[:7])
    for i in range(3, len(values) - 3):
        if i > 3:
            running += values[i + 3] - values[i - 4]
        if running > 0:
            ratios[(first_weekday + i) % 7].append(values[i] * 7 / running)
    factors = [
        1 + (statistics.median(r) - 1) * min(1.0, len(r) / SEASONAL_FULL) if r else 1.0
        for r in ratios
    ]
    mean = sum(factors) / 7
    return tuple(max(0.0, f / mean) for f in factors)


def _line(days: Sequence[int], points: Sequence[float]) -> tuple[float, float, float]:
    """Least squares of `points` on `days`: (slope, its standard error, mean day)."""
    n = len(points)
    centre = sum(days) / n
    mean = sum(points) / n
    sxx = sum((d - centre) ** 2 for d in days)
    slope = sum((d - centre) * (p - mean) for d, p in zip(days, points, strict=True)) / sxx
    residual = sum(
        (p - mean - slope * (d - centre)) ** 2 for d, p in zip(days, points, strict=True)
    )
    return slope, math.sqrt(residual / (n - 2) / sxx), centre


def _resistant_line(days: Sequence[int], points: Sequence[float]) -> tuple[float, float]:
    """Tukey's resistant line (medians of the outer thirds): (slope, intercept). A spike
    or an outage cannot tilt it, and it costs a sort, not the n^2 of Theil-Sen."""
    third = len(points) // 3
    left = statistics.median(points[:third]), statistics.median(days[:third])
    right = statistics.median(points[-third:]), statistics.median(days[-third:])
    slope = (right[0] - left[0]) / (right[1] - left[1])
    return slope, statistics.median(p - slope * d for d, p in zip(days, points, strict=True))


def _level_and_slope(days: Sequence[int], points: Sequence[float]) -> tuple[float, float]:
    """(level on day `days[-1]`, slope per day) of deseasonalised daily spend."""
    n = len(points)
    with_trend = days[-1] - days[0] + 1 >= TREND_MIN_DAYS and n >= 3
    slope, intercept = (
        _resistant_line(days, points) if with_trend else (0.0, statistics.median(points))
    )
    fitted = [intercept + slope * d for d in days]
    # Spikes and outages would tilt the line and the level: each day is clipped to the
    # resistant line +- CLIP robust standard deviations, and what the clipping removed
    # comes back as an average per day, since spikes are spend a month will have too.
    pairs = list(zip(points, fitted, strict=True))
    spread = CLIP * 1.4826 * statistics.median(abs(p - f) for p, f in pairs)
    clipped = [min(max(p, f - spread), f + spread) for p, f in pairs]
    excess = (sum(points) - sum(clipped)) / n
    slope = 0.0
    if with_trend:
        slope, error, _ = _line(days, clipped)
        # The slope counts as much as the data show it: t^2 / (t^2 + 1) of it.
        if slope:
            slope *= slope**2 / (slope**2 + error**2)
    recent = [(d, c) for d, c in zip(days, clipped, strict=True) if d > days[-1] - LEVEL_DAYS]
    level = sum(c for _, c in recent) / len(recent) + excess
    level += slope * (days[-1] - sum(d for d, _ in recent) / len(recent))
    return level, slope


def _fit(values: Sequence[float], first_weekday: int) -> _Fit:
    """Fit on `values` (whole days, oldest first; `first_weekday` is values[0]'s)."""
    if len(values) > HISTORY_DAYS:
        first_weekday = (first_weekday + len(values) - HISTORY_DAYS) % 7
        values = values[-HISTORY_DAYS:]
    factors = _weekday_factors(values, first_weekday)
    # A weekday that (nearly) never spends says nothing of the level: it is left out, and
    # forecast at its own small factor.
    days = [i for i in range(len(values)) if factors[(first_weekday + i) % 7] >= FACTOR_FLOOR]
    if not days:
        return _Fit(factors=factors, level=0.0, slope=0.0)
    deseasonalised = [values[i] / factors[(first_weekday + i) % 7] for i in days]
    level, slope = _level_and_slope(days, deseasonalised)
    # The level is on the last kept day: brought to the last whole day.
    level += slope * (len(values) - 1 - days[-1])
    return _Fit(factors=factors, level=max(0.0, level), slope=slope)


def _error_ratios(values: Sequence[float], first_weekday: int, horizon: int) -> list[float]:
    """actual / forecast of the next `horizon` days (fewer near the end of the history)
    from each rolling origin in the history."""
    shortest = min(horizon, ORIGIN_MIN_HORIZON)
    last = len(values) - shortest
    ratios = []
    for origin in range(max(ORIGIN_MIN_DAYS, last - ORIGINS_MAX + 1), last + 1):
        days = min(horizon, len(values) - origin)
        forecast = sum(
            _fit(values[:origin], first_weekday).forecast((first_weekday + origin) % 7, days)
        )
        actual = sum(values[origin : origin + days])
        if forecast > 0:
            ratios.append(actual / forecast)
        elif actual == 0:
            ratios.append(1.0)
    return ratios


def _band(ratios: Sequence[float], horizon: int) -> tuple[float, float]:
    """p10 and p90 of actual / forecast: the empirical ones blended with the prior.

    Origins a day apart forecast windows that overlap on all but a day, so their errors
    are nearly the same error: they count as (origins + horizon - 1) / horizon
    independent ones, the number of disjoint windows they span."""
    n = len(ratios)
    if n >= 2:
        deciles = statistics.quantiles(ratios, n=10, method="inclusive")
        low, high = deciles[0], deciles[-1]
    else:
        low = high = 1.0
    weight = (n + horizon - 1) / horizon if n else 0.0
    low = (weight * low + PRIOR_WEIGHT * PRIOR_LOW) / (weight + PRIOR_WEIGHT)
    high = (weight * high + PRIOR_WEIGHT * PRIOR_HIGH) / (weight + PRIOR_WEIGHT)
    return max(0.0, low), high


def _money(amount: float) -> Decimal:
    return Decimal(repr(amount)).quantize(PLACES)


def _trend_label(fit: _Fit) -> str:
    if fit.level <= 0:
        return "increasing" if fit.slope > 0 else "stable"
    weekly = 7 * fit.slope / fit.level
    if weekly > TREND_LABEL_WEEKLY:
        return "increasing"
    if weekly < -TREND_LABEL_WEEKLY:
        return "decreasing"
    return "stable"


def project_month(
    daily: Mapping[date, Decimal], *, now: datetime, fixed: Decimal = Decimal(0)
) -> Projection:
    """Project the total of `now`'s month (UTC), by the method in this module's docstring.

    `daily` holds spend per UTC day, from as far back as the caller reads (`LOOKBACK_DAYS`
    before `now` gives the range its fullest history; more is ignored) through `now`'s day,
    whose spend is partial; days without spend may be missing. `fixed` is spend already
    booked for the whole month (manual costs), added as it is.
    """
    if now.tzinfo is not None:
        now = now.astimezone(UTC)
    today = now.date()
    first = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    month_end = first + timedelta(days=days_in_month - 1)
    spent = sum((v for d, v in daily.items() if first <= d <= month_end), Decimal(0)) + fixed

    past = [d for d in daily if d < today]
    start = max(min(past), today - timedelta(days=LOOKBACK_DAYS)) if past else today
    values = [float(daily.get(start + timedelta(days=i), 0)) for i in range((today - start).days)]
    history_days = min(len(values), HISTORY_DAYS)
    if not values:
        return Projection(first, spent, spent, spent, spent, 0.0, "stable", 0)

    fit = _fit(values, start.weekday())
    days_left = days_in_month - today.day  # whole days after today
    path = fit.forecast(today.weekday(), days_left + 1)
    elapsed = (now - datetime.combine(today, time.min, tzinfo=now.tzinfo)).total_seconds()
    rest_of_today = path[0] * max(0.0, 1 - elapsed / 86400)
    to_come = rest_of_today + sum(path[1:])

    low_ratio, high_ratio = _band(
        _error_ratios(values, start.weekday(), days_left + 1), days_left + 1
    )
    estimate = spent + _money(to_come)
    low = spent + _money(to_come * low_ratio)
    high = spent + _money(to_come * high_ratio)
    width = float(high - low) / float(estimate) if estimate > 0 else 0.0
    confidence = min(1.0, history_days / HISTORY_FULL_DAYS) * max(0.0, 1 - width)
    return Projection(
        month=first,
        spent=spent,
        estimate=estimate,
        low=min(low, estimate),
        high=max(high, estimate),
        confidence=round(confidence, 2),
        trend=_trend_label(fit),
        history_days=history_days,
    )
