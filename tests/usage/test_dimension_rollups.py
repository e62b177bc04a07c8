"""The explorer's dimension rollups (developer, customer, metadata tags) against raw sums."""

import random
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentracker.services import api_key_create
from usage import dimension_rollups, rollup_rebuild
from usage.dimensions import OTHER, event_value
from usage.folds import DIMENSION_COUNTERS
from usage.models import (
    DimensionDailyRollup,
    DimensionHourlyRollup,
    DimensionRollupDelta,
    DimensionSetAsideDelta,
    DimensionValue,
    HourlyRollup,
    UsageEvent,
)
from usage.rollup_rebuild import rollups_rebuild
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.selectors.dimensions import dimension_breakdown
from usage.selectors.usage import UsageScope, usage_by, usage_totals
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 18, tzinfo=UTC)
END = datetime(2026, 3, 26, tzinfo=UTC)
DEVELOPERS = ["ann", "bob", "cy", ""]
CUSTOMERS = ["c1", "c2", "c3", ""]
REGIONS = ["eu", "us", "x" * 300, 7, True, None]


def batch(rng, count=200):
    events = []
    for _ in range(count):
        metadata = {"team": rng.choice(["core", "ml"])}
        region = rng.choice(REGIONS)
        if region is not None:
            metadata["region"] = region
        events.append(
            EventInput(
                provider=rng.choice(["openai", "anthropic"]),
                model=rng.choice(["gpt-4o", "claude-sonnet-4-5", "mystery"]),
                input_tokens=rng.randint(0, 4000),
                output_tokens=rng.randint(0, 800),
                latency_ms=rng.choice([None, rng.randint(10, 900)]),
                success=rng.choice([None, True, False]),
                endpoint=rng.choice(["chat", "sql", ""]),
                developer_id=rng.choice(DEVELOPERS) or None,
                tenant_id=rng.choice(CUSTOMERS) or None,
                metadata=metadata,
                occurred_at=datetime(
                    2026, 3, rng.randint(19, 24), rng.randint(0, 23), 30, tzinfo=UTC
                ),
            )
        )
    return events


@pytest.fixture
def tagged(org):
    org.tag_keys = ["region", "team"]
    org.save(update_fields=["tag_keys"])
    return org


@pytest.fixture
def events(tagged):
    rng = random.Random(11)
    test_key = api_key_create(organization=tagged, name="t", prefix="isv_test_sk_").api_key
    events_record(organization_id=tagged.id, api_key_id=None, events=batch(rng))
    events_record(organization_id=tagged.id, api_key_id=test_key.id, events=batch(rng, 80))
    events_record(organization_id=tagged.id, api_key_id=None, events=batch(rng, 120))
    rollups_merge()


def raw_value(event, dimension):
    return event_value(
        {
            "developer_id": event.developer_id,
            "tenant_id": event.tenant_id,
            "metadata": event.metadata,
        },
        dimension,
    )


def figures(totals):
    return (
        totals.events,
        totals.total_tokens,
        totals.cost,
        totals.priced_events,
        totals.latency_ms_sum,
        totals.success_count,
        totals.error_count,
        totals.co2e_grams,
    )


def raw_figures(events):
    events = list(events)
    return (
        len(events),
        sum(e.total_tokens for e in events),
        sum((e.total_cost for e in events if e.total_cost is not None), Decimal(0)),
        sum(1 for e in events if e.total_cost is not None),
        sum(e.latency_ms or 0 for e in events),
        sum(1 for e in events if e.outcome == "success"),
        sum(1 for e in events if e.outcome == "error"),
        sum((e.co2e_grams for e in events if e.co2e_grams is not None), Decimal(0)),
    )


def raw_by(organization, dimension, keep=lambda e: True):
    groups = defaultdict(list)
    for event in UsageEvent.objects.filter(organization=organization):
        if keep(event):
            groups[raw_value(event, dimension)].append(event)
    return {value: raw_figures(group) for value, group in groups.items()}


def breakdown(scope, dimension):
    return {row.value: figures(row.totals) for row in dimension_breakdown(scope, dimension)}


@pytest.mark.parametrize("dimension", ["developer", "customer", "tag:region", "tag:team"])
def test_each_breakdown_equals_the_raw_sums(tagged, events, dimension):
    scope = UsageScope(tagged.id, START, END)
    assert breakdown(scope, dimension) == raw_by(tagged, dimension)


def test_tag_values_are_strings_cut_to_200_characters_and_the_rest_is_none(tagged, events):
    values = set(breakdown(UsageScope(tagged.id, START, END), "tag:region"))
    assert values == {"eu", "us", "x" * 200, ""}


@pytest.mark.parametrize(
    ("narrowing", "keep"),
    [
        ({"customers": ("c1", "c2")}, lambda e: e.tenant_id in ("c1", "c2")),
        ({"developers": ("",)}, lambda e: e.developer_id == ""),
        ({"tags": (("region", ("eu",)),)}, lambda e: (e.metadata or {}).get("region") == "eu"),
        (
            {"customers": ("c1",), "models": ("gpt-4o",)},
            lambda e: e.tenant_id == "c1" and e.model == "gpt-4o",
        ),
        # Narrowings the dimension rollups do not hold: summed from the raw events.
        (
            {"customers": ("c1",), "endpoints": ("chat",)},
            lambda e: e.tenant_id == "c1" and e.endpoint == "chat",
        ),
        (
            {"customers": ("c2",), "developers": ("ann", "bob")},
            lambda e: e.tenant_id == "c2" and e.developer_id in ("ann", "bob"),
        ),
    ],
)
def test_filters_equal_the_raw_sums_whichever_rows_answer(tagged, events, narrowing, keep):
    scope = UsageScope(tagged.id, START, END, **narrowing)
    matching = [e for e in UsageEvent.objects.filter(organization=tagged) if keep(e)]
    assert figures(usage_totals(scope)) == raw_figures(matching)
    by_model = {keys["model"]: figures(t) for keys, t in usage_by(scope, "model")}
    assert by_model == {
        model: raw_figures([e for e in matching if e.model == model])
        for model in {e.model for e in matching}
    }
    assert breakdown(scope, "developer") == raw_by(tagged, "developer", keep)
    assert breakdown(scope, "tag:team") == raw_by(tagged, "tag:team", keep)
    assert set(scope.events()) == set(matching)


def test_live_and_test_events_are_kept_apart(tagged, events):
    for livemode in (True, False):
        scope = UsageScope(tagged.id, START, END, livemode=livemode)
        assert breakdown(scope, "customer") == raw_by(
            tagged, "customer", lambda e, mode=livemode: e.livemode is mode
        )
    assert set(DimensionHourlyRollup.objects.values_list("livemode", flat=True)) == {True, False}


def test_another_organization_sees_nothing(tagged, events, outsider_org):
    scope = UsageScope(outsider_org.id, START, END, customers=("c1",))
    assert dimension_breakdown(UsageScope(outsider_org.id, START, END), "developer") == []
    assert dimension_breakdown(scope, "customer") == []
    assert usage_totals(scope).events == 0
    assert not scope.events().exists()


def test_values_past_the_bound_are_summed_as_other(org, monkeypatch):
    monkeypatch.setattr(dimension_rollups, "MAX_VALUES", 3)
    monkeypatch.setattr(rollup_rebuild, "MAX_VALUES", 3)
    rng = random.Random(3)
    for developer in ["d1", "d2", "d3", "d4", "d5", "d1", ""]:
        events_record(
            organization_id=org.id,
            api_key_id=None,
            events=[
                EventInput(
                    provider="openai",
                    model="gpt-4o",
                    input_tokens=rng.randint(1, 1000),
                    output_tokens=5,
                    developer_id=developer or None,
                    occurred_at="2026-03-20T10:00:00Z",
                )
            ],
        )
    rollups_merge()
    scope = UsageScope(org.id, START, END)
    rows = breakdown(scope, "developer")
    # First come: d1, d2, d3 admitted; d4 and d5 summed as Other; "" is always its own.
    raw = raw_by(org, "developer")
    assert set(rows) == {"d1", "d2", "d3", "", None}
    assert rows["d1"] == raw["d1"]
    others = [e for e in UsageEvent.objects.filter(developer_id__in=["d4", "d5"])]
    assert rows[None] == raw_figures(others)
    assert sum(row[0] for row in rows.values()) == UsageEvent.objects.count()
    assert DimensionValue.objects.filter(dimension="developer").count() == 3
    assert DimensionHourlyRollup.objects.filter(dimension="developer", value=OTHER).exists()
    # The raw-event read folds the same values into Other.
    raw_read = UsageScope(org.id, START, END, endpoints=("",))
    assert breakdown(raw_read, "developer") == rows

    # A rebuild admits the three with the most events: d1 (two), then by name.
    rollups_rebuild(organization_id=org.id)
    assert set(DimensionValue.objects.values_list("value", flat=True)) == {"d1", "d2", "d3"}
    rebuilt = breakdown(scope, "developer")
    assert sum(row[0] for row in rebuilt.values()) == UsageEvent.objects.count()
    assert figures(usage_totals(scope)) == raw_figures(UsageEvent.objects.all())


def rollup_rows(model):
    return {
        (r.hour, r.livemode, r.dimension, r.value, r.provider, r.model): tuple(
            round(getattr(r, c), 6) for c in DIMENSION_COUNTERS
        )
        for r in model.objects.all()
    }


def test_a_rebuild_equals_the_incremental_rollups(tagged, events):
    hourly, daily = rollup_rows(DimensionHourlyRollup), rollup_rows(DimensionDailyRollup)
    assert hourly and daily
    rollups_rebuild(organization_id=tagged.id)
    assert rollup_rows(DimensionHourlyRollup) == hourly
    assert rollup_rows(DimensionDailyRollup) == daily


def test_daily_rows_are_the_hourly_ones_per_day(tagged, events):
    by_day = defaultdict(lambda: [0] * len(DIMENSION_COUNTERS))
    for key, sums in rollup_rows(DimensionHourlyRollup).items():
        day = key[0].replace(hour=0)
        for index, value in enumerate(sums):
            by_day[(day, *key[1:])][index] += value
    daily = rollup_rows(DimensionDailyRollup)
    # Float sums (quality) added in another order differ in the last bits: to 3 places.
    assert {k: tuple(round(v, 3) for v in sums) for k, sums in by_day.items()} == {
        k: tuple(round(v, 3) for v in sums) for k, sums in daily.items()
    }


def test_a_poisoned_dimension_delta_is_set_aside_and_others_still_merge(
    tagged, outsider_org, record
):
    key = {
        "hour": datetime(2026, 3, 20, 10, tzinfo=UTC),
        "livemode": True,
        "dimension": "developer",
        "value": "=ann",
        "provider": "openai",
        "model": "gpt-4o",
    }
    DimensionHourlyRollup.objects.create(organization=tagged, **key, input_tokens=9 * 10**18)
    bad = DimensionRollupDelta.objects.create(
        organization=tagged, **key, events=1, input_tokens=9 * 10**18
    )
    record(
        {"developer_id": "zed", "input_tokens": 10, "occurred_at": "2026-03-20T10:30:00Z"},
        organization=outsider_org,
    )
    assert not DimensionRollupDelta.objects.exists()
    set_aside = DimensionSetAsideDelta.objects.get()
    assert (set_aside.organization_id, set_aside.delta_id) == (tagged.id, bad.id)
    outsider = breakdown(UsageScope(outsider_org.id, START, END), "developer")
    assert outsider == {"zed": (1, 10, Decimal("0.000025000000"), 1, 0, 0, 0, outsider["zed"][7])}
    # The main rollups merged too: the families are isolated from each other.
    assert HourlyRollup.objects.filter(organization=outsider_org).get().events == 1
    # A rebuild clears the set-aside delta: the raw events are counted instead.
    rollups_rebuild(organization_id=tagged.id)
    assert not DimensionSetAsideDelta.objects.exists()


def test_admin_lists_set_aside_dimension_deltas_and_merges_them_again(admin_client, org):
    key = {
        "hour": datetime(2026, 3, 20, 10, tzinfo=UTC),
        "livemode": True,
        "dimension": "customer",
        "value": "=globex",
        "provider": "openai",
        "model": "gpt-4o",
    }
    DimensionHourlyRollup.objects.create(organization=org, **key, input_tokens=9 * 10**18)
    DimensionRollupDelta.objects.create(organization=org, **key, events=1, input_tokens=9 * 10**18)
    rollups_merge()
    set_aside = DimensionSetAsideDelta.objects.get()
    page = admin_client.get("/admin/usage/dimensionsetasidedelta/")
    assert page.status_code == 200
    assert "globex" in page.content.decode()

    DimensionHourlyRollup.objects.filter(organization=org).update(input_tokens=5)
    response = admin_client.post(
        "/admin/usage/dimensionsetasidedelta/",
        {"action": "merge_again", "_selected_action": [set_aside.pk]},
    )
    assert response.status_code == 302
    assert not DimensionSetAsideDelta.objects.exists()
    assert DimensionHourlyRollup.objects.get(organization=org).input_tokens == 5 + 9 * 10**18


def test_a_recount_keeps_the_hours_before_the_retention_horizon(org, record):
    record(
        {
            "developer_id": "ann",
            "metadata": {"region": "eu"},
            "occurred_at": "2026-03-19T10:00:00Z",
        },
        {
            "developer_id": "bob",
            "metadata": {"region": "us"},
            "occurred_at": "2026-03-21T10:00:00Z",
        },
    )
    # The retention purge deleted the first day's events; its rollups are all that is left.
    org.events_purged_before = datetime(2026, 3, 20, tzinfo=UTC)
    org.save()
    UsageEvent.objects.filter(occurred_at__lt=org.events_purged_before).delete()
    org.tag_keys = ["region"]
    org.save()
    rollup_rebuild.dimension_rollups_rebuild(organization_id=org.id)
    scope = UsageScope(org.id, START, END)
    assert {row.value: row.totals.events for row in dimension_breakdown(scope, "developer")} == {
        "ann": 1,
        "bob": 1,
    }
    # A new key counts the events kept: the purged day has no tag figures.
    assert {row.value: row.totals.events for row in dimension_breakdown(scope, "tag:region")} == {
        "us": 1
    }
