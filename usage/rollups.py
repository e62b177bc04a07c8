"""Hourly rollups: merging folded sums (usage.folds), rebuilding from scratch.

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
from datetime import UTC
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

from .folds import COUNTERS, DIMENSION_COUNTERS
from .models import (
    DIMENSION_ROLLUP_DIMENSIONS,
    ROLLUP_DIMENSIONS,
    DailyRollup,
    DimensionDailyRollup,
    DimensionHourlyRollup,
    DimensionRollupDelta,
    DimensionSetAsideDelta,
    HourlyRollup,
    RollupDelta,
    SetAsideDelta,
)
from .signals import rollups_merged
from .writers import rollup_deltas_insert

_CHUNK = 200
LAST_MERGE_CACHE_KEY = "rollups-last-merge"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollupFamily:
    """A set of rollup tables kept by the same fold, delta, merge and set-aside machinery:
    the main rollups (every dimension of an event at once) and the explorer's dimension
    rollups (one dimension value at a time, usage.dimensions)."""

    delta: type[models.Model]
    hourly: type[models.Model]
    daily: type[models.Model]
    set_aside: type[models.Model]
    dimensions: tuple[str, ...]
    counters: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return ("organization_id", "hour", *self.dimensions)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.counters)


MAIN = RollupFamily(
    RollupDelta, HourlyRollup, DailyRollup, SetAsideDelta, ROLLUP_DIMENSIONS, COUNTERS
)
DIMENSIONS = RollupFamily(
    DimensionRollupDelta,
    DimensionHourlyRollup,
    DimensionDailyRollup,
    DimensionSetAsideDelta,
    DIMENSION_ROLLUP_DIMENSIONS,
    DIMENSION_COUNTERS,
)
FAMILIES = (MAIN, DIMENSIONS)


def _upsert_sql(rows: int, model: type[models.Model], family: RollupFamily) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    placeholders = "(" + ", ".join(["%s"] * len(family.columns)) + ")"
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in family.counters
    )
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in family.columns)}) "
        f"VALUES {', '.join([placeholders] * rows)} "
        f"ON CONFLICT ({', '.join(quote(k) for k in family.keys)}) DO UPDATE SET {updates}"
    )


def rollup_deltas_append(folded: dict[tuple, dict[str, Any]], family: RollupFamily = MAIN) -> None:
    """Append a batch's sums for a later merge, inside the caller's (ingest) transaction."""
    rollup_deltas_insert(
        family.delta,
        family.columns,
        [(*key, *(sums[c] for c in family.counters)) for key, sums in folded.items()],
    )


def _by_day(
    folded: dict[tuple, dict[str, Any]], family: RollupFamily
) -> dict[tuple, dict[str, Any]]:
    days: dict[tuple, dict[str, Any]] = {}
    for (organization_id, hour, *dimensions), sums in folded.items():
        day = hour.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        key = (organization_id, day, *dimensions)
        into = days.get(key)
        if into is None:
            days[key] = dict(sums)
        else:
            for column in family.counters:
                into[column] += sums[column]
    return days


def rollups_add(folded: dict[tuple, dict[str, Any]], family: RollupFamily = MAIN) -> None:
    """Add folded hourly sums onto the hourly and daily rollups, in the caller's transaction."""
    _upsert(folded, family.hourly, family)
    _upsert(_by_day(folded, family), family.daily, family)


class RollupOutOfRange(ArithmeticError):
    """A rollup sum left its column's range (checked by hand on SQLite, which has no limits)."""


def _column_limits(model: type[models.Model], counters: tuple[str, ...]) -> dict[str, float]:
    limits: dict[str, float] = {}
    for column in counters:
        field = model._meta.get_field(column)
        if isinstance(field, models.DecimalField):
            limits[column] = 10.0 ** (field.max_digits - field.decimal_places)
        elif isinstance(field, models.FloatField):
            limits[column] = float("inf")
        else:
            limits[column] = float(2**63)
    return limits


def check_in_range(
    model: type[models.Model], rows: list[tuple], counters: tuple[str, ...] = COUNTERS
) -> None:
    # PostgreSQL refuses a sum that leaves a column's range (bigint, numeric(28, x), a float
    # that overflows); SQLite stores it as an approximate REAL that breaks every later read.
    # This is PostgreSQL's rule, applied to SQLite's results.
    limits = _column_limits(model, counters)
    for row in rows:
        for column, value in zip(counters, row, strict=True):
            number = float(value)
            if not math.isfinite(number) or abs(number) >= limits[column]:
                raise RollupOutOfRange(f"{model.__name__}.{column} out of range: {value}")


def _upsert(
    folded: dict[tuple, dict[str, Any]], model: type[models.Model], family: RollupFamily
) -> None:
    items = sorted(folded.items(), key=lambda item: tuple(str(part) for part in item[0]))
    checked = connection.vendor != "postgresql"
    returning = " RETURNING " + ", ".join(f'"{c}"' for c in family.counters) if checked else ""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            params: list[Any] = []
            for (organization_id, hour, *dimensions), sums in chunk:
                # As the ORM stores it (on SQLite: naive UTC text), or the unique key misses
                # the rows that a rebuild wrote.
                params.extend((organization_id, adapt(hour), *dimensions))
                params.extend(sums[column] for column in family.counters)
            cursor.execute(_upsert_sql(len(chunk), model, family) + returning, params)
            if checked:
                check_in_range(model, cursor.fetchall(), family.counters)


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
    """Move every pending delta into the rollups; returns the main family's deltas merged
    (each batch also appends dimension deltas, merged alongside and not counted).

    Safe to run concurrently and repeatedly: a delta is deleted in the same transaction that
    adds it, and a second merge waits for the first's row locks, then finds them gone.

    One statement merges everything while nothing is wrong. If it fails on the data, each
    organization is merged on its own, and in a failing one each delta on its own; a delta
    that still fails is set aside (`SetAsideDelta`) and logged. So one organization's bad
    delta never holds back another's aggregates, and the task is not retried forever on
    data that cannot fit. Connection errors still raise, set nothing aside, and retry.

    Once committed, `rollups_merged` is sent with the organizations whose rollups changed
    (billing evaluates their budgets).

    Each family (`FAMILIES`) is merged and isolated on its own: a dimension delta that
    cannot be added never holds back the main rollups, nor the reverse.
    """
    started = timezone.now()
    merged = 0
    organization_ids: set[int] = set()
    for family in FAMILIES:
        try:
            count, changed = _merge(family, _Scope({}))
        except _DATA_ERRORS:
            logger.warning(
                "%s merge failed on its data; merging organization by organization",
                family.hourly.__name__,
            )
            count, changed = _merge_isolated(family)
        merged += count if family is MAIN else 0
        organization_ids |= changed
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


def _merge(family: RollupFamily, scope: _Scope) -> tuple[int, set[int]]:
    """Merge the scope's deltas; returns how many, and the organizations they were of."""
    if connection.vendor == "postgresql":
        return _merge_postgresql(family, scope)
    return _merge_sqlite(family, scope)


def _merge_isolated(family: RollupFamily) -> tuple[int, set[int]]:
    merged = 0
    changed: set[int] = set()
    organizations = set(family.delta.objects.values_list("organization_id", flat=True))
    for organization_id in sorted(organizations):
        try:
            count, _ = _merge(family, _Scope({"organization_id": organization_id}))
            merged += count
            changed.update([organization_id] if count else [])
            continue
        except _DATA_ERRORS:
            pass
        pending = family.delta.objects.filter(organization_id=organization_id)
        for delta_id in sorted(pending.values_list("id", flat=True)):
            try:
                count, _ = _merge(family, _Scope({"id": delta_id}))
                merged += count
                changed.update([organization_id] if count else [])
            except _DATA_ERRORS as exc:
                _set_aside(family, delta_id, exc)
    return merged, changed


def _set_aside(family: RollupFamily, delta_id: int, error: Exception) -> None:
    """Move one delta to its set-aside table, in SQL: its sums may not fit a Decimal."""
    logger.error(
        "%s %s set aside: it cannot be added to the rollups (%s)",
        family.delta.__name__,
        delta_id,
        error,
    )
    quote = connection.ops.quote_name
    pending = quote(family.delta._meta.db_table)
    columns = ", ".join(quote(column) for column in family.columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(family.set_aside._meta.db_table)} "
            f'({columns}, "delta_id", "error", "set_aside_at") '
            f'SELECT {columns}, "id", %s, %s FROM {pending} WHERE "id" = %s',
            [str(error)[:2000], timezone.now(), delta_id],
        )
        cursor.execute(f'DELETE FROM {pending} WHERE "id" = %s', [delta_id])


def set_aside_requeue(*, ids: Iterable[int], family: RollupFamily = MAIN) -> int:
    """Put set-aside deltas back in the merge queue (after their cause was fixed)."""
    ids = list(ids)
    if not ids:
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in family.columns)
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(family.delta._meta.db_table)} ({columns}) "
            f"SELECT {columns} FROM {quote(family.set_aside._meta.db_table)} "
            f'WHERE "id" IN ({marks})',
            ids,
        )
        requeued = family.set_aside.objects.filter(id__in=ids).delete()[0]
    return requeued


def _merge_sqlite(family: RollupFamily, scope: _Scope) -> tuple[int, set[int]]:
    try:
        return _merge_sqlite_scope(family, scope)
    except OperationalError as exc:
        # SQLite's SUM raises "integer overflow" where PostgreSQL's bigint would.
        if "overflow" in str(exc):
            raise RollupOutOfRange(str(exc)) from exc
        raise


def _merge_sqlite_scope(family: RollupFamily, scope: _Scope) -> tuple[int, set[int]]:
    with transaction.atomic():
        deltas = family.delta.objects
        last = deltas.filter(**scope.filters).aggregate(last=Max("id"))["last"]
        if last is None:
            return 0, set()
        pending = deltas.filter(**scope.filters, id__lte=last)
        grouped = (
            pending.values(*family.keys)
            .annotate(
                **{f"sum_{column}": Sum(column) for column in family.counters},
                deltas=Count("id"),
            )
            .order_by()
        )
        folded: dict[tuple, dict[str, Any]] = {}
        merged = 0
        for row in grouped:
            merged += row["deltas"]
            folded[tuple(row[key] for key in family.keys)] = {
                column: row[f"sum_{column}"] for column in family.counters
            }
        rollups_add(folded, family)
        pending.delete()
    return merged, {key[0] for key in folded}


def _merge_postgresql(family: RollupFamily, scope: _Scope) -> tuple[int, set[int]]:
    quote = connection.ops.quote_name
    delta = quote(family.delta._meta.db_table)
    hourly = quote(family.hourly._meta.db_table)
    daily = quote(family.daily._meta.db_table)
    keys = ", ".join(quote(k) for k in family.keys)
    dimensions = ", ".join(quote(d) for d in family.dimensions)
    counters = ", ".join(quote(c) for c in family.counters)
    sums = ", ".join(f"SUM({quote(c)})" for c in family.counters)
    where, params = scope.sql()

    def updates(table: str) -> str:
        return ", ".join(
            f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in family.counters
        )

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
