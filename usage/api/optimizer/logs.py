"""Token Optimizer's /api/logs rows, as JSON pages or a CSV streamed in constant memory.

The CSV is written straight from a server-side cursor (`QuerySet.iterator`) in chunks, so an
export of any size holds one chunk of rows at a time. Text fields are always quoted and
numbers never (`QUOTE_NONNUMERIC` with costs as 6-place `Decimal`s, which the csv module
treats as numbers), as the seed's example shows.
"""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet

from tokentracker.errors import ApiError, Kind
from usage.genai_catalog import provider_display
from usage.selectors import UsageScope

LOG_FIELDS = (
    "timestamp",
    "model",
    "endpoint",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_cost",
    "output_cost",
    "total_cost",
    "latency_ms",
    "api_provider",
)
# The log field each column is read from; prompt-side and output-side costs are summed
# from their parts (cache reads and writes are input, reasoning is output).
_SOURCES = {
    "timestamp": "occurred_at",
    "model": "model",
    "endpoint": "endpoint",
    "prompt_tokens": "log_prompt_tokens",
    "completion_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "input_cost": "log_input_cost",
    "output_cost": "log_output_cost",
    "total_cost": "total_cost",
    "latency_ms": "latency_ms",
    "api_provider": "provider",
}
_COST = DecimalField(max_digits=26, decimal_places=12)
COST_PLACES = Decimal("0.000001")
CSV_CHUNK_ROWS = 2000
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def log_rows(scope: UsageScope, sort_by: str, descending: bool) -> QuerySet:
    if sort_by not in _SOURCES:
        raise ApiError(
            Kind.VALIDATION,
            f"sort_by must be one of {', '.join(LOG_FIELDS)}.",
            details={"sort_by": sort_by, "allowed": list(LOG_FIELDS)},
            code="INVALID_SORT",
        )
    column = F(_SOURCES[sort_by])
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    tiebreak = F("id").desc() if descending else F("id").asc()
    return (
        scope.events()
        .annotate(
            log_prompt_tokens=F("uncached_input_tokens")
            + F("cache_read_tokens")
            + F("cache_write_tokens"),
            log_input_cost=ExpressionWrapper(
                F("input_cost") + F("cache_read_cost") + F("cache_write_cost"), _COST
            ),
            log_output_cost=ExpressionWrapper(F("output_cost") + F("reasoning_cost"), _COST),
        )
        .order_by(order, tiebreak)
        .values_list(*(_SOURCES[name] for name in LOG_FIELDS))
    )


def _cost(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(COST_PLACES)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def log_json(row: tuple) -> dict[str, Any]:
    values = dict(zip(LOG_FIELDS, row, strict=True))
    values["timestamp"] = _timestamp(values["timestamp"])
    for name in ("input_cost", "output_cost", "total_cost"):
        cost = _cost(values[name])
        values[name] = float(cost) if cost is not None else None
    values["api_provider"] = provider_display(values["api_provider"])
    return values


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: QuerySet) -> Iterator[str]:
    yield ",".join(LOG_FIELDS) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    chunk: list[tuple] = []
    for row in rows.iterator(chunk_size=CSV_CHUNK_ROWS):
        chunk.append(
            (
                _timestamp(row[0]),
                _safe(row[1]),
                _safe(row[2]),
                row[3],
                row[4],
                row[5],
                _cost(row[6]),
                _cost(row[7]),
                _cost(row[8]),
                row[9],
                _safe(provider_display(row[10])),
            )
        )
        if len(chunk) == CSV_CHUNK_ROWS:
            writer.writerows(chunk)
            chunk.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(chunk)
    yield buffer.getvalue()
