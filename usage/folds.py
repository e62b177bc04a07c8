"""A batch of event rows (as the ingest service builds them) folded into sums: the counters
every rollup keeps, an event's outcome, and the grouping and summing the main rollups, the
dimension rollups and the session summaries share."""

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from .models import ROLLUP_DIMENSIONS, Outcome

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
# The dimension rollups have no outcome dimension to count errors from: they count them.
DIMENSION_COUNTERS = (*COUNTERS, "error_count")
_ERROR_STATUSES = frozenset({"error", "failed", "failure", "timeout", "cancelled"})
_SUCCESS_STATUSES = frozenset({"ok", "success", "succeeded", "completed"})


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


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def sums_of(rows: list[dict[str, Any]], counters: tuple[str, ...] = COUNTERS) -> dict[str, Any]:
    """The counters of a group of event rows (as the ingest service builds them).

    Column by column rather than row by row: each sum is one loop in C (`map`, `sum`), so a
    group of a hundred events costs little more than a group of one. Values are added in row
    order from the same start (0, 0.0, Decimal 0), so the sums are exactly those of adding the
    rows one at a time.
    """
    sums: dict[str, Any] = {"events": len(rows)}
    for column, get in _TOKEN_GETTERS:
        sums[column] = sum(map(get, rows))
    costs = [cost for cost in map(_TOTAL_COST, rows) if cost is not None]
    sums["cost"] = sum(costs, Decimal(0))
    sums["priced_events"] = len(costs)
    sums["unpriced_events"] = len(rows) - len(costs)
    latencies = [latency for latency in map(_LATENCY, rows) if latency is not None]
    sums["latency_ms_sum"] = sum(latencies)
    sums["latency_count"] = len(latencies)
    outcomes = list(map(_OUTCOME, rows))
    sums["success_count"] = outcomes.count(Outcome.SUCCESS)
    if "error_count" in counters:
        sums["error_count"] = outcomes.count(Outcome.ERROR)
    scores = [score for score in map(_QUALITY, rows) if score is not None]
    sums["quality_sum"] = sum(scores, 0.0)
    sums["quality_count"] = len(scores)
    carbon = [row for row in rows if row["co2e_grams"] is not None]
    sums["energy_wh"] = sum(map(_ENERGY, carbon), Decimal(0))
    sums["co2e_grams"] = sum(map(_CO2E, carbon), Decimal(0))
    return sums


_TOKEN_GETTERS = tuple((column, itemgetter(column)) for column in TOKEN_COLUMNS)
_TOTAL_COST = itemgetter("total_cost")
_LATENCY = itemgetter("latency_ms")
_OUTCOME = itemgetter("outcome")
_QUALITY = itemgetter("quality_score")
_ENERGY = itemgetter("energy_wh")
_CO2E = itemgetter("co2e_grams")


def grouped(pairs: Iterable[tuple[tuple, dict[str, Any]]]) -> dict[tuple, list[dict[str, Any]]]:
    """Rows by the key each comes paired with, as (key, row), each group in row order."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row_key, row in pairs:
        group = groups.get(row_key)
        if group is None:
            groups[row_key] = [row]
        else:
            group.append(row)
    return groups


def groups_of(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple]
) -> dict[tuple, list[dict[str, Any]]]:
    """Rows by `key(row)`, each group in row order."""
    return grouped((key(row), row) for row in rows)


_DIMENSION_VALUES = itemgetter(*ROLLUP_DIMENSIONS)


def _fold_key(row: dict[str, Any]) -> tuple:
    return (row["organization_id"], hour_of(row["occurred_at"]), *_DIMENSION_VALUES(row))


def fold(rows: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Sum event rows (as the ingest service builds them) by organization, hour, dimensions."""
    return {key: sums_of(group) for key, group in groups_of(rows, _fold_key).items()}
