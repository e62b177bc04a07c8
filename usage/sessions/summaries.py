"""Session summaries kept current: ingest appends deltas, a task merges them, a rebuild
recomputes one organization from its raw events, retention drops finished sessions.

Ingest folds its batch per session in Python and appends the sums to `SessionDelta` in its
own transaction: no row is shared, so concurrent batches of one session never wait on each
other. `session_summaries_merge` moves pending deltas into `SessionSummary` with one
`INSERT … ON CONFLICT DO UPDATE` (sums added, first and last times by LEAST/GREATEST, the
developer seen first kept), deleting the deltas in the same transaction, so a delta is
counted exactly once however many merges run. Rows are upserted in key order, so two
merges lock summaries in the same order and cannot deadlock.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction

from ..folds import TOKEN_COLUMNS, groups_of, sums_of
from ..models import Outcome, SessionDelta, SessionSummary, UsageEvent
from ..rollup_rebuild import rebuild_horizon, rebuild_isolated
from ..writers import session_deltas_insert

logger = logging.getLogger(__name__)

# The rollups' token counters, in their order, between the event count and the rest.
SUMS = ("events", *TOKEN_COLUMNS, "cost", "unpriced_events", "co2e_grams", "errors")
TOKENS = TOKEN_COLUMNS
KEY = ("organization_id", "livemode", "session_id")
COLUMNS = (*KEY, "developer_id", "developer_seen_at", "first_at", "last_at", *SUMS)
# PostgreSQL's SQLSTATE for a REPEATABLE READ transaction that lost a race.


def _session_key(row: dict[str, Any]) -> tuple:
    return (row["organization_id"], row["livemode"], row["session_id"])


def _fold(rows: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Sum event rows (as the ingest service builds them) per session; events without a
    session are not part of any."""
    folded: dict[tuple, dict[str, Any]] = {}
    for key, group in groups_of((row for row in rows if row["session_id"]), _session_key).items():
        moments = [row["occurred_at"] for row in group]
        developer_seen_at, developer_id = min(
            ((row["occurred_at"], row["developer_id"]) for row in group if row["developer_id"]),
            default=(None, ""),
        )
        sums = sums_of(group)
        folded[key] = {
            "developer_id": developer_id,
            "developer_seen_at": developer_seen_at,
            "first_at": min(moments),
            "last_at": max(moments),
            **{column: sums[column] for column in TOKENS},
            "events": sums["events"],
            "cost": sums["cost"],
            "unpriced_events": sums["unpriced_events"],
            "co2e_grams": sums["co2e_grams"],
            "errors": sum(1 for row in group if row["outcome"] == Outcome.ERROR),
        }
    return folded


def session_deltas_append(rows: list[dict[str, Any]]) -> None:
    """Append a batch's per-session sums inside the caller's (ingest) transaction, and
    have them merged once it commits."""
    folded = _fold(rows)
    if not folded:
        return
    session_deltas_insert(
        COLUMNS,
        [
            (*key, *(sums[column] for column in COLUMNS[len(KEY) :]))
            for key, sums in sorted(folded.items(), key=lambda item: item[0])
        ],
    )
    # Imported here: usage.tasks imports this module for the merge task.
    from ..tasks import session_summaries_merge_soon

    transaction.on_commit(session_summaries_merge_soon)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _dialect() -> tuple[str, str, str]:
    """(least, greatest, binary collation) in this database's words: developer ids compare
    by code point everywhere, as Python compares them when it folds a batch."""
    if connection.vendor == "postgresql":
        return "LEAST", "GREATEST", ' COLLATE "C"'
    return "MIN", "MAX", ""  # SQLite: scalar MIN/MAX; BINARY collation is the default


def _merge_sql(source: str) -> str:
    """Upsert the deltas of the CTE `source` (named moved) into the summaries; returns
    one row per summary touched, with the number of deltas merged."""
    least, greatest, collate = _dialect()
    summary = _q(SessionSummary._meta.db_table)
    keys = ", ".join(_q(k) for k in KEY)
    columns = ", ".join(_q(c) for c in COLUMNS)
    sums = ", ".join(f"SUM({_q(c)})" for c in SUMS)
    better = (
        'excluded."developer_seen_at" IS NOT NULL AND ('
        f'{summary}."developer_seen_at" IS NULL '
        f'OR excluded."developer_seen_at" < {summary}."developer_seen_at" '
        f'OR (excluded."developer_seen_at" = {summary}."developer_seen_at" '
        f'AND excluded."developer_id"{collate} < {summary}."developer_id"{collate}))'
    )
    updates = ", ".join(
        [
            f'"developer_id" = CASE WHEN {better} THEN excluded."developer_id" '
            f'ELSE {summary}."developer_id" END',
            f'"developer_seen_at" = CASE WHEN {better} THEN excluded."developer_seen_at" '
            f'ELSE {summary}."developer_seen_at" END',
            f'"first_at" = {least}({summary}."first_at", excluded."first_at")',
            f'"last_at" = {greatest}({summary}."last_at", excluded."last_at")',
            *(f"{_q(c)} = {summary}.{_q(c)} + excluded.{_q(c)}" for c in SUMS),
        ]
    )
    return (
        f"WITH {source}, "
        "ranked AS (SELECT moved.*, ROW_NUMBER() OVER ("
        f'PARTITION BY {keys} ORDER BY "developer_seen_at" IS NULL, "developer_seen_at", '
        f'"developer_id"{collate}) AS n FROM moved), '
        "counted AS (SELECT COUNT(*) AS merged FROM moved) "
        f"INSERT INTO {summary} ({columns}) "
        f"SELECT {keys}, COALESCE(MAX(CASE WHEN n = 1 THEN \"developer_id\" END), ''), "
        f'MIN("developer_seen_at"), MIN("first_at"), MAX("last_at"), {sums} '
        # WHERE true: SQLite would read an ON right after FROM as a join's constraint.
        f"FROM ranked WHERE true GROUP BY {keys} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates} "
        "RETURNING (SELECT merged FROM counted)"
    )


def _merge(organization_id: int | None) -> int:
    delta = _q(SessionDelta._meta.db_table)
    columns = ", ".join(_q(c) for c in COLUMNS)
    where, params = "", []
    if organization_id is not None:
        where, params = ' WHERE "organization_id" = %s', [organization_id]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            source = f"moved AS (DELETE FROM {delta}{where} RETURNING {columns})"
            cursor.execute(_merge_sql(source), params)
            rows = cursor.fetchall()
            return int(rows[0][0]) if rows else 0
        # SQLite: the first write takes the database's lock, so nothing is appended
        # between reading the deltas up to `last` and deleting them.
        cursor.execute(f'SELECT MAX("id") FROM {delta}{where}', params)
        last = cursor.fetchone()[0]
        if last is None:
            return 0
        bound = f'{" AND" if where else " WHERE"} "id" <= %s'
        source = f"moved AS (SELECT {columns} FROM {delta}{where}{bound})"
        cursor.execute(_merge_sql(source), [*params, last])
        rows = cursor.fetchall()
        cursor.execute(f"DELETE FROM {delta}{where}{bound}", [*params, last])
        return int(rows[0][0]) if rows else 0


def session_summaries_merge() -> int:
    """Move every pending session delta into the summaries; returns the deltas merged.

    Safe to run concurrently and repeatedly: a delta is deleted in the transaction that
    adds it. If the one statement fails on its data (a sum past a column's range), each
    organization is merged on its own and a failing one's deltas stay pending and are
    logged, so one organization's data never holds back the others' sessions.
    """
    try:
        return _merge(None)
    except (DataError, IntegrityError, ArithmeticError):
        logger.warning("session merge failed on its data; merging organization by organization")
    merged = 0
    organizations = SessionDelta.objects.values_list("organization_id", flat=True).distinct()
    for organization_id in sorted(set(organizations)):
        try:
            merged += _merge(organization_id)
        except (DataError, IntegrityError, ArithmeticError):
            logger.exception("session deltas of organization %s cannot be merged", organization_id)
    return merged


def session_summaries_rebuild(*, organization_id: int) -> int:
    """Recompute one organization's session summaries from its raw events; returns the
    sessions written.

    Sessions that began before the retention horizon (`rebuild_horizon`) keep their
    summary and their pending deltas: their early events were deleted, so the summary is
    all that is left of them. Safe during ingest and merges, like `rollups_rebuild`: on
    PostgreSQL it reads one REPEATABLE READ snapshot, discards exactly the deltas of the
    events it counts, and starts again if a merge moved one of them meanwhile.
    """
    return rebuild_isolated(_rebuild, organization_id)


def rebuild_sql(*, horizon: bool) -> str:
    """INSERT … SELECT of the summaries of one organization's sessions (the parameter's)
    that have no summary, from its raw events (from the second parameter on, when
    `horizon`); also what bench/generate.py runs for every organization at once."""
    _, _, collate = _dialect()
    summary = _q(SessionSummary._meta.db_table)
    events = _q(UsageEvent._meta.db_table)
    columns = ", ".join(_q(c) for c in COLUMNS)
    tokens = ", ".join(f'SUM(e."{c}")' for c in TOKENS)
    since = ' AND "occurred_at" >= %s' if horizon else ""
    return (
        "WITH scoped AS ("
        f'SELECT * FROM {events} WHERE "organization_id" = %s AND "session_id" <> \'\'{since} '
        f"AND NOT EXISTS (SELECT 1 FROM {summary} s "
        f'WHERE s."organization_id" = {events}."organization_id" '
        f'AND s."livemode" = {events}."livemode" AND s."session_id" = {events}."session_id")), '
        'firsts AS (SELECT "livemode", "session_id", "developer_id", "occurred_at", '
        'ROW_NUMBER() OVER (PARTITION BY "livemode", "session_id" '
        f'ORDER BY "occurred_at", "developer_id"{collate}) AS n '
        "FROM scoped WHERE \"developer_id\" <> '') "
        f"INSERT INTO {summary} ({columns}) "
        'SELECT e."organization_id", e."livemode", e."session_id", '
        'COALESCE(MAX(f."developer_id"), \'\'), MAX(f."occurred_at"), '
        f'MIN(e."occurred_at"), MAX(e."occurred_at"), COUNT(*), {tokens}, '
        'COALESCE(SUM(e."total_cost"), 0), COUNT(*) - COUNT(e."total_cost"), '
        'COALESCE(SUM(e."co2e_grams"), 0), '
        f"SUM(CASE WHEN e.\"outcome\" = '{Outcome.ERROR.value}' THEN 1 ELSE 0 END) "
        "FROM scoped e LEFT JOIN firsts f ON f.n = 1 "
        'AND f."livemode" = e."livemode" AND f."session_id" = e."session_id" '
        'GROUP BY e."organization_id", e."livemode", e."session_id"'
    )


def _rebuild(organization_id: int) -> int:
    horizon = rebuild_horizon(organization_id)
    summaries = SessionSummary.objects.filter(organization_id=organization_id)
    if horizon is not None:
        summaries = summaries.filter(first_at__gte=horizon)
    summaries.delete()
    summary = _q(SessionSummary._meta.db_table)
    delta = _q(SessionDelta._meta.db_table)
    params: list[Any] = [organization_id]
    if horizon is not None:
        params.append(connection.ops.adapt_datetimefield_value(horizon))
    with connection.cursor() as cursor:
        # The summaries left are the kept ones: their deltas still count.
        cursor.execute(
            f'DELETE FROM {delta} WHERE "organization_id" = %s AND NOT EXISTS ('
            f'SELECT 1 FROM {summary} s WHERE s."organization_id" = {delta}."organization_id" '
            f'AND s."livemode" = {delta}."livemode" AND s."session_id" = {delta}."session_id")',
            [organization_id],
        )
        kept = SessionSummary.objects.filter(organization_id=organization_id).count()
        cursor.execute(rebuild_sql(horizon=horizon is not None), params)
    # Counted, not the cursor's rowcount: SQLite reports -1 for a WITH … INSERT.
    return SessionSummary.objects.filter(organization_id=organization_id).count() - kept


def session_summaries_purge(*, organization_id: int, before: datetime) -> int:
    """Delete the sessions whose last event is before `before` (retention deleted all
    their events), and any delta of them still pending; returns the sessions deleted."""
    SessionDelta.objects.filter(organization_id=organization_id, last_at__lt=before).delete()
    return SessionSummary.objects.filter(
        organization_id=organization_id, last_at__lt=before
    ).delete()[0]
