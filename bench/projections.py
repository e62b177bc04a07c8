"""Backtest of the end-of-month projection (billing.projections.project_month), issue 14.

    make bench-projections
    # same as: .venv/bin/python bench/projections.py [--seeds 1,2] [--series 200] [--months 6]

Generates daily spend series from a seeded RNG, each with a level (1 to 2,000 a day), a
trend (-15% to +30% a month), a weekly pattern (weekends at 15% to 100% of weekdays) and
lognormal noise (sigma 0.05 to 0.4); a fifth of them also get spikes (a day at 2-6x, 3% of
days) and a fifth level shifts (about one every two months, x0.5-2). Three in ten are
brand-new organizations, first tracked on a day between 30 days before the first month
and 60 days into the period: they give the projections from little history. For every
series and each of `--months` calendar months (2026-01 on: 28, 30 and 31 days), the
projection is made on day 7, 14 and 21 at a random minute of the day, from only what was
known then (the series up to that day, today's spend in proportion to the time elapsed),
and compared with the month's actual total. The old run-rate method (the month so far plus
the mean of the last seven days for each day left) is scored beside it as a baseline.

Reported per day and seed, and per amount of history: MAPE (mean absolute percentage error
of the estimate), the median APE, coverage (the share of months whose actual total lies
within p10-p90), the mean width of the p10-p90 range relative to the actual total, and the
mean confidence.
Targets: MAPE under 10% from day 14 on, coverage at least 80% on every day. Prints JSON;
exits 1 if a target is missed. Pure Python: no database, no Django.
"""

import argparse
import calendar
import json
import math
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from billing.projections import LOOKBACK_DAYS, project_month  # noqa: E402

FIRST_MONTH = date(2026, 1, 1)
PROJECTION_DAYS = (7, 14, 21)
TARGET_MAPE = 10.0  # from day 14 on
TARGET_COVERAGE = 80.0
YOUNG_SHARE = 0.3  # series first tracked from a day between 30 days before the first
YOUNG_DAYS = (-30, 60)  # month and 60 days into it: brand-new organizations
HISTORY_BUCKETS = ((1, 6), (7, 13), (14, 27), (28, 55), (56, 56))  # reported apart too


@dataclass(frozen=True)
class Series:
    kind: str  # steady, spiky or shifting
    start: date
    values: list[float]  # one a day from `start`
    tracked_from: date  # the first day the organization reported anything

    def on(self, day: date) -> float:
        return self.values[(day - self.start).days]


def series_generate(rng: random.Random, kind: str, start: date, days: int) -> Series:
    level = math.exp(rng.uniform(math.log(1), math.log(2000)))  # 1 to 2,000 a day
    monthly_growth = rng.uniform(-0.15, 0.30)
    daily_growth = (1 + monthly_growth) ** (1 / 30.4)
    weekend = rng.uniform(0.15, 1.0)
    pattern = [rng.uniform(0.85, 1.15) for _ in range(5)] + [weekend, weekend * 0.9]
    mean = sum(pattern) / 7
    pattern = [p / mean for p in pattern]
    sigma = rng.uniform(0.05, 0.4)
    values = []
    for i in range(days):
        day = start + timedelta(days=i)
        if kind == "shifting" and rng.random() < 1 / 60:
            level *= rng.uniform(0.5, 2.0)
        value = level * pattern[day.weekday()] * math.exp(rng.gauss(0, sigma) - sigma**2 / 2)
        if kind == "spiky" and rng.random() < 0.03:
            value *= rng.uniform(2, 6)
        values.append(round(value, 4))
        level *= daily_growth
    tracked_from = start
    if rng.random() < YOUNG_SHARE:
        tracked_from = FIRST_MONTH + timedelta(days=rng.randint(*YOUNG_DAYS))
    return Series(kind=kind, start=start, values=values, tracked_from=tracked_from)


def month_days(first: date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def known_at(series: Series, now: datetime) -> dict[date, Decimal]:
    """What a reader sees at `now`: whole days, and today's spend so far."""
    today = now.date()
    daily = {}
    day = max(series.tracked_from, today - timedelta(days=LOOKBACK_DAYS))
    while day < today:
        daily[day] = Decimal(repr(series.on(day)))
        day += timedelta(days=1)
    elapsed = (now - datetime(today.year, today.month, today.day, tzinfo=UTC)).total_seconds()
    daily[today] = Decimal(repr(round(series.on(today) * elapsed / 86400, 4)))
    return daily


def run_rate(daily: dict[date, Decimal], now: datetime) -> float:
    """The method project_month replaced: the month so far plus the mean of the last
    seven whole days for the rest of the month."""
    today = now.date()
    first = today.replace(day=1)
    spent = sum(float(v) for d, v in daily.items() if d >= first)
    rate = sum(float(daily.get(today - timedelta(days=n), 0)) for n in range(1, 8)) / 7
    left = month_days(first) - today.day + 1 - now.hour / 24 - now.minute / 1440
    return spent + rate * left


@dataclass(frozen=True)
class Score:
    day: int
    kind: str
    history_days: int
    ape: float  # absolute percentage error of the estimate
    inside: bool  # the actual total within p10-p90
    width: float  # p10-p90 relative to the actual total, percent
    confidence: float
    baseline_ape: float


def summary(scores: list[Score]) -> dict:
    return {
        "projections": len(scores),
        "mape": round(statistics.fmean(s.ape for s in scores), 2),
        "median_ape": round(statistics.median(s.ape for s in scores), 2),
        "coverage_p10_p90": round(100 * statistics.fmean(s.inside for s in scores), 1),
        "mean_relative_width": round(statistics.fmean(s.width for s in scores), 1),
        "mean_confidence": round(statistics.fmean(s.confidence for s in scores), 2),
        "baseline_run_rate_mape": round(statistics.fmean(s.baseline_ape for s in scores), 2),
    }


def backtest(seed: int, series_count: int, months: int) -> dict:
    rng = random.Random(seed)
    last = FIRST_MONTH
    for _ in range(months):
        last = next_month(last)
    start = FIRST_MONTH - timedelta(days=LOOKBACK_DAYS)
    days = (last - start).days
    kinds = ["steady"] * 3 + ["spiky", "shifting"]
    scores = []
    for index in range(series_count):
        series = series_generate(rng, kinds[index % len(kinds)], start, days)
        first = FIRST_MONTH
        for _ in range(months):
            actual = sum(
                series.on(first + timedelta(days=i))
                for i in range(month_days(first))
                if first + timedelta(days=i) >= series.tracked_from
            )
            for day in PROJECTION_DAYS:
                if date(first.year, first.month, day) <= series.tracked_from:
                    continue  # not a whole day tracked yet: nothing to project from
                now = datetime(first.year, first.month, day, tzinfo=UTC) + timedelta(
                    minutes=rng.randrange(24 * 60)
                )
                daily = known_at(series, now)
                projection = project_month(daily, now=now)
                low, high = float(projection.low), float(projection.high)
                scores.append(
                    Score(
                        day=day,
                        kind=series.kind,
                        history_days=projection.history_days,
                        ape=abs(float(projection.estimate) - actual) / actual * 100,
                        inside=low <= actual <= high,
                        width=(high - low) / actual * 100,
                        confidence=projection.confidence,
                        baseline_ape=abs(run_rate(daily, now) - actual) / actual * 100,
                    )
                )
            first = next_month(first)

    def by_day(selected: list[Score]) -> dict:
        return {
            day: summary([s for s in selected if s.day == day])
            for day in PROJECTION_DAYS
            if any(s.day == day for s in selected)
        }

    return {
        "seed": seed,
        "months": series_count * months,
        "by_day": by_day(scores),
        "by_history_days": {
            f"{low}-{high}": summary([s for s in scores if low <= s.history_days <= high])
            for low, high in HISTORY_BUCKETS
            if any(low <= s.history_days <= high for s in scores)
        },
        "mape_by_kind": {
            kind: {
                day: figures["mape"]
                for day, figures in by_day([s for s in scores if s.kind == kind]).items()
            }
            for kind in dict.fromkeys(kinds)
        },
    }


def missed(result: dict) -> list[str]:
    problems = []
    for day, figures in result["by_day"].items():
        if day >= 14 and figures["mape"] >= TARGET_MAPE:
            problems.append(f"seed {result['seed']} day {day}: MAPE {figures['mape']}%")
        if figures["coverage_p10_p90"] < TARGET_COVERAGE:
            problems.append(
                f"seed {result['seed']} day {day}: coverage {figures['coverage_p10_p90']}%"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2", help="comma-separated RNG seeds")
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    started = time.perf_counter()
    results = [backtest(int(seed), args.series, args.months) for seed in args.seeds.split(",")]
    problems = [problem for result in results for problem in missed(result)]
    print(
        json.dumps(
            {
                "results": results,
                "targets_missed": problems,
                "seconds": round(time.perf_counter() - started, 1),
                "python": platform.python_version(),
            },
            indent=2,
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
