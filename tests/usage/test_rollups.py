"""Hourly rollups equal a raw-event aggregation, after ingest and after a rebuild."""

import random
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from usage.folds import COUNTERS, outcome_of
from usage.models import ROLLUP_DIMENSIONS, HourlyRollup, Outcome, RollupDelta, UsageEvent
from usage.rollups import rollups_merge

URL = "/api/v1/events"
pytestmark = pytest.mark.django_db

MODELS = [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-0"), ("openai", "no-such-model")]


def random_events(rng, count):
    events = []
    for index in range(count):
        provider, model = rng.choice(MODELS)
        event = {
            "provider": provider,
            "model": model,
            "input_tokens": rng.randint(0, 5000),
            "output_tokens": rng.randint(0, 900),
            "occurred_at": f"2026-11-0{rng.randint(1, 3)}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:00Z",
            "project": rng.choice(["", "search", "support"]),
            "endpoint": rng.choice(["chat", "sql"]),
            "id": f"e{index}",
        }
        if rng.random() < 0.5:
            event["latency_ms"] = rng.randint(50, 5000)
        if rng.random() < 0.5:
            event["success"] = rng.random() < 0.8
        elif rng.random() < 0.5:
            event["status"] = rng.choice(["ok", "error", "timeout"])
        if rng.random() < 0.3:
            event["quality_score"] = round(rng.random(), 3)
        if rng.random() < 0.1:
            event["total_cost"] = round(rng.random(), 6)
        events.append(event)
    return events


def raw_aggregation():
    expected = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for event in UsageEvent.objects.all():
        key = (
            event.organization_id,
            event.occurred_at.replace(minute=0, second=0),
            *(getattr(event, name) for name in ROLLUP_DIMENSIONS),
        )
        sums = expected[key]
        sums["events"] += 1
        for column in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "uncached_input_tokens",
            "total_tokens",
        ):
            sums[column] += getattr(event, column)
        if event.total_cost is None:
            sums["unpriced_events"] += 1
        else:
            sums["priced_events"] += 1
            sums["cost"] += event.total_cost
        if event.latency_ms is not None:
            sums["latency_ms_sum"] += event.latency_ms
            sums["latency_count"] += 1
        sums["success_count"] += event.outcome == Outcome.SUCCESS
        if event.quality_score is not None:
            sums["quality_sum"] += event.quality_score
            sums["quality_count"] += 1
        sums["energy_wh"] += event.energy_wh
        sums["co2e_grams"] += event.co2e_grams
    return {key: normalise(sums) for key, sums in expected.items()}


def normalise(sums):
    result = dict(sums)
    result["cost"] = Decimal(result["cost"]).quantize(Decimal("0.000000000001"))
    result["quality_sum"] = round(result["quality_sum"], 9)
    for column in ("energy_wh", "co2e_grams"):
        result[column] = Decimal(result[column]).quantize(Decimal("0.000000001"))
    return result


def rollup_table():
    # Ingest appends deltas; in production a task merges them within seconds, here now.
    rollups_merge()
    assert not RollupDelta.objects.exists()
    table = {}
    for rollup in HourlyRollup.objects.all():
        key = (
            rollup.organization_id,
            rollup.hour,
            *(getattr(rollup, name) for name in ROLLUP_DIMENSIONS),
        )
        table[key] = normalise({column: getattr(rollup, column) for column in COUNTERS})
    return table


def test_rollups_kept_by_ingest_equal_the_raw_events_and_a_rebuild(api, org, raw_key, outsider_key):
    rng = random.Random(7)
    events = random_events(rng, 300)
    for start in range(0, 300, 60):
        api.post(URL, {"events": events[start : start + 60]}, raw_key)
    api.post(URL, {"events": events[:50]}, raw_key)  # retried ids: not counted again
    api.post(URL, {"events": random_events(rng, 40)}, outsider_key)
    expected = raw_aggregation()
    assert UsageEvent.objects.count() == 340
    assert sum(row["events"] for row in expected.values()) == 340
    assert rollup_table() == expected

    call_command("rebuild_rollups", stdout=StringIO())
    assert rollup_table() == expected


def test_a_rejected_batch_adds_nothing_to_the_rollups(api, org, raw_key):
    good = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}
    api.post(URL, good, raw_key)
    before = rollup_table()
    assert (
        api.post(URL, {"events": [{**good, "model": ""}, {**good, "input_tokens": -1}]}, raw_key)
    ).status_code == 422
    org.plan.daily_event_limit = 1
    org.plan.save()
    assert api.post(URL, good, raw_key).status_code == 429
    assert rollup_table() == before


def test_rebuild_of_one_organization_leaves_the_others(
    api, org, raw_key, outsider_org, outsider_key
):
    good = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}
    api.post(URL, good, raw_key)
    api.post(URL, good, outsider_key)
    rollups_merge()
    HourlyRollup.objects.filter(organization=outsider_org).update(events=99)
    out = StringIO()
    call_command("rebuild_rollups", "--org", org.slug, stdout=out)
    assert out.getvalue() == "acme: 1 rollup rows, 0 sessions\n"
    assert HourlyRollup.objects.get(organization=outsider_org).events == 99
    call_command("rebuild_rollups", "--org", outsider_org.slug, stdout=StringIO())
    assert HourlyRollup.objects.get(organization=outsider_org).events == 1


def test_rebuild_of_an_unknown_organization_is_an_error():
    with pytest.raises(CommandError, match="No organization"):
        call_command("rebuild_rollups", "--org", "nope")


@pytest.mark.parametrize(
    ("success", "status", "status_code", "outcome"),
    [
        (True, "error", 500, "success"),
        (False, "ok", 200, "error"),
        (None, "timeout", None, "error"),
        (None, "OK", 500, "success"),
        (None, "", 429, "error"),
        (None, "", 200, "success"),
        (None, "weird", None, "unknown"),
    ],
)
def test_outcome_prefers_the_flag_then_status_then_code(success, status, status_code, outcome):
    assert outcome_of(success, status, status_code) == outcome


def test_pending_deltas_merge_into_existing_rollups_and_a_second_merge_is_a_no_op(
    api, org, raw_key
):
    good = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 0,
        "occurred_at": "2026-11-01T10:15:00Z",
    }
    api.post(URL, good, raw_key)
    api.post(URL, {"events": [good, good]}, raw_key)
    assert RollupDelta.objects.count() == 2
    assert rollups_merge() == 2
    assert rollups_merge() == 0
    rollup = HourlyRollup.objects.get()
    assert (rollup.events, rollup.input_tokens, rollup.cost) == (3, 3000, Decimal("0.0075"))
    api.post(URL, good, raw_key)
    assert rollups_merge() == 1
    rollup.refresh_from_db()
    assert (rollup.events, rollup.cost) == (4, Decimal("0.01"))


def test_rebuild_drops_pending_deltas_already_counted_in_raw_events(api, org, raw_key):
    good = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}
    api.post(URL, good, raw_key)
    call_command("rebuild_rollups", "--org", org.slug, stdout=StringIO())
    assert not RollupDelta.objects.exists()
    assert rollups_merge() == 0
    assert HourlyRollup.objects.get().events == 1


def test_a_merge_after_a_rebuild_adds_onto_the_rebuilt_rows(api, org, raw_key):
    good = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}
    api.post(URL, {**good, "occurred_at": "2026-11-01T10:15:00Z"}, raw_key)
    call_command("rebuild_rollups", "--org", org.slug, stdout=StringIO())
    api.post(URL, {**good, "occurred_at": "2026-11-01T10:45:00Z"}, raw_key)
    rollups_merge()
    # One row per hour and dimensions, whichever of the two wrote it first.
    assert [(r.events, r.input_tokens) for r in HourlyRollup.objects.all()] == [(2, 2)]
