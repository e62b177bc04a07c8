"""Hourly rollups: folding events into sums, merging them, rebuilding from scratch.

Ingest folds its batch in Python (a few hundred rows into a few dozen sums) and appends the
sums to `RollupDelta` in its own transaction: no row is shared, so concurrent batches never
wait on each other. `rollups_merge` moves pending deltas into `HourlyRollup` with
`INSERT … ON CONFLICT (dimensions) DO UPDATE SET x = x + excluded.x`, in a fixed row order
so two merges lock rows in the same order and cannot deadlock.

Measured on 2 cores (bench/RESULTS.md): upserting into the rollup table inside the ingest
transaction cost 35k → 23k events/s, most of it batches of one organization queueing on the
same rollup rows; appending deltas keeps ingest above 30k and rollups trail by seconds.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.utils import timezone

from tokentracker.cache import cache_set

from .models import (
    ROLLUP_DIMENSIONS,
    DailyRollup,
    HourlyRollup,
    Outcome,
    RollupDelta,
    RollupFields,
    UsageEvent,
)
from .writers import rollup_deltas_insert

COUNTERS = (
    "events",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "uncached_input_tokens",
    "total_tokens",
    "cost",
    "priced_events",
    "unpriced_events",
    "latency_ms_sum",
    "latency_count",
    "success_count",
    "quality_sum",
    "quality_count",
    "energy_wh",
    "co2e_grams",
)
_TOKEN_COLUMNS = COUNTERS[1:8]
_ERROR_STATUSES = frozenset({"error", "failed", "failure", "timeout", "cancelled"})
_SUCCESS_STATUSES = frozenset({"ok", "success", "succeeded", "completed"})
_CHUNK = 200
LAST_MERGE_CACHE_KEY = "rollups-last-merge"


def outcome_of(success: bool | None, status: str, status_code: int | None) -> str:
    """Did the call succeed? The explicit flag wins, then the status, then the HTTP code."""
    if success is not None:
        return Outcome.SUCCESS if success else Outcome.ERROR
    lowered = status.lower()
    if lowered in _ERROR_STATUSES:
        return Outcome.ERROR
    if lowered in _SUCCESS_STATUSES:
        return Outcome.SUCCESS
    if status_code is not None:
        return Outcome.ERROR if status_code >= 400 else Outcome.SUCCESS
    return Outcome.UNKNOWN


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def fold(rows: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Sum event rows (as the ingest service builds them) by organization, hour, dimensions."""
    folded: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (
            row["organization_id"],
            _hour(row["occurred_at"]),
            *(row[name] for name in ROLLUP_DIMENSIONS),
        )
        sums = folded.get(key)
        if sums is None:
            sums = folded[key] = dict.fromkeys(COUNTERS, 0)
            sums["cost"] = Decimal(0)
            sums["quality_sum"] = 0.0
            sums["energy_wh"] = Decimal(0)
            sums["co2e_grams"] = Decimal(0)
        sums["events"] += 1
        for column in _TOKEN_COLUMNS:
            sums[column] += row[column]
        if row["total_cost"] is None:
            sums["unpriced_events"] += 1
        else:
            sums["priced_events"] += 1
            sums["cost"] += row["total_cost"]
        if row["latency_ms"] is not None:
            sums["latency_ms_sum"] += row["latency_ms"]
            sums["latency_count"] += 1
        if row["outcome"] == Outcome.SUCCESS:
            sums["success_count"] += 1
        if row["quality_score"] is not None:
            sums["quality_sum"] += row["quality_score"]
            sums["quality_count"] += 1
        if row["co2e_grams"] is not None:
            sums["energy_wh"] += row["energy_wh"]
            sums["co2e_grams"] += row["co2e_grams"]
    return folded


_KEYS = ("organization_id", "hour", *ROLLUP_DIMENSIONS)
_COLUMNS = (*_KEYS, *COUNTERS)


def _upsert_sql(rows: int, model: type[RollupFields]) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNTERS)
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in _COLUMNS)}) "
        f"VALUES {', '.join([placeholders] * rows)} "
        f"ON CONFLICT ({', '.join(quote(k) for k in _KEYS)}) DO UPDATE SET {updates}"
    )


def rollup_deltas_append(folded: dict[tuple, dict[str, Any]]) -> None:
    """Append a batch's sums for a later merge, inside the caller's (ingest) transaction."""
    rollup_deltas_insert(
        _COLUMNS, [(*key, *(sums[c] for c in COUNTERS)) for key, sums in folded.items()]
    )


def _by_day(folded: dict[tuple, dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    days: dict[tuple, dict[str, Any]] = {}
    for (organization_id, hour, *dimensions), sums in folded.items():
        day = hour.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        key = (organization_id, day, *dimensions)
        into = days.get(key)
        if into is None:
            days[key] = dict(sums)
        else:
            for column in COUNTERS:
                into[column] += sums[column]
    return days


def rollups_add(folded: dict[tuple, dict[str, Any]]) -> None:
    """Add folded hourly sums onto the hourly and daily rollups, in the caller's transaction."""
    _upsert(folded, HourlyRollup)
    _upsert(_by_day(folded), DailyRollup)


def _upsert(folded: dict[tuple, dict[str, Any]], model: type[RollupFields]) -> None:
    items = sorted(folded.items(), key=lambda item: tuple(str(part) for part in item[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            params: list[Any] = []
            for key, sums in chunk:
                params.extend(key)
                params.extend(sums[column] for column in COUNTERS)
            cursor.execute(_upsert_sql(len(chunk), model), params)


def rollups_merge() -> int:
    """Move every pending delta into the rollups; returns the deltas merged.

    Safe to run concurrently and repeatedly: a delta is deleted in the same transaction that
    adds it, and a second merge waits for the first's row locks, then finds them gone.
    """
    merged = _merge_postgresql() if connection.vendor == "postgresql" else _merge_sqlite()
    # Tracking health reports when the pending buffer was last emptied (any organization's).
    cache_set(LAST_MERGE_CACHE_KEY, timezone.now(), None)
    return merged


def _merge_sqlite() -> int:
    with transaction.atomic():
        last = RollupDelta.objects.aggregate(last=Max("id"))["last"]
        if last is None:
            return 0
        pending = RollupDelta.objects.filter(id__lte=last)
        grouped = (
            pending.values(*_KEYS)
            .annotate(**{f"sum_{column}": Sum(column) for column in COUNTERS}, deltas=Count("id"))
            .order_by()
        )
        folded: dict[tuple, dict[str, Any]] = {}
        merged = 0
        for row in grouped:
            merged += row["deltas"]
            folded[tuple(row[key] for key in _KEYS)] = {
                column: row[f"sum_{column}"] for column in COUNTERS
            }
        rollups_add(folded)
        pending.delete()
    return merged


def _merge_postgresql() -> int:
    quote = connection.ops.quote_name
    delta = quote(RollupDelta._meta.db_table)
    hourly = quote(HourlyRollup._meta.db_table)
    daily = quote(DailyRollup._meta.db_table)
    keys = ", ".join(quote(k) for k in _KEYS)
    dimensions = ", ".join(quote(d) for d in ROLLUP_DIMENSIONS)
    counters = ", ".join(quote(c) for c in COUNTERS)
    sums = ", ".join(f"SUM({quote(c)})" for c in COUNTERS)

    def updates(table: str) -> str:
        return ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNTERS)

    # Both upserts run in one statement (a data-modifying CTE always runs), so a merge adds
    # a delta to the hourly and the daily rollups or to neither.
    day = "date_trunc('day', \"hour\", 'UTC')"
    sql = (
        f"WITH moved AS (DELETE FROM {delta} RETURNING {keys}, {counters}), "
        f"counted AS (SELECT COUNT(*) AS n FROM moved), "
        f"hours AS (INSERT INTO {hourly} ({keys}, {counters}) "
        f"SELECT {keys}, {sums} FROM moved GROUP BY {keys} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates(hourly)}) "
        f"INSERT INTO {daily} ({keys}, {counters}) "
        f'SELECT "organization_id", {day}, {dimensions}, {sums} FROM moved '
        f'GROUP BY "organization_id", {day}, {dimensions} '
        f'ORDER BY "organization_id", {day}, {dimensions} '
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates(daily)} "
        f"RETURNING (SELECT n FROM counted)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def rollups_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's rollups from its raw events; returns the rows written."""
    aggregated = (
        UsageEvent.objects.filter(organization_id=organization_id)
        .annotate(rollup_hour=TruncHour("occurred_at"))
        .values("rollup_hour", *ROLLUP_DIMENSIONS)
        .annotate(
            events=Count("id"),
            **{column: Sum(column) for column in _TOKEN_COLUMNS},
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
    with transaction.atomic():
        HourlyRollup.objects.filter(organization_id=organization_id).delete()
        # Pending deltas are already in the raw events counted below.
        RollupDelta.objects.filter(organization_id=organization_id).delete()
        batch: list[HourlyRollup] = []
        for values in aggregated.iterator(chunk_size=2000):
            hour = values.pop("rollup_hour")
            batch.append(HourlyRollup(organization_id=organization_id, hour=hour, **values))
            if len(batch) >= 2000:
                HourlyRollup.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        HourlyRollup.objects.bulk_create(batch)
        written += len(batch)
        daily_rollups_rebuild(organization_id=organization_id)
    return written


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
