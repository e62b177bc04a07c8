"""Session summaries: kept by ingest's deltas and the merge, equal to the raw events'
sums exactly, rebuilt from raw events, apart per live/test mode, purged with retention."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Q, Sum

from tokentracker.models import ApiKey, ApiKeyMode, Organization
from usage.models import SessionDelta, SessionSummary, UsageEvent
from usage.schemas import EventInput
from usage.services.events import events_record
from usage.services.retention import events_retention_purge
from usage.sessions.summaries import (
    TOKENS,
    session_summaries_merge,
    session_summaries_rebuild,
)

pytestmark = pytest.mark.django_db

FIELDS = (
    "developer_id",
    "first_at",
    "last_at",
    "events",
    *TOKENS,
    "cost",
    "unpriced_events",
    "co2e_grams",
    "errors",
)


def _event(moment: str, session: str, **fields) -> EventInput:
    values = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "cache_read_tokens": 200,
        "output_tokens": 300,
        "occurred_at": moment,
        "session_id": session,
        **fields,
    }
    return EventInput(**values)


def _record(org, *events, api_key_id=None) -> None:
    events_record(organization_id=org.id, api_key_id=api_key_id, events=list(events))


def _summaries(org) -> dict[tuple, tuple]:
    return {
        (row["livemode"], row["session_id"]): tuple(row[name] for name in FIELDS)
        for row in SessionSummary.objects.filter(organization=org).values(
            "livemode", "session_id", *FIELDS
        )
    }


def _from_raw_events(org) -> dict[tuple, tuple]:
    """What every session sums to, read straight from the events (first developer by
    time, then id: the summaries' rule)."""
    groups = (
        UsageEvent.objects.filter(organization=org)
        .exclude(session_id="")
        .values("livemode", "session_id")
        .annotate(
            first_at=Min("occurred_at"),
            last_at=Max("occurred_at"),
            events=Count("id"),
            **{column: Sum(column) for column in TOKENS},
            cost=Sum("total_cost"),
            priced=Count("total_cost"),
            co2e_grams=Sum("co2e_grams"),
            errors=Count("id", filter=Q(outcome="error")),
        )
    )
    expected = {}
    for group in groups:
        named = (
            UsageEvent.objects.filter(
                organization=org, livemode=group["livemode"], session_id=group["session_id"]
            )
            .exclude(developer_id="")
            .order_by("occurred_at", "developer_id")
            .values_list("developer_id", flat=True)
            .first()
        )
        expected[(group["livemode"], group["session_id"])] = (
            named or "",
            group["first_at"],
            group["last_at"],
            group["events"],
            *(group[column] for column in TOKENS),
            group["cost"] or Decimal(0),
            group["events"] - group["priced"],
            group["co2e_grams"] or Decimal(0),
            group["errors"],
        )
    return expected


def _batches(org) -> None:
    _record(
        org,
        _event("2026-03-20T10:00:00Z", "s-1", developer_id="dev-b"),
        _event("2026-03-20T10:05:00Z", "s-1", success=False),
        _event("2026-03-20T10:06:00Z", "s-2", model="mystery-model", provider="mistral"),
        _event("2026-03-20T10:07:00Z", ""),
    )
    # A later batch with an earlier event of s-1 by another developer: that one is first.
    _record(
        org,
        _event("2026-03-20T09:59:00Z", "s-1", developer_id="dev-a"),
        _event("2026-03-20T11:00:00Z", "s-1", developer_id="dev-c", output_tokens=50),
        _event("2026-03-20T11:01:00Z", "s-2", total_cost=Decimal("0.125")),
    )
    _record(org, _event("2026-03-21T08:00:00Z", "s-3", developer_id="dev-z", id="client-1"))


def test_summaries_equal_the_raw_events_sums_after_several_batches(org):
    _batches(org)
    assert SessionDelta.objects.count() == 5  # one per session and batch: 2 + 2 + 1
    assert session_summaries_merge() == 5
    assert SessionDelta.objects.count() == 0
    summaries = _summaries(org)
    assert summaries == _from_raw_events(org)
    assert set(summaries) == {(True, "s-1"), (True, "s-2"), (True, "s-3")}
    s1 = summaries[(True, "s-1")]
    assert s1[0] == "dev-a"
    assert s1[1:4] == (
        datetime(2026, 3, 20, 9, 59, tzinfo=UTC),
        datetime(2026, 3, 20, 11, 0, tzinfo=UTC),
        4,
    )
    # gpt-4o: 800 uncached at $2.50, 200 cached at $1.25, 300 output at $10 per Mtok
    # ($0.00525); the one of 50 output tokens $0.00275.
    assert s1[FIELDS.index("cost")] == Decimal("0.00525") * 3 + Decimal("0.00275")
    assert s1[FIELDS.index("errors")] == 1
    s2 = summaries[(True, "s-2")]
    assert (s2[FIELDS.index("cost")], s2[FIELDS.index("unpriced_events")]) == (
        Decimal("0.125"),
        1,
    )


def test_merging_after_every_batch_gives_the_same_summaries(org):
    _record(org, _event("2026-03-20T10:00:00Z", "s-1", developer_id="dev-b"))
    session_summaries_merge()
    _record(org, _event("2026-03-20T09:00:00Z", "s-1", developer_id="dev-a"))
    session_summaries_merge()
    _record(org, _event("2026-03-20T12:00:00Z", "s-1", developer_id="dev-0"))
    session_summaries_merge()
    assert session_summaries_merge() == 0
    summaries = _summaries(org)
    assert summaries == _from_raw_events(org)
    assert summaries[(True, "s-1")][:4] == (
        "dev-a",
        datetime(2026, 3, 20, 9, tzinfo=UTC),
        datetime(2026, 3, 20, 12, tzinfo=UTC),
        3,
    )


def test_a_duplicate_batch_is_counted_once(org):
    batch = [
        _event("2026-03-20T10:00:00Z", "s-1", id="a"),
        _event("2026-03-20T10:01:00Z", "s-1", id="b"),
    ]
    _record(org, *batch)
    _record(org, *batch)
    session_summaries_merge()
    _record(org, *batch, _event("2026-03-20T10:02:00Z", "s-1", id="c"))
    session_summaries_merge()
    assert _summaries(org)[(True, "s-1")][FIELDS.index("events")] == 3
    assert _summaries(org) == _from_raw_events(org)


def test_a_rebuild_equals_the_incremental_summaries_and_drops_pending_deltas(org, outsider_org):
    _batches(org)
    _record(outsider_org, _event("2026-03-20T10:00:00Z", "s-1"))
    session_summaries_merge()
    incremental = _summaries(org)
    outsider = _summaries(outsider_org)
    # A batch still pending when the rebuild runs: counted from its events, not twice.
    _record(org, _event("2026-03-21T09:00:00Z", "s-3"))
    SessionSummary.objects.filter(organization=org, session_id="s-2").update(events=99)
    assert session_summaries_rebuild(organization_id=org.id) == 3
    assert SessionDelta.objects.filter(organization=org).count() == 0
    session_summaries_merge()
    rebuilt = _summaries(org)
    assert rebuilt == _from_raw_events(org)
    assert {key: row for key, row in rebuilt.items() if key != (True, "s-3")} == {
        key: row for key, row in incremental.items() if key != (True, "s-3")
    }
    assert _summaries(outsider_org) == outsider


def test_rebuild_rollups_command_rebuilds_the_sessions(org):
    _batches(org)
    session_summaries_merge()
    SessionSummary.objects.filter(organization=org).delete()
    call_command("rebuild_rollups", "--org", org.slug, stdout=io.StringIO())
    assert _summaries(org) == _from_raw_events(org)


def test_test_key_sessions_are_apart_from_live_ones(org, test_key):
    key = ApiKey.objects.get(organization=org, mode=ApiKeyMode.TEST)
    _record(org, _event("2026-03-20T10:00:00Z", "s-1"))
    _record(org, _event("2026-03-20T10:01:00Z", "s-1"), api_key_id=key.id)
    session_summaries_merge()
    summaries = _summaries(org)
    assert set(summaries) == {(True, "s-1"), (False, "s-1")}
    assert summaries[(False, "s-1")][FIELDS.index("events")] == 1
    assert summaries == _from_raw_events(org)
    session_summaries_rebuild(organization_id=org.id)
    assert _summaries(org) == summaries


def test_retention_drops_finished_sessions_and_a_rebuild_keeps_straddling_ones(org):
    _record(
        org,
        _event("2026-01-01T10:00:00Z", "old"),
        _event("2026-01-01T10:00:00Z", "straddling"),
        _event("2026-03-20T10:00:00Z", "straddling"),
        _event("2026-03-20T10:00:00Z", "new"),
    )
    session_summaries_merge()
    Organization.objects.filter(pk=org.pk).update(event_retention_days=31)
    purges = events_retention_purge(now=datetime(2026, 3, 22, tzinfo=UTC))
    assert purges[0].events == 2 and purges[0].sessions == 1
    assert set(_summaries(org)) == {(True, "straddling"), (True, "new")}
    straddling = _summaries(org)[(True, "straddling")]
    assert straddling[FIELDS.index("events")] == 2  # all that is left of its early event
    session_summaries_rebuild(organization_id=org.id)
    assert _summaries(org)[(True, "straddling")] == straddling
    assert _summaries(org)[(True, "new")] == _from_raw_events(org)[(True, "new")]
