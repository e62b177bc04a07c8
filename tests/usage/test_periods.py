"""usage.selectors.periods: presets, the previous period, local days and the comparison of
two windows' totals, with exact numbers against the raw events."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Sum

from usage.models import UsageEvent
from usage.selectors.periods import (
    TotalsComparison,
    day_start,
    preset_days,
    preset_matching,
    previous_window,
    rows_compared,
    series_aligned,
    window_compared,
    zone_offset_note,
)
from usage.selectors.series import usage_series
from usage.selectors.usage import UsageScope, UsageTotals, usage_totals

LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("preset", "today", "days"),
    [
        ("today", date(2026, 3, 21), (date(2026, 3, 21), date(2026, 3, 21))),
        ("7d", date(2026, 3, 21), (date(2026, 3, 15), date(2026, 3, 21))),
        ("30d", date(2026, 3, 21), (date(2026, 2, 20), date(2026, 3, 21))),
        ("this_month", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        ("this_month", date(2028, 2, 14), (date(2028, 2, 1), date(2028, 2, 29))),
        ("last_month", date(2026, 3, 21), (date(2026, 2, 1), date(2026, 2, 28))),
        ("last_month", date(2026, 1, 5), (date(2025, 12, 1), date(2025, 12, 31))),
    ],
)
def test_presets_are_these_local_days(preset, today, days):
    assert preset_days(preset, today) == days
    assert preset_matching(*days, today) == preset


def test_dates_that_are_no_preset_are_custom():
    assert preset_matching(date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 21)) == "custom"


def test_a_local_day_starts_at_the_utc_hour_of_its_midnight():
    assert day_start(date(2026, 3, 1), UTC) == at("2026-03-01T00:00:00Z")
    assert day_start(date(2026, 3, 1), LA) == at("2026-03-01T08:00:00Z")  # PST
    assert day_start(date(2026, 3, 9), LA) == at("2026-03-09T07:00:00Z")  # PDT
    # Kolkata's midnight is 18:30 UTC: the day starts with the UTC hour that holds it.
    assert day_start(date(2026, 3, 1), KOLKATA) == at("2026-02-28T18:00:00Z")
    assert "30 minutes" in zone_offset_note(KOLKATA, at("2026-03-01T00:00:00Z"))
    # Santiago skips from 23:59:59 to 01:00 on 6 September: that day starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    assert day_start(date(2026, 9, 6), santiago) == at("2026-09-06T04:00:00Z")
    assert day_start(date(2026, 9, 7), santiago) == at("2026-09-07T03:00:00Z")
    assert zone_offset_note(LA, at("2026-03-01T00:00:00Z")) == ""


PAST = at("2027-01-01T00:00:00Z")  # every window below has ended by then


@pytest.mark.parametrize(
    ("start", "end", "zone", "previous"),
    [
        # seven days against the seven before them
        ("2026-03-15T00:00:00Z", "2026-03-22T00:00:00Z", UTC, ("2026-03-08", "2026-03-15")),
        # last month (February, 28 days) against January (31 days): calendar months
        ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", UTC, ("2026-01-01", "2026-02-01")),
        # March (31) against February (28)
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", UTC, ("2026-02-01", "2026-03-01")),
        # a quarter against the one before it
        ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", UTC, ("2026-01-01", "2026-04-01")),
        # hours, not days: the same length just before
        ("2026-03-20T10:00:00Z", "2026-03-20T14:00:00Z", UTC, ("2026-03-20T06", "2026-03-20T10")),
    ],
)
def test_the_previous_period(start, end, zone, previous):
    def moment(text: str) -> datetime:
        return at(text + ("T00:00:00Z" if len(text) == 10 else ":00:00Z"))

    assert previous_window(at(start), at(end), zone=zone, now=PAST) == tuple(
        moment(text) for text in previous
    )


def test_seven_local_days_across_the_dst_change_compare_with_seven_local_days():
    # 9-15 March in Los Angeles (PDT) against 2-8 March, whose first six days are PST.
    start, end = day_start(date(2026, 3, 9), LA), day_start(date(2026, 3, 16), LA)
    assert previous_window(start, end, zone=LA, now=PAST) == (
        at("2026-03-02T08:00:00Z"),
        at("2026-03-09T07:00:00Z"),
    )


def test_last_month_in_los_angeles_is_its_calendar_month_there():
    start, end = day_start(date(2026, 2, 1), LA), day_start(date(2026, 3, 1), LA)
    assert previous_window(start, end, zone=LA, now=PAST) == (
        at("2026-01-01T08:00:00Z"),
        at("2026-02-01T08:00:00Z"),
    )


@pytest.mark.parametrize(
    ("start", "end", "now", "previous"),
    [
        # today until this hour against yesterday until the same hour
        ("2026-03-21", "2026-03-22", "2026-03-21T12:30:00Z", ("2026-03-20T00", "2026-03-20T13")),
        # this month so far against last month up to the same day and hour
        ("2026-03-01", "2026-04-01", "2026-03-21T12:30:00Z", ("2026-02-01T00", "2026-02-21T13")),
        # the 31st against February's last day (no 31 February)
        ("2026-03-01", "2026-04-01", "2026-03-31T14:10:00Z", ("2026-02-01T00", "2026-02-28T15")),
        # the last seven days, the seventh running
        ("2026-03-15", "2026-03-22", "2026-03-21T12:30:00Z", ("2026-03-08T00", "2026-03-14T13")),
    ],
)
def test_a_running_window_is_compared_up_to_the_same_point(start, end, now, previous):
    first, last = (at(f"{text}:00:00Z") for text in previous)
    assert previous_window(
        at(f"{start}T00:00:00Z"), at(f"{end}T00:00:00Z"), zone=UTC, now=at(now)
    ) == (first, last)


def _raw(start: str, end: str) -> dict:
    start, end = (text + "T00:00:00Z" if len(text) == 10 else text for text in (start, end))
    return UsageEvent.objects.filter(occurred_at__gte=at(start), occurred_at__lt=at(end)).aggregate(
        cost=Sum("total_cost"), events=Count("uuid"), tokens=Sum("total_tokens")
    )


@pytest.fixture
def two_months(freeze, record):
    freeze("2026-03-21T12:30:00Z")
    record(
        # January (the previous period of February)
        {"occurred_at": "2026-01-31T23:00:00Z", "input_tokens": 1000, "output_tokens": 100},
        # February
        {"occurred_at": "2026-02-01T00:30:00Z", "input_tokens": 2000, "output_tokens": 500},
        {"occurred_at": "2026-02-20T10:00:00Z", "input_tokens": 1000, "output_tokens": 1000},
        # after 21 February 13:00: outside "this month so far"'s previous period
        {"occurred_at": "2026-02-25T10:00:00Z", "input_tokens": 4000, "output_tokens": 0},
        # March so far
        {"occurred_at": "2026-03-02T10:00:00Z", "input_tokens": 3000, "output_tokens": 300},
        {"occurred_at": "2026-03-21T12:10:00Z", "model": "mystery-model", "output_tokens": 7},
    )


@pytest.mark.django_db
def test_last_month_against_the_month_before_adds_up_to_the_raw_events(org, two_months):
    scope = UsageScope(org.id, at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z"))
    start, end = previous_window(scope.start, scope.end, now=at("2026-03-21T12:30:00Z"))
    comparison = TotalsComparison(
        usage_totals(scope),
        usage_totals(UsageScope(org.id, start, end)),
        start,
        end,
    )
    # gpt-4o: $2.50 input, $10 output per Mtok
    assert comparison.cost.current == Decimal("0.0325")  # 0.005+0.005 + 0.0025+0.01 + 0.01
    assert comparison.cost.previous == Decimal("0.0035")
    assert comparison.cost.current == Decimal(str(_raw("2026-02-01", "2026-03-01")["cost"]))
    assert comparison.cost.previous == Decimal(str(_raw("2026-01-01", "2026-02-01")["cost"]))
    assert comparison.cost.difference == Decimal("0.029")
    assert comparison.cost.ratio == pytest.approx(0.029 / 0.0035)
    assert comparison.events.difference == 2
    assert comparison.total_tokens.current == 8500
    assert comparison.total_tokens.previous == 1100


@pytest.mark.django_db
def test_this_month_so_far_against_last_month_so_far(org, two_months):
    now = at("2026-03-21T12:30:00Z")
    scope = UsageScope(org.id, at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
    start, end = previous_window(scope.start, scope.end, now=now)
    comparison = TotalsComparison(
        usage_totals(scope), usage_totals(UsageScope(org.id, start, end)), start, end
    )
    raw_previous = _raw("2026-02-01T00:00:00Z", "2026-02-21T13:00:00Z")
    assert comparison.events.previous == raw_previous["events"] == 2
    assert comparison.cost.previous == Decimal("0.0225")
    # One event of March has no price: the change is of priced spend, and says so.
    assert comparison.cost.current == Decimal("0.0105")
    assert comparison.cost.comparable
    assert comparison.cost.caveat == "priced spend only (1 unpriced now, 0 unpriced before)"
    assert comparison.cost.direction == "down"


def test_changes_say_new_and_refuse_what_is_not_comparable():
    nothing = UsageTotals()
    some = UsageTotals(
        events=2,
        cost=Decimal("0.5"),
        priced_events=2,
        latency_ms_sum=300,
        latency_count=2,
        error_count=1,
    )
    unpriced = UsageTotals(events=3, unpriced_events=3)
    new = TotalsComparison(some, nothing, PAST, PAST)
    assert new.cost.is_new and new.cost.ratio is None
    assert new.events.is_new
    assert not new.average_latency_ms.comparable  # no latency before: no change
    assert not new.error_rate.comparable  # no requests before: a rate of nothing
    against_unpriced = TotalsComparison(some, unpriced, PAST, PAST)
    assert not against_unpriced.cost.comparable
    assert against_unpriced.cost.difference is None
    assert against_unpriced.cost.caveat == "the previous period's spend is all unpriced"
    both = TotalsComparison(some, some, PAST, PAST)
    assert both.error_rate.difference == 0 and both.error_rate.direction == "same"


@pytest.mark.django_db
def test_los_angeles_days_hold_their_own_hours(org, record):
    # 05:00 UTC on 1 March is 21:00 on 28 February in Los Angeles.
    record({"occurred_at": "2026-03-01T05:00:00Z", "input_tokens": 1000})
    scope = UsageScope(org.id, day_start(date(2026, 2, 27), LA), day_start(date(2026, 3, 2), LA))
    series = usage_series(scope, "day", LA)
    assert [(bucket.date().isoformat(), totals.events) for bucket, totals in series] == [
        ("2026-02-27", 0),
        ("2026-02-28", 1),
        ("2026-03-01", 0),
    ]
    assert [bucket.date().isoformat() for bucket, _ in usage_series(scope, "day")][:2] == [
        "2026-02-27",
        "2026-02-28",
    ]
    utc = usage_series(
        UsageScope(org.id, at("2026-02-28T00:00:00Z"), at("2026-03-02T00:00:00Z")), "day"
    )
    assert [totals.events for _, totals in utc] == [0, 1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first_day", "hours"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25)],
)
def test_dst_change_days_have_23_and_25_hours(org, record, first_day, hours):
    # One event in every UTC hour from the day before to the day after.
    start = day_start(first_day - timedelta(days=1), LA)
    end = day_start(first_day + timedelta(days=2), LA)
    moments = []
    moment = start
    while moment < end:
        moments.append({"occurred_at": moment.isoformat(), "input_tokens": 1})
        moment += timedelta(hours=1)
    record(*moments)
    series = usage_series(UsageScope(org.id, start, end), "day", LA)
    assert [totals.events for _, totals in series] == [24, hours, 24]
    assert sum(totals.events for _, totals in series) == UsageEvent.objects.count()
    assert sum(totals.total_tokens for _, totals in series) == len(moments)


@pytest.mark.django_db
def test_the_series_compared_lines_up_by_offset(org, record):
    record(
        {"occurred_at": "2026-01-31T10:00:00Z", "input_tokens": 5},
        {"occurred_at": "2026-02-01T10:00:00Z", "input_tokens": 7},
    )
    scope = UsageScope(org.id, at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z"))
    start, end = previous_window(scope.start, scope.end, now=PAST)
    points = usage_series(scope, "day")
    compared = window_compared(usage_totals(scope), points, UsageScope(org.id, start, end), "day")
    # February's 28 days beside January's first 28: the 31st has no partner in February.
    assert len(compared.rows) == 28
    assert compared.rows[0][2].date() == date(2026, 1, 1)
    assert compared.totals.events.previous == 1
    assert compared.previous_points[0]["label"] == "2026-01-01"
    rows = series_aligned(points, usage_series(UsageScope(org.id, start, start), "day"))
    assert rows[0][2] is None and rows[0][3] is None


def test_rows_compared_pairs_rows_by_value_and_says_new_where_the_previous_had_none():
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)

    def spent(events: int, cost: str) -> UsageTotals:
        return UsageTotals(events=events, priced_events=events, cost=Decimal(cost))

    now = [
        ({"provider": "openai", "model": "gpt-4o"}, spent(2, "0.03")),
        ({"provider": "openai", "model": "o4-mini"}, spent(1, "0.01")),
    ]
    before = [
        # Same keys in another order: a dict key matches whatever its order.
        ({"model": "gpt-4o", "provider": "openai"}, spent(1, "0.02")),
        ({"provider": "google", "model": "gemini-2.5-pro"}, spent(9, "1")),
    ]
    rows = rows_compared(now, before, (start, end))
    assert [keys["model"] for keys, _, _ in rows] == ["gpt-4o", "o4-mini"]  # no gemini row
    gpt, mini = rows[0][2].cost, rows[1][2].cost
    assert (gpt.previous, gpt.difference, gpt.ratio) == (Decimal("0.02"), Decimal("0.01"), 0.5)
    assert (mini.previous, mini.is_new) == (0, True)
    assert (rows[0][2].previous_start, rows[0][2].previous_end) == (start, end)
    assert [versus for _, _, versus in rows_compared(now, None, None)] == [None, None]
