"""Rollups recomputed from raw events: one organization at a time, safe during ingest."""

import logging
from datetime import UTC, datetime
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from tokentracker.models import Organization

from .models import (
    ROLLUP_DIMENSIONS,
    DailyRollup,
    HourlyRollup,
    Outcome,
    RollupDelta,
    SetAsideDelta,
    UsageEvent,
)
from .rollups import COUNTERS, TOKEN_COLUMNS, check_in_range

logger = logging.getLogger(__name__)


# PostgreSQL's SQLSTATE for a REPEATABLE READ transaction that lost a race.
_SERIALIZATION_FAILURE = "40001"
REBUILD_ATTEMPTS = 5


def rollups_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's rollups from its raw events; returns the rows written.

    Safe to run during ingest and merges. On PostgreSQL the rebuild reads one snapshot
    (REPEATABLE READ): the pending deltas it discards are exactly those of the events it
    counts, and a batch committed meanwhile keeps its delta for the next merge. If a merge
    moved one of the snapshot's deltas in the meantime, PostgreSQL refuses the rebuild's
    write and it starts again. On SQLite the first DELETE takes the database's write lock,
    so ingest waits. Set-aside deltas of the organization are cleared: the raw events they
    came from are counted here. Hours before the retention horizon (`rebuild_horizon`)
    keep their rollups: their events were deleted.
    """
    isolated = connection.vendor == "postgresql" and not connection.in_atomic_block
    for attempt in range(REBUILD_ATTEMPTS):
        try:
            with transaction.atomic():
                if isolated:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _rebuild(organization_id)
        except OperationalError as exc:
            lost_race = getattr(exc.__cause__, "sqlstate", None) == _SERIALIZATION_FAILURE
            if not (isolated and lost_race) or attempt + 1 == REBUILD_ATTEMPTS:
                raise
            logger.info("rollup rebuild of organization %s raced a merge; again", organization_id)
    raise AssertionError("unreachable")


def rebuild_horizon(organization_id: int) -> datetime | None:
    """The hour before which the organization's raw events were deleted by its retention
    setting: the rollups of earlier hours are all that is left of them, so a rebuild keeps
    them as they are and recomputes only the hours from here on (None: every hour)."""
    return (
        Organization.objects.filter(pk=organization_id)
        .values_list("events_purged_before", flat=True)
        .first()
    )


def _rebuild(organization_id: int) -> int:
    horizon = rebuild_horizon(organization_id)
    events = UsageEvent.objects.filter(organization_id=organization_id)
    hourly = HourlyRollup.objects.filter(organization_id=organization_id)
    if horizon is not None:
        events = events.filter(occurred_at__gte=horizon)
        hourly = hourly.filter(hour__gte=horizon)
    aggregated = (
        events.annotate(rollup_hour=TruncHour("occurred_at"))
        .values("rollup_hour", *ROLLUP_DIMENSIONS)
        .annotate(
            events=Count("id"),
            **{column: Sum(column) for column in TOKEN_COLUMNS},
            cost=Coalesce(Sum("total_cost"), Decimal(0)),
            priced_events=Count("id", filter=Q(total_cost__isnull=False)),
            unpriced_events=Count("id", filter=Q(total_cost__isnull=True)),
            latency_ms_sum=Coalesce(Sum("latency_ms"), 0),
            latency_count=Count("latency_ms"),
            success_count=Count("id", filter=Q(outcome=Outcome.SUCCESS)),
            quality_sum=Coalesce(Sum("quality_score"), 0.0),
            quality_count=Count("quality_score"),
            energy_wh=Coalesce(Sum("energy_wh"), Decimal(0)),
            co2e_grams=Coalesce(Sum("co2e_grams"), Decimal(0)),
        )
        .order_by()
    )
    written = 0
    hourly.delete()
    pending_discard(organization_id=organization_id)
    batch: list[HourlyRollup] = []
    checked = connection.vendor != "postgresql"
    for values in aggregated.iterator(chunk_size=2000):
        hour = values.pop("rollup_hour")
        if checked:
            check_in_range(HourlyRollup, [tuple(values[column] for column in COUNTERS)])
        batch.append(HourlyRollup(organization_id=organization_id, hour=hour, **values))
        if len(batch) >= 2000:
            HourlyRollup.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    HourlyRollup.objects.bulk_create(batch)
    written += len(batch)
    daily_rollups_rebuild(organization_id=organization_id)
    return written


def pending_discard(*, organization_id: int) -> None:
    """Drop an organization's pending and set-aside deltas: a rebuild counts their events.
    Not those of hours before its retention horizon, whose events it does not count."""
    horizon = rebuild_horizon(organization_id)
    for model in (RollupDelta, SetAsideDelta):
        deltas = model.objects.filter(organization_id=organization_id)
        if horizon is not None:
            deltas = deltas.filter(hour__gte=horizon)
        deltas.delete()


def daily_rollups_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's daily rollups from its hourly ones; returns the rows."""
    days = (
        HourlyRollup.objects.filter(organization_id=organization_id)
        .annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("day", *ROLLUP_DIMENSIONS)
        .annotate(**{column: Sum(column) for column in COUNTERS})
        .order_by()
    )
    with transaction.atomic():
        DailyRollup.objects.filter(organization_id=organization_id).delete()
        rows = [
            DailyRollup(organization_id=organization_id, hour=values.pop("day"), **values)
            for values in days.iterator(chunk_size=2000)
        ]
        DailyRollup.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
