"""The end-of-month projection engine (billing.projections): exact figures on simple
series, the edge cases, and a range that widens with less data and narrows as the month
fills. Its accuracy on realistic series is measured by bench/projections.py."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from billing.projections import project_month


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def constant(today: date, days: int, value: Decimal = Decimal(10), partial: Decimal = Decimal(0)):
    """`value` a day for the `days` whole days before `today`, `partial` so far today."""
    series = {today - timedelta(days=n): value for n in range(1, days + 1)}
    series[today] = partial
    return series


def weekday_pattern(day: date) -> Decimal:
    return Decimal(2) if day.weekday() >= 5 else Decimal(10)


def wavy(n: int) -> Decimal:
    """A deterministic series with no weekly rhythm: two waves of other periods."""
    return Decimal(str(round(10 + 3 * math.sin(n * 2.1) + 2 * math.sin(n * 0.37), 4)))


def test_a_constant_series_projects_its_rate_for_every_day_left():
    today = date(2026, 3, 15)
    projection = project_month(constant(today, 200, partial=Decimal(5)), now=at(today, 12))
    assert projection.month == date(2026, 3, 1)
    assert projection.spent == Decimal(145)  # 14 whole days and half of today
    # the other half of today and 16 more days at 10
    assert projection.estimate == Decimal(310)
    # ratios of every past window are exactly 1: 42 origins over 17-day windows count as
    # (42 + 16) / 17 windows against the prior's 0.75, so the spend to come (165) is
    # scaled by (58/17 + 0.75 x 0.4) / (58/17 + 0.75) and (58/17 + 0.75 x 1.8) / (...)
    assert projection.low == Decimal("292.159011")
    assert projection.high == Decimal("333.787986")
    assert projection.confidence == 0.87  # 1 - 41.628975 / 310, with 56 days of history
    assert projection.trend == "stable"
    assert projection.history_days == 56


@pytest.mark.parametrize("hour, partial", [(0, "0"), (6, "2.5"), (18, "7.5"), (21, "8.75")])
def test_spend_so_far_today_is_not_counted_twice(hour, partial):
    today = date(2026, 3, 15)
    series = constant(today, 60, partial=Decimal(partial))
    assert project_month(series, now=at(today, hour)).estimate == Decimal(310)


def test_a_weekday_pattern_is_projected_day_by_day():
    today = date(2026, 3, 11)  # a Wednesday
    series = {
        today - timedelta(days=n): weekday_pattern(today - timedelta(days=n)) for n in range(1, 120)
    }
    series[today] = Decimal("2.5")  # a quarter of a weekday's 10, at 06:00
    projection = project_month(series, now=at(today, 6))
    # March 2026: 22 weekdays at 10 and 9 weekend days at 2
    assert projection.spent == Decimal("78.5")
    assert projection.estimate == Decimal(238)
    assert projection.low < projection.estimate < projection.high


def test_a_trend_is_followed_damped():
    today = date(2026, 3, 15)
    series = {today - timedelta(days=n): Decimal(100 - n) for n in range(1, 57)}
    series[today] = Decimal(0)
    projection = project_month(series, now=at(today))
    # an exact line (99 yesterday, +1 a day): the slope stands whole (no noise to shrink
    # it by), the level is 99; day h ahead is 99 + (0.95 + ... + 0.95^h)
    spent = sum(Decimal(100 - n) for n in range(1, 15))
    to_come = sum(99 + sum(0.95**k for k in range(1, h + 1)) for h in range(1, 18))
    assert projection.spent == spent
    assert projection.estimate == spent + Decimal(repr(to_come)).quantize(Decimal("0.000001"))
    assert projection.trend == "increasing"  # +1 a day is 7% of 99 a week
    assert projection.estimate > spent + 99 * 17


def test_no_data_at_all_projects_nothing_with_no_confidence():
    projection = project_month({}, now=at(date(2026, 3, 15), 12))
    assert projection.spent == projection.estimate == projection.low == projection.high == 0
    assert projection.confidence == 0
    assert projection.history_days == 0


def test_spend_only_from_fixed_costs_is_the_estimate():
    projection = project_month({}, now=at(date(2026, 3, 15)), fixed=Decimal("49.99"))
    assert projection.spent == projection.estimate == Decimal("49.99")
    assert projection.low == projection.high == Decimal("49.99")
    assert projection.confidence == 0


def test_fixed_costs_are_added_to_the_projection_as_they_are():
    today = date(2026, 3, 15)
    series = constant(today, 60, partial=Decimal(5))
    projection = project_month(series, now=at(today, 12), fixed=Decimal(50))
    assert projection.spent == Decimal(195)
    assert projection.estimate == Decimal(360)


def test_an_organization_tracked_only_since_today_gets_no_forecast():
    today = date(2026, 3, 15)
    projection = project_month({today: Decimal(3)}, now=at(today, 12))
    assert projection.estimate == projection.low == projection.high == Decimal(3)
    assert projection.confidence == 0


def test_a_brand_new_organization_with_two_days_gets_the_prior_range():
    today = date(2026, 4, 10)
    series = {
        today - timedelta(days=2): Decimal(10),
        today - timedelta(days=1): Decimal(14),
        today: Decimal(4),
    }
    projection = project_month(series, now=at(today, 12))
    # the days before the first one are not tracked, not zero: the rate is 12 a day
    assert projection.spent == Decimal(28)
    assert projection.estimate == Decimal(274)  # 28 + 12 x (0.5 + 20)
    # no past window to learn from: the prior's 40% .. 180% of the 246 to come
    assert projection.low == Decimal("126.4")
    assert projection.high == Decimal("470.8")
    assert projection.confidence == 0
    assert projection.history_days == 2
    assert projection.trend == "stable"


@pytest.mark.parametrize(
    "last_day, total",
    [
        (date(2026, 2, 28), 280),
        (date(2024, 2, 29), 290),
        (date(2026, 4, 30), 300),
        (date(2026, 1, 31), 310),
    ],
)
def test_months_of_28_to_31_days(last_day, total):
    projection = project_month(constant(last_day, 90), now=at(last_day))
    assert projection.estimate == total


def test_on_the_first_day_the_whole_month_is_ahead():
    today = date(2026, 3, 1)
    projection = project_month(constant(today, 90), now=at(today))
    assert projection.month == today
    assert projection.spent == 0
    assert projection.estimate == 310
    assert 0 < projection.low < 310 < projection.high


def test_on_the_last_day_only_the_rest_of_it_is_ahead():
    today = date(2026, 3, 31)
    projection = project_month(constant(today, 90, partial=Decimal(5)), now=at(today, 12))
    assert projection.spent == 305
    assert projection.estimate == 310
    assert 305 <= projection.low < 310 < projection.high < 312
    assert projection.confidence > 0.98


def test_days_before_the_month_are_history_not_spend():
    today = date(2026, 3, 2)
    projection = project_month(constant(today, 30, value=Decimal(1000)), now=at(today))
    assert projection.spent == 1000  # March 1st only


def test_a_falling_series_never_projects_negative_spend():
    today = date(2026, 3, 10)
    series = {today - timedelta(days=n): Decimal(n * 3) for n in range(1, 60)}
    series[today] = Decimal(0)
    projection = project_month(series, now=at(today))
    assert projection.trend == "decreasing"
    # 3 yesterday, -3 a day: today's forecast is 3 - 3 x 0.95, every later day's is 0
    assert projection.estimate == projection.spent + Decimal("0.15")
    assert projection.spent <= projection.low <= projection.estimate
    assert projection.high >= projection.estimate


def test_weekdays_that_never_spend_are_forecast_near_zero():
    today = date(2026, 3, 11)
    series = {}
    for n in range(1, 90):
        day = today - timedelta(days=n)
        series[day] = Decimal(0) if day.weekday() >= 5 else Decimal(10)
    series[today] = Decimal(0)
    projection = project_month(series, now=at(today))
    # 22 weekdays at 10; the weekend days say nothing of the level and are forecast at 0
    assert projection.estimate == 220


def test_the_range_widens_as_history_shrinks():
    today = date(2026, 3, 10)
    widths, confidences = [], []
    for history in (91, 56, 28, 14, 7, 2):
        series = {today - timedelta(days=n): wavy(n) for n in range(1, history + 1)}
        series[today] = Decimal(5)
        projection = project_month(series, now=at(today, 12))
        widths.append((projection.high - projection.low) / projection.estimate)
        confidences.append(projection.confidence)
    assert widths == sorted(widths)
    assert confidences == sorted(confidences, reverse=True)
    assert confidences[-1] == 0
    assert widths[-1] > 1  # two days: wider than the estimate itself


def test_the_range_narrows_as_the_month_fills():
    widths = []
    for day in (1, 7, 14, 21, 28, 31):
        today = date(2026, 3, day)
        series = {today - timedelta(days=n): wavy(n + day) for n in range(1, 92)}
        series[today] = Decimal(0)
        projection = project_month(series, now=at(today))
        assert projection.low <= projection.estimate <= projection.high
        widths.append((projection.high - projection.low) / projection.estimate)
    assert widths == sorted(widths, reverse=True)


def test_a_spike_counts_as_its_average_not_as_a_new_rate():
    today = date(2026, 3, 15)
    series = constant(today, 60)
    series[today - timedelta(days=2)] = Decimal(500)  # 490 more than usual, two days ago
    projection = project_month(series, now=at(today))
    # the old run rate would add 490 / 7 = 70 a day; the spike is clipped and comes back
    # spread over the eight weeks of history: 490 / 56 = 8.75 a day
    assert projection.spent == 14 * 10 + 490
    assert projection.estimate == 630 + 17 * Decimal("18.75")
    assert projection.trend == "stable"


def test_an_aware_now_in_another_zone_is_read_in_utc():
    today = date(2026, 3, 15)
    series = constant(today, 60, partial=Decimal(5))
    from zoneinfo import ZoneInfo

    now = datetime(2026, 3, 15, 13, tzinfo=ZoneInfo("Europe/Paris"))  # 12:00 UTC
    assert project_month(series, now=now).estimate == Decimal(310)
