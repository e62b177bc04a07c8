"""Daily rollups: the hourly sums per UTC day, and long windows read through them exactly."""

import random
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from usage.folds import COUNTERS
from usage.models import ROLLUP_DIMENSIONS, DailyRollup, HourlyRollup, UsageEvent
from usage.rollup_rebuild import rollups_rebuild
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.selectors.series import usage_series
from usage.selectors.usage import (
    UsageScope,
    UsageTotals,
    _sums,
    usage_by,
    usage_by_day,
    usage_totals,
)
from usage.services.events import events_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(org):
    rng = random.Random(7)
    batch = [
        EventInput(
            provider=rng.choice(["openai", "anthropic"]),
            model=rng.choice(["gpt-4o", "claude-sonnet-4-5", "mystery"]),
            input_tokens=rng.randint(0, 4000),
            output_tokens=rng.randint(0, 800),
            latency_ms=rng.choice([None, rng.randint(10, 900)]),
            endpoint=rng.choice(["chat", "sql", ""]),
            occurred_at=datetime(2026, 3, rng.randint(19, 24), rng.randint(0, 23), 30, tzinfo=UTC),
        )
        for _ in range(300)
    ]
    events_record(organization_id=org.id, api_key_id=None, events=batch)
    rollups_merge()


def summed_by_day(model):
    sums = defaultdict(lambda: defaultdict(int))
    for row in model.objects.all():
        day = row.hour.astimezone(UTC).date()
        key = (row.organization_id, day, *(getattr(row, d) for d in ROLLUP_DIMENSIONS))
        for column in COUNTERS:
            sums[key][column] += getattr(row, column)
    return {key: {c: round(v, 6) for c, v in value.items()} for key, value in sums.items()}


def test_the_merge_keeps_daily_rollups_equal_to_the_hourly_ones_per_day(events):
    assert DailyRollup.objects.exists()
    assert summed_by_day(DailyRollup) == summed_by_day(HourlyRollup)


def test_a_rebuild_recomputes_the_daily_rollups_too(org, events):
    DailyRollup.objects.all().delete()
    rollups_rebuild(organization_id=org.id)
    assert summed_by_day(DailyRollup) == summed_by_day(HourlyRollup)


def hourly_only_totals(scope):
    [part] = scope.rollups(hourly_only=True)
    return UsageTotals.from_row(part.aggregate(**_sums()))


def test_a_window_with_partial_days_sums_exactly_the_events_in_it(org, events):
    start, end = datetime(2026, 3, 19, 5, tzinfo=UTC), datetime(2026, 3, 23, 7, tzinfo=UTC)
    scope = UsageScope(org.id, start, end)
    assert len(scope.rollups()) == 3  # hours of the 19th, days 20-22, hours of the 23rd
    raw = UsageEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    totals = usage_totals(scope)
    assert totals.events == raw.count()
    assert totals.total_tokens == sum(e.total_tokens for e in raw)
    assert totals.cost == sum(e.total_cost for e in raw if e.total_cost is not None)
    assert totals == hourly_only_totals(scope)


def test_groups_and_day_series_match_the_hourly_rollups(org, events):
    scope = UsageScope(
        org.id, datetime(2026, 3, 19, 13, tzinfo=UTC), datetime(2026, 3, 24, 2, tzinfo=UTC)
    )
    hourly = {}
    for event in UsageEvent.objects.filter(occurred_at__gte=scope.start, occurred_at__lt=scope.end):
        hourly[event.model] = hourly.get(event.model, 0) + 1
    assert {d["model"]: t.events for d, t in usage_by(scope, "model")} == hourly
    by_day = defaultdict(int)
    for event in UsageEvent.objects.filter(occurred_at__gte=scope.start, occurred_at__lt=scope.end):
        by_day[event.occurred_at.astimezone(UTC).replace(hour=0, minute=0)] += 1
    series = usage_series(scope, "day")
    assert [bucket for bucket, _ in series] == [
        datetime(2026, 3, d, tzinfo=UTC) for d in range(19, 25)
    ]
    assert {bucket: t.events for bucket, t in series if t.events} == dict(by_day)
    assert sum(t.events for _, t in usage_series(scope, "hour")) == sum(by_day.values())


def test_groups_split_by_day_add_up_to_the_groups_from_hourly_and_daily_rows(org, events):
    scope = UsageScope(
        org.id, datetime(2026, 3, 19, 13, tzinfo=UTC), datetime(2026, 3, 24, 2, tzinfo=UTC)
    )
    assert len(scope.rollups()) == 3  # partial days at both ends read from hourly rows
    expected = defaultdict(lambda: defaultdict(int))
    for event in UsageEvent.objects.filter(occurred_at__gte=scope.start, occurred_at__lt=scope.end):
        expected[event.model][event.occurred_at.astimezone(UTC).date()] += 1
    split = usage_by_day(scope, "model")
    assert {d["model"]: {day: t.events for day, t in days.items()} for d, days in split} == {
        model: dict(days) for model, days in expected.items()
    }
    # The same groups in the same order as usage_by, each the sum of its days.
    assert [(dims, UsageTotals.combined(days.values())) for dims, days in split] == usage_by(
        scope, "model"
    )


def test_a_narrowed_scope_narrows_the_daily_rows_too(org, events):
    scope = UsageScope(
        org.id,
        datetime(2026, 3, 19, tzinfo=UTC),
        datetime(2026, 3, 25, tzinfo=UTC),
        models=("gpt-4o",),
    )
    assert usage_totals(scope).events == UsageEvent.objects.filter(model="gpt-4o").count()
