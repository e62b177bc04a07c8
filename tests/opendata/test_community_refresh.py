"""Community rows: sums of opted-in organizations' daily rollups, k-anonymity gated."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendata.models import CommunityDaily, DatasetRefresh
from opendata.services import community_refresh
from tests.factories import OrganizationFactory
from tokentracker.services import organization_community_opt_in_set
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_community")]

DAY = date(2026, 3, 10)
NEXT_DAY = date(2026, 3, 11)


def record(org, *, provider="openai", model="gpt-4o", cost="0.10", day=DAY, **fields):
    event = EventInput(
        provider=provider,
        model=model,
        input_tokens=100,
        output_tokens=20,
        total_cost=Decimal(cost),
        occurred_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        **fields,
    )
    events_record(organization_id=org.id, api_key_id=None, events=[event])


def organizations(count, *, opted_in=True, prefix="member"):
    return [
        OrganizationFactory(slug=f"{prefix}-{n}", community_data_opt_in=opted_in)
        for n in range(count)
    ]


def published():
    return {(row.dimension, row.dimension_value): row for row in CommunityDaily.objects.all()}


@pytest.fixture
def k3(settings):
    settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS = 3


def test_a_group_is_published_with_k_contributors_and_dropped_with_k_minus_one(k3):
    openai_users = organizations(3, prefix="openai")
    anthropic_users = organizations(2, prefix="anthropic")
    mistral_user = OrganizationFactory(slug="mistral", community_data_opt_in=True)
    for org in openai_users:
        record(org, provider="openai", model="gpt-4o")
    for org in anthropic_users:
        record(org, provider="anthropic", model="claude-sonnet-4-5")
    record(mistral_user, provider="mistral", model="mistral-small-latest")
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    rows = published()
    assert rows[("provider", "openai")].contributors == 3
    assert ("provider", "anthropic") not in rows  # k - 1
    assert ("provider", "mistral") not in rows
    assert ("model", "claude-sonnet-4-5") not in rows
    total = rows[("total", "all")]
    assert (total.events, total.tokens, total.cost, total.contributors) == (
        6,
        720,
        Decimal("0.6"),
        6,
    )


def test_a_group_is_also_dropped_when_the_total_would_give_away_the_small_ones(k3):
    for org in organizations(3, prefix="openai"):
        record(org, provider="openai", model="gpt-4o")
    for org in organizations(2, prefix="anthropic"):
        record(org, provider="anthropic", model="claude-sonnet-4-5")
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    # total - openai would be the two anthropic organizations' usage: openai goes too.
    rows = published()
    assert rows[("total", "all")].contributors == 5
    assert not [key for key in rows if key[0] in ("provider", "model")]
    assert rows[("platform", "unspecified")].contributors == 5


def test_organizations_that_did_not_opt_in_are_never_counted(k3):
    members = organizations(2)
    outsiders = organizations(3, opted_in=False, prefix="private")
    for org in [*members, *outsiders]:
        record(org)
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    # Five organizations used openai, but only two opted in: below k, nothing is published.
    assert CommunityDaily.objects.count() == 0


def opt(org, opted_in, at):
    organization_community_opt_in_set(organization=org, opted_in=opted_in, now=at)
    org.save()


def test_opting_out_stops_later_days_and_leaves_published_ones(k3):
    members = organizations(3)
    for org in members:
        record(org, cost="0.25")
        record(org, cost="0.25", day=NEXT_DAY)
    rollups_merge()
    community_refresh(today=date(2026, 3, 11))
    assert published()[("total", "all")].contributors == 3

    opt(members[0], False, at=datetime(2026, 3, 11, 8, tzinfo=UTC))
    community_refresh(today=date(2026, 3, 12))

    # 03-10 stays as published; 03-11 has two organizations left: below k, nothing.
    assert list(CommunityDaily.objects.values_list("date", "dimension")) == [
        (DAY, dimension) for dimension in ("model", "platform", "provider", "total", "use_case")
    ]
    assert published()[("total", "all")].cost == Decimal("0.75")


def test_usage_from_before_the_opt_in_is_never_published(k3):
    members = organizations(3)
    latecomer = OrganizationFactory(slug="latecomer")
    for org in [*members, latecomer]:
        record(org, day=DAY)
        record(org, day=NEXT_DAY, cost="0.01")
    rollups_merge()
    # Opting in during 03-10 covers 03-11 on, never the day it opted in during.
    opt(latecomer, True, at=datetime(2026, 3, 10, 23, 59, tzinfo=UTC))

    community_refresh(today=date(2026, 3, 12))

    totals = {
        row.date: (row.contributors, row.cost)
        for row in CommunityDaily.objects.filter(dimension="total")
    }
    assert totals == {DAY: (3, Decimal("0.3")), NEXT_DAY: (4, Decimal("0.04"))}


def test_a_published_day_is_never_rewritten_by_a_later_opt_in_or_late_usage(k3):
    members = organizations(3)
    for org in members:
        record(org)
    rollups_merge()
    community_refresh(today=date(2026, 3, 11))
    before = list(CommunityDaily.objects.values())

    newcomer = OrganizationFactory(slug="newcomer", community_data_opt_in=True)
    record(newcomer)  # opted in long ago, but its 03-10 usage arrives after publication
    record(members[0], cost="5")
    rollups_merge()
    added = community_refresh(today=date(2026, 3, 11))
    again = community_refresh(today=date(2026, 3, 12))

    assert (added, again) == (0, 0)
    assert list(CommunityDaily.objects.values()) == before
    refresh = DatasetRefresh.objects.get(dataset="community")
    assert (refresh.published_through, refresh.rows) == (NEXT_DAY, 5)


def test_each_refresh_computes_only_the_days_not_published_yet(k3):
    members = organizations(3)
    for day in (DAY, NEXT_DAY):
        for org in members:
            record(org, day=day)
    rollups_merge()

    assert community_refresh(today=NEXT_DAY) == 5
    with CaptureQueriesContext(connection) as queries:
        assert community_refresh(today=date(2026, 3, 12)) == 5
    rollup_reads = [q["sql"] for q in queries if "usage_dailyrollup" in q["sql"]]
    assert len(rollup_reads) == 1 and "2026-03-11" in str(rollup_reads[0])
    assert sorted(set(CommunityDaily.objects.values_list("date", flat=True))) == [DAY, NEXT_DAY]


def test_a_rebuild_recomputes_every_day_with_today_s_opt_ins(k3):
    members = organizations(4)
    for org in members:
        record(org)
    rollups_merge()
    community_refresh(today=NEXT_DAY)
    opt(members[0], False, at=datetime(2026, 3, 11, tzinfo=UTC))

    assert community_refresh(today=NEXT_DAY, rebuild=True) == 5

    assert published()[("total", "all")].contributors == 3


def test_the_reviewers_attack_no_longer_recovers_one_organizations_model_cost(k3):
    """Org 0 is alone on o1; provider=openai minus model=gpt-4o gave its o1 cost exactly."""
    openai_users = organizations(3, prefix="openai")
    anthropic_users = organizations(5, prefix="anthropic")
    for org in openai_users:
        record(org, provider="openai", model="gpt-4o", cost="1.00")
    record(openai_users[0], provider="openai", model="o1", cost="0.123457")
    for org in anthropic_users[:3]:
        record(org, provider="anthropic", model="claude-sonnet-4-5", cost="2.00")
    record(anthropic_users[3], provider="anthropic", model="claude-3-haiku", cost="0.50")
    record(anthropic_users[4], provider="anthropic", model="claude-opus-4-1", cost="0.70")
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    rows = published()
    assert rows[("provider", "openai")].cost == Decimal("3.123457")
    assert rows[("provider", "anthropic")].contributors == 5
    assert ("model", "gpt-4o") not in rows
    costs = [row.cost for row in rows.values()]
    differences = {a - b for a in costs for b in costs} | {
        a - b - c for a in costs for b in costs for c in costs
    }
    assert Decimal("0.123457") not in differences


def test_every_dimension_sums_exactly_and_averages_only_what_was_reported(k3):
    members = organizations(3)
    members[1].quality_scale = "0-1"  # only a declared scale is averaged
    members[1].save(update_fields=["quality_scale"])
    record(members[0], platform="cursor", use_case="coding", latency_ms=100, success=True)
    record(members[1], platform="cursor", use_case="coding", latency_ms=201, quality_score=0.5)
    record(members[2], platform="cursor", use_case="coding", success=False, cost="0.000001")
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    rows = published()
    assert set(rows) == {
        ("total", "all"),
        ("provider", "openai"),
        ("model", "gpt-4o"),
        ("platform", "cursor"),
        ("use_case", "coding"),
    }
    for row in rows.values():
        assert row.date == DAY
        assert row.events == 3
        assert row.tokens == 360
        assert row.cost == Decimal("0.200001")
        assert row.contributors == 3
        assert row.success == 1
        assert row.quality_avg == 0.5
        assert row.latency_avg_ms == 150  # (100 + 201) / 2, rounded half to even


def test_unreported_dimension_values_are_one_named_group(k3):
    members = organizations(3)
    for org in members:
        record(org)
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    rows = published()
    assert rows[("platform", "unspecified")].contributors == 3
    assert rows[("use_case", "unspecified")].quality_avg is None
    assert rows[("use_case", "unspecified")].latency_avg_ms is None


def test_the_day_in_progress_is_not_published(k3):
    for org in organizations(3):
        record(org)
    rollups_merge()

    community_refresh(today=DAY)

    assert CommunityDaily.objects.count() == 0


def test_k_defaults_to_five():
    for org in organizations(5, prefix="openai"):
        record(org, provider="openai")
    for org in organizations(4, prefix="anthropic"):
        record(org, provider="anthropic", model="claude-sonnet-4-5")
    record(OrganizationFactory(slug="mistral", community_data_opt_in=True), provider="mistral")
    rollups_merge()

    community_refresh(today=date(2026, 3, 11))

    assert ("provider", "openai") in published()
    assert ("provider", "anthropic") not in published()


def test_the_refresh_reads_rollups_never_raw_events(k3):
    for org in organizations(3):
        record(org)
    rollups_merge()

    with CaptureQueriesContext(connection) as queries:
        community_refresh(today=date(2026, 3, 11))

    assert CommunityDaily.objects.exists()
    assert not [q for q in queries if "usage_usageevent" in q["sql"]]
    assert [q for q in queries if "usage_dailyrollup" in q["sql"]]
