"""Rollups recomputed from raw events: one organization at a time, safe during ingest."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from tokentracker.models import Organization

from .dimension_rollups import organization_dimensions
from .dimensions import MAX_VALUES, stored_expression, value_expression
from .folds import COUNTERS, DIMENSION_COUNTERS, TOKEN_COLUMNS
from .models import (
    DIMENSION_ROLLUP_DIMENSIONS,
    ROLLUP_DIMENSIONS,
    DailyRollup,
    DimensionDailyRollup,
    DimensionHourlyRollup,
    DimensionRollupDelta,
    DimensionSetAsideDelta,
    DimensionValue,
    HourlyRollup,
    Outcome,
    RollupDelta,
    SetAsideDelta,
    UsageEvent,
)
from .rollups import check_in_range

logger = logging.getLogger(__name__)


# PostgreSQL's SQLSTATE for a REPEATABLE READ transaction that lost a race.
_SERIALIZATION_FAILURE = "40001"
REBUILD_ATTEMPTS = 5


def rollups_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's rollups, main and dimension (usage.dimensions), from its
    raw events; returns the main hourly rows written.

    Safe to run during ingest and merges. On PostgreSQL the rebuild reads one snapshot
    (REPEATABLE READ): the pending deltas it discards are exactly those of the events it
    counts, and a batch committed meanwhile keeps its delta for the next merge. If a merge
    moved one of the snapshot's deltas in the meantime, PostgreSQL refuses the rebuild's
    write and it starts again. On SQLite the first DELETE takes the database's write lock,
    so ingest waits. Set-aside deltas of the organization are cleared: the raw events they
    came from are counted here. Hours before the retention horizon (`rebuild_horizon`)
    keep their rollups: their events were deleted.
    """
    return rebuild_isolated(_rebuild_both, organization_id)


def dimension_rollups_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's dimension rollups alone (after its tag keys changed),
    as `rollups_rebuild` does both; returns the hourly rows written."""
    return rebuild_isolated(_dimensions_rebuild, organization_id)


def _rebuild_both(organization_id: int) -> int:
    written = _rebuild(organization_id)
    _dimensions_rebuild(organization_id)
    return written


def rebuild_isolated(rebuild: Callable[[int], int], organization_id: int) -> int:
    """Run `rebuild(organization_id)` in one transaction; on PostgreSQL in a REPEATABLE
    READ snapshot, started again when a concurrent merge made it lose a serialization race.
    Shared by the rollup and session-summary rebuilds."""
    isolated = connection.vendor == "postgresql" and not connection.in_atomic_block
    for attempt in range(REBUILD_ATTEMPTS):
        try:
            with transaction.atomic():
                if isolated:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return rebuild(organization_id)
        except OperationalError as exc:
            lost_race = getattr(exc.__cause__, "sqlstate", None) == _SERIALIZATION_FAILURE
            if not (isolated and lost_race) or attempt + 1 == REBUILD_ATTEMPTS:
                raise
            logger.info(
                "%s of organization %s raced a merge; again", rebuild.__name__, organization_id
            )
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


def event_sums(prefix: str = "") -> dict[str, Any]:
    """Aggregates of raw events that give exactly the rollups' counters (`fold`'s sums),
    named `prefix` + counter; `error_count` included (the dimension rollups keep it)."""
    sums = {
        "events": Count("id"),
        **{column: Coalesce(Sum(column), 0) for column in TOKEN_COLUMNS},
        "cost": Coalesce(Sum("total_cost"), Decimal(0)),
        "priced_events": Count("id", filter=Q(total_cost__isnull=False)),
        "unpriced_events": Count("id", filter=Q(total_cost__isnull=True)),
        "latency_ms_sum": Coalesce(Sum("latency_ms"), 0),
        "latency_count": Count("latency_ms"),
        "success_count": Count("id", filter=Q(outcome=Outcome.SUCCESS)),
        "quality_sum": Coalesce(Sum("quality_score"), 0.0),
        "quality_count": Count("quality_score"),
        # fold adds energy only beside a CO2e figure; the two are set together.
        "energy_wh": Coalesce(Sum("energy_wh", filter=Q(co2e_grams__isnull=False)), Decimal(0)),
        "co2e_grams": Coalesce(Sum("co2e_grams"), Decimal(0)),
        "error_count": Count("id", filter=Q(outcome=Outcome.ERROR)),
    }
    return {f"{prefix}{name}": aggregate for name, aggregate in sums.items()}


def _rebuild(organization_id: int) -> int:
    horizon = rebuild_horizon(organization_id)
    events = UsageEvent.objects.filter(organization_id=organization_id)
    hourly = HourlyRollup.objects.filter(organization_id=organization_id)
    if horizon is not None:
        events = events.filter(occurred_at__gte=horizon)
        hourly = hourly.filter(hour__gte=horizon)
    sums = event_sums()
    del sums["error_count"]
    aggregated = (
        events.annotate(rollup_hour=TruncHour("occurred_at"))
        .values("rollup_hour", *ROLLUP_DIMENSIONS)
        .annotate(**sums)
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


def _dimensions_rebuild(organization_id: int) -> int:
    """The dimension rollups from raw events: per dimension the `MAX_VALUES` values with the
    most events (since the horizon) are admitted, the rest summed as Other. Rows of
    dimensions the organization no longer keeps (a tag key removed) go, every hour."""
    horizon = rebuild_horizon(organization_id)
    dimensions = organization_dimensions(organization_id)
    mine = {"organization_id": organization_id}
    events = UsageEvent.objects.filter(**mine)
    for model in (DimensionHourlyRollup, DimensionDailyRollup, DimensionValue):
        model.objects.filter(**mine).exclude(dimension__in=dimensions).delete()
    for model in (DimensionRollupDelta, DimensionSetAsideDelta):
        model.objects.filter(**mine).exclude(dimension__in=dimensions).delete()
        deltas = model.objects.filter(**mine)
        model_rows = deltas.filter(hour__gte=horizon) if horizon is not None else deltas
        model_rows.delete()
    hourly = DimensionHourlyRollup.objects.filter(**mine)
    if horizon is not None:
        events = events.filter(occurred_at__gte=horizon)
        hourly = hourly.filter(hour__gte=horizon)
    hourly.delete()
    checked = connection.vendor != "postgresql"
    written = 0
    for dimension in dimensions:
        valued = events.annotate(dimension_raw=value_expression(dimension))
        top = (
            valued.exclude(dimension_raw="")
            .values("dimension_raw")
            .annotate(n=Count("id"))
            .order_by("-n", "dimension_raw")[:MAX_VALUES]
        )
        admitted = [row["dimension_raw"] for row in top]
        DimensionValue.objects.filter(**mine, dimension=dimension).delete()
        # ignore_conflicts: a batch committed during the rebuild may have admitted one too.
        DimensionValue.objects.bulk_create(
            (DimensionValue(**mine, dimension=dimension, value=value) for value in admitted),
            ignore_conflicts=True,
        )
        aggregated = (
            valued.annotate(rollup_hour=TruncHour("occurred_at"), value=stored_expression(admitted))
            .values("rollup_hour", "livemode", "value", "provider", "model")
            .annotate(**event_sums())
            .order_by()
        )
        batch: list[DimensionHourlyRollup] = []
        for values in aggregated.iterator(chunk_size=2000):
            hour = values.pop("rollup_hour")
            if checked:
                check_in_range(
                    DimensionHourlyRollup,
                    [tuple(values[column] for column in DIMENSION_COUNTERS)],
                    DIMENSION_COUNTERS,
                )
            batch.append(DimensionHourlyRollup(**mine, hour=hour, dimension=dimension, **values))
            if len(batch) >= 2000:
                DimensionHourlyRollup.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        DimensionHourlyRollup.objects.bulk_create(batch)
        written += len(batch)
    _dimension_days_rebuild(organization_id)
    return written


def _dimension_days_rebuild(organization_id: int) -> None:
    days = (
        DimensionHourlyRollup.objects.filter(organization_id=organization_id)
        .annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("day", *DIMENSION_ROLLUP_DIMENSIONS)
        .annotate(**{column: Sum(column) for column in DIMENSION_COUNTERS})
        .order_by()
    )
    DimensionDailyRollup.objects.filter(organization_id=organization_id).delete()
    DimensionDailyRollup.objects.bulk_create(
        (
            DimensionDailyRollup(organization_id=organization_id, hour=values.pop("day"), **values)
            for values in days.iterator(chunk_size=2000)
        ),
        batch_size=2000,
    )
