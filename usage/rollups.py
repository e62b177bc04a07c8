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

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    models,
    transaction,
)
from django.db.models import Count, Max, Sum
from django.utils import timezone

from tokentracker.cache import cache_set

from .models import (
    ROLLUP_DIMENSIONS,
    DailyRollup,
    HourlyRollup,
    Outcome,
    RollupDelta,
    RollupFields,
    SetAsideDelta,
)
from .signals import rollups_merged
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
TOKEN_COLUMNS = COUNTERS[1:8]
_ERROR_STATUSES = frozenset({"error", "failed", "failure", "timeout", "cancelled"})
_SUCCESS_STATUSES = frozenset({"ok", "success", "succeeded", "completed"})
_CHUNK = 200
LAST_MERGE_CACHE_KEY = "rollups-last-merge"

logger = logging.getLogger(__name__)


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
        for column in TOKEN_COLUMNS:
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


class RollupOutOfRange(ArithmeticError):
    """A rollup sum left its column's range (checked by hand on SQLite, which has no limits)."""


def _column_limits(model: type[RollupFields]) -> dict[str, float]:
    limits: dict[str, float] = {}
    for column in COUNTERS:
        field = model._meta.get_field(column)
        if isinstance(field, models.DecimalField):
            limits[column] = 10.0 ** (field.max_digits - field.decimal_places)
        elif isinstance(field, models.FloatField):
            limits[column] = float("inf")
        else:
            limits[column] = float(2**63)
    return limits


def check_in_range(model: type[RollupFields], rows: list[tuple]) -> None:
    # PostgreSQL refuses a sum that leaves a column's range (bigint, numeric(28, x), a float
    # that overflows); SQLite stores it as an approximate REAL that breaks every later read.
    # This is PostgreSQL's rule, applied to SQLite's results.
    limits = _column_limits(model)
    for row in rows:
        for column, value in zip(COUNTERS, row, strict=True):
            number = float(value)
            if not math.isfinite(number) or abs(number) >= limits[column]:
                raise RollupOutOfRange(f"{model.__name__}.{column} out of range: {value}")


def _upsert(folded: dict[tuple, dict[str, Any]], model: type[RollupFields]) -> None:
    items = sorted(folded.items(), key=lambda item: tuple(str(part) for part in item[0]))
    checked = connection.vendor != "postgresql"
    returning = " RETURNING " + ", ".join(f'"{c}"' for c in COUNTERS) if checked else ""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            params: list[Any] = []
            for (organization_id, hour, *dimensions), sums in chunk:
                # As the ORM stores it (on SQLite: naive UTC text), or the unique key misses
                # the rows that a rebuild wrote.
                params.extend((organization_id, adapt(hour), *dimensions))
                params.extend(sums[column] for column in COUNTERS)
            cursor.execute(_upsert_sql(len(chunk), model) + returning, params)
            if checked:
                check_in_range(model, cursor.fetchall())


@dataclass(frozen=True)
class _Scope:
    """Which pending deltas one merge takes: all, one organization's, or one delta."""

    filters: dict[str, int]

    def sql(self) -> tuple[str, list[int]]:
        if not self.filters:
            return "", []
        quote = connection.ops.quote_name
        where = " AND ".join(f"{quote(column)} = %s" for column in self.filters)
        return f" WHERE {where}", list(self.filters.values())


# A merge that fails on its data: a bigint or numeric column overflowed or a float sum became
# infinite (DataError on PostgreSQL), a check constraint (IntegrityError), a Decimal beyond a
# column's digits (Django's SQLite converters) or our own SQLite range check.
_DATA_ERRORS = (DataError, IntegrityError, ArithmeticError)
ROLLUP_DATA_ERRORS = _DATA_ERRORS


def rollups_merge() -> int:
    """Move every pending delta into the rollups; returns the deltas merged.

    Safe to run concurrently and repeatedly: a delta is deleted in the same transaction that
    adds it, and a second merge waits for the first's row locks, then finds them gone.

    One statement merges everything while nothing is wrong. If it fails on the data, each
    organization is merged on its own, and in a failing one each delta on its own; a delta
    that still fails is set aside (`SetAsideDelta`) and logged. So one organization's bad
    delta never holds back another's aggregates, and the task is not retried forever on
    data that cannot fit. Connection errors still raise, set nothing aside, and retry.

    Once committed, `rollups_merged` is sent with the organizations whose rollups changed
    (billing evaluates their budgets).
    """
    started = timezone.now()
    try:
        merged, organization_ids = _merge(_Scope({}))
    except _DATA_ERRORS:
        logger.warning("rollup merge failed on its data; merging organization by organization")
        merged, organization_ids = _merge_isolated()
    # When the pending buffer was last emptied (any organization's), for tracking health
    # and the rollup lag. The start, not the end: every delta committed before it is now
    # merged (or set aside), so a delta still pending is younger than this.
    cache_set(LAST_MERGE_CACHE_KEY, started, None)
    if organization_ids:
        transaction.on_commit(partial(_announce, frozenset(organization_ids)))
    return merged


def _announce(organization_ids: frozenset[int]) -> None:
    # A receiver's failure must not fail the merge, which is committed and done.
    for receiver, result in rollups_merged.send_robust(
        sender=RollupDelta, organization_ids=organization_ids
    ):
        if isinstance(result, Exception):
            logger.error("rollups_merged receiver %r failed", receiver, exc_info=result)


def rollups_flush() -> bool:
    """Merge now, for a client that wants to read its own write; False if it failed.

    The caller's events are committed before this runs: a merge that fails (the database
    busy or gone) leaves them pending for the next merge, so it is reported as freshness,
    never as an error a client would answer by sending the events again.
    """
    try:
        rollups_merge()
    except DatabaseError:
        logger.warning("rollup flush failed; pending deltas merge later", exc_info=True)
        return False
    return True


def _merge(scope: _Scope) -> tuple[int, set[int]]:
    """Merge the scope's deltas; returns how many, and the organizations they were of."""
    return _merge_postgresql(scope) if connection.vendor == "postgresql" else _merge_sqlite(scope)


def _merge_isolated() -> tuple[int, set[int]]:
    merged = 0
    changed: set[int] = set()
    organizations = set(RollupDelta.objects.values_list("organization_id", flat=True))
    for organization_id in sorted(organizations):
        try:
            count, _ = _merge(_Scope({"organization_id": organization_id}))
            merged += count
            changed.update([organization_id] if count else [])
            continue
        except _DATA_ERRORS:
            pass
        pending = RollupDelta.objects.filter(organization_id=organization_id)
        for delta_id in sorted(pending.values_list("id", flat=True)):
            try:
                count, _ = _merge(_Scope({"id": delta_id}))
                merged += count
                changed.update([organization_id] if count else [])
            except _DATA_ERRORS as exc:
                _set_aside(delta_id, exc)
    return merged, changed


def _set_aside(delta_id: int, error: Exception) -> None:
    """Move one delta to SetAsideDelta, in SQL: its sums may not fit a Python Decimal."""
    logger.error(
        "rollup delta %s set aside: it cannot be added to the rollups (%s)", delta_id, error
    )
    quote = connection.ops.quote_name
    pending = quote(RollupDelta._meta.db_table)
    columns = ", ".join(quote(column) for column in _COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(SetAsideDelta._meta.db_table)} "
            f'({columns}, "delta_id", "error", "set_aside_at") '
            f'SELECT {columns}, "id", %s, %s FROM {pending} WHERE "id" = %s',
            [str(error)[:2000], timezone.now(), delta_id],
        )
        cursor.execute(f'DELETE FROM {pending} WHERE "id" = %s', [delta_id])


def set_aside_requeue(*, ids: Iterable[int]) -> int:
    """Put set-aside deltas back in the merge queue (after their cause was fixed)."""
    ids = list(ids)
    if not ids:
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _COLUMNS)
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(RollupDelta._meta.db_table)} ({columns}) "
            f"SELECT {columns} FROM {quote(SetAsideDelta._meta.db_table)} "
            f'WHERE "id" IN ({marks})',
            ids,
        )
        requeued = SetAsideDelta.objects.filter(id__in=ids).delete()[0]
    return requeued


def _merge_sqlite(scope: _Scope) -> tuple[int, set[int]]:
    try:
        return _merge_sqlite_scope(scope)
    except OperationalError as exc:
        # SQLite's SUM raises "integer overflow" where PostgreSQL's bigint would.
        if "overflow" in str(exc):
            raise RollupOutOfRange(str(exc)) from exc
        raise


def _merge_sqlite_scope(scope: _Scope) -> tuple[int, set[int]]:
    with transaction.atomic():
        last = RollupDelta.objects.filter(**scope.filters).aggregate(last=Max("id"))["last"]
        if last is None:
            return 0, set()
        pending = RollupDelta.objects.filter(**scope.filters, id__lte=last)
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
    return merged, {key[0] for key in folded}


def _merge_postgresql(scope: _Scope) -> tuple[int, set[int]]:
    quote = connection.ops.quote_name
    delta = quote(RollupDelta._meta.db_table)
    hourly = quote(HourlyRollup._meta.db_table)
    daily = quote(DailyRollup._meta.db_table)
    keys = ", ".join(quote(k) for k in _KEYS)
    dimensions = ", ".join(quote(d) for d in ROLLUP_DIMENSIONS)
    counters = ", ".join(quote(c) for c in COUNTERS)
    sums = ", ".join(f"SUM({quote(c)})" for c in COUNTERS)
    where, params = scope.sql()

    def updates(table: str) -> str:
        return ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNTERS)

    # Both upserts run in one statement (a data-modifying CTE always runs), so a merge adds
    # a delta to the hourly and the daily rollups or to neither.
    day = "date_trunc('day', \"hour\", 'UTC')"
    sql = (
        f"WITH moved AS (DELETE FROM {delta}{where} RETURNING {keys}, {counters}), "
        f"counted AS (SELECT COUNT(*) AS n FROM moved), "
        f"hours AS (INSERT INTO {hourly} ({keys}, {counters}) "
        f"SELECT {keys}, {sums} FROM moved GROUP BY {keys} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates(hourly)}) "
        f"INSERT INTO {daily} ({keys}, {counters}) "
        f'SELECT "organization_id", {day}, {dimensions}, {sums} FROM moved '
        f'GROUP BY "organization_id", {day}, {dimensions} '
        f'ORDER BY "organization_id", {day}, {dimensions} '
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates(daily)} "
        f'RETURNING (SELECT n FROM counted), "organization_id"'
    )
    # One returned row per daily rollup row touched: a merge's few dozen days and dimensions.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return (int(rows[0][0]), {row[1] for row in rows}) if rows else (0, set())
