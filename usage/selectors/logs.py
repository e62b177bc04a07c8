"""Log rows (Token Optimizer's /api/logs and the explorer's table), as JSON pages or a CSV
streamed in constant memory.

On PostgreSQL the CSV is formatted and streamed by `COPY (SELECT ...) TO STDOUT`; elsewhere
Python formats rows read through `QuerySet.iterator` in chunks. Either way an export of any
size holds one chunk at a time, and both write the same bytes: text always quoted, numbers
never, NULL as an empty field, ISO timestamps with a Z, costs to six places, spreadsheet
formulas neutralised.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from tokentracker.errors import DomainError
from usage.dates import iso_z
from usage.genai_catalog import provider_display

from .usage import UsageScope

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
_NULLABLE = frozenset({"input_cost", "output_cost", "total_cost", "latency_ms"})


@dataclass(frozen=True)
class ExtraColumn:
    """A column the explorer's CSV export writes after LOG_FIELDS (the /api/logs CSV and
    JSON keep LOG_FIELDS only, as their contract says)."""

    name: str
    source: str  # the UsageEvent field
    kind: str  # "text" (quoted, formula-guarded), "int", "carbon" (nine places) or "uuid"


EXPORT_COLUMNS = (
    ExtraColumn("project", "project", "text"),
    ExtraColumn("developer", "developer_id", "text"),
    ExtraColumn("session", "session_id", "text"),
    ExtraColumn("customer", "tenant_id", "text"),
    ExtraColumn("status", "status", "text"),
    ExtraColumn("cache_read_tokens", "cache_read_tokens", "int"),
    ExtraColumn("cache_write_tokens", "cache_write_tokens", "int"),
    ExtraColumn("co2e_grams", "co2e_grams", "carbon"),
    ExtraColumn("event_id", "uuid", "uuid"),
)
_COST = DecimalField(max_digits=26, decimal_places=12)
COST_PLACES = Decimal("0.000001")
CSV_CHUNK_ROWS = 2000
COPY_CHUNK_BYTES = 64 * 1024
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SortInvalid(DomainError):
    """`sort_by` names no column of the log (LOG_FIELDS lists them)."""

    code = "INVALID_SORT"

    def __init__(self, sort_by: str) -> None:
        super().__init__(
            f"sort_by must be one of {', '.join(LOG_FIELDS)}.",
            details={"sort_by": sort_by, "allowed": list(LOG_FIELDS)},
        )
        self.sort_by = sort_by


def log_events(scope: UsageScope, sort_by: str, descending: bool) -> QuerySet:
    """The scope's events with the log's derived columns, in the requested order.

    Raises SortInvalid for a `sort_by` that is not one of LOG_FIELDS."""
    if sort_by not in _SOURCES:
        raise SortInvalid(sort_by)
    column = F(_SOURCES[sort_by])
    # NULLS LAST only where there are NULLs: on a NOT NULL column it still stops PostgreSQL
    # from reading the (organization, occurred_at) index backwards for the newest rows, and
    # the default order of the explorer and /api/logs became a 1.5 s sequential scan of
    # the table at 10M events instead of a few index pages (bench/RESULTS.md).
    nulls_last = True if sort_by in _NULLABLE else None
    order = column.desc(nulls_last=nulls_last) if descending else column.asc(nulls_last=nulls_last)
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
    )


def log_rows(events: QuerySet) -> QuerySet:
    return events.values_list(*(_SOURCES[name] for name in LOG_FIELDS))


def _cost(value: Any) -> Decimal | None:
    if value is None:
        return None
    # ROUND_HALF_UP is what PostgreSQL's round(numeric, 6) does on the COPY path.
    return Decimal(value).quantize(COST_PLACES, ROUND_HALF_UP)


def log_json(row: tuple) -> dict[str, Any]:
    values = dict(zip(LOG_FIELDS, row, strict=True))
    values["timestamp"] = iso_z(values["timestamp"])
    for name in ("input_cost", "output_cost", "total_cost"):
        cost = _cost(values[name])
        values[name] = float(cost) if cost is not None else None
    values["api_provider"] = provider_display(values["api_provider"])
    return values


def formula_guarded(text: str) -> str:
    """`text` made safe as a CSV cell: a spreadsheet would run one starting like a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _quoted(text: str) -> str:
    return '"' + formula_guarded(text).replace('"', '""') + '"'


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _extra_cell(column: ExtraColumn, value: Any) -> str:
    if column.kind == "text":
        return _quoted(value)
    if column.kind == "carbon":
        return format(value, "f")  # stored with nine places; never 1E-9
    if column.kind == "uuid":
        return '"' + str(value) + '"'
    return str(value)


def csv_lines(
    events: QuerySet, providers: Sequence[str] = (), extra: Sequence[ExtraColumn] = ()
) -> Iterator[str | bytes]:
    """The header line, then the rows of `events` (from `log_events`) in chunks.

    `providers` are the provider ids to name in full on PostgreSQL; others are written as
    stored. `extra` columns (EXPORT_COLUMNS) follow LOG_FIELDS: the explorer's export has
    them, the /api/logs CSV does not.
    """
    yield ",".join((*LOG_FIELDS, *(column.name for column in extra))) + "\n"
    if connection.vendor == "postgresql":
        yield from _copy_lines(events, providers, extra)
        return
    lines: list[str] = []
    rows = events.values_list(
        *(_SOURCES[name] for name in LOG_FIELDS), *(column.source for column in extra)
    )
    width = len(LOG_FIELDS)
    for row in rows.iterator(chunk_size=CSV_CHUNK_ROWS):
        lines.append(
            ",".join(
                (
                    '"' + iso_z(row[0]) + '"',
                    _quoted(row[1]),
                    _quoted(row[2]),
                    str(row[3]),
                    str(row[4]),
                    str(row[5]),
                    _plain(_cost(row[6])),
                    _plain(_cost(row[7])),
                    _plain(_cost(row[8])),
                    _plain(row[9]),
                    _quoted(provider_display(row[10])),
                    *(
                        _extra_cell(column, value)
                        for column, value in zip(extra, row[width:], strict=True)
                    ),
                )
            )
        )
        if len(lines) == CSV_CHUNK_ROWS:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


class _CsvTimestamp(Func):
    # isoformat() in SQL: microseconds only when there are any, UTC written as Z.
    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN mod(extract(microseconds FROM %(expressions)s)::bigint, 1000000) = 0 "
        "THEN '' ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )
    output_field = CharField()


class _CsvText(Func):
    # The SQL twin of _quoted's formula guard (COPY does the quoting).
    template = (
        "CASE WHEN left(%(expressions)s, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        "THEN chr(39) || %(expressions)s ELSE %(expressions)s END"
    )
    output_field = CharField()


class _CsvCost(Func):
    template = "round(%(expressions)s, 6)"
    output_field = _COST


_CSV_QUOTED = ("csv_timestamp", "csv_model", "csv_endpoint", "csv_provider")


def _copy_extra(column: ExtraColumn) -> Any:
    if column.kind == "text":
        return _CsvText(column.source)
    if column.kind == "uuid":
        return Cast(column.source, CharField())
    return F(column.source)


def _copy_lines(
    events: QuerySet, providers: Sequence[str], extra: Sequence[ExtraColumn] = ()
) -> Iterator[bytes]:
    """PostgreSQL formats and streams the rows. Fetching them into Python through a
    server-side cursor managed 35k rows/s on the 10M-event bench; COPY does several times
    that in the same constant memory (bench/RESULTS.md)."""
    # One WHEN per provider the organization uses (a CASE over every known provider cost
    # 60 comparisons a row). _CsvText repeats its argument, so it wraps plain columns only
    # and the names are guarded here.
    provider_names = Case(
        *(
            When(provider=provider, then=Value(formula_guarded(provider_display(provider))))
            for provider in providers
        ),
        default=_CsvText("provider"),
        output_field=CharField(),
    )
    extra_names = {f"csv_extra_{column.name}": column for column in extra}
    formatted = events.annotate(
        **{name: _copy_extra(column) for name, column in extra_names.items()},
        csv_timestamp=_CsvTimestamp("occurred_at"),
        csv_model=_CsvText("model"),
        csv_endpoint=_CsvText("endpoint"),
        csv_input_cost=_CsvCost("log_input_cost"),
        csv_output_cost=_CsvCost("log_output_cost"),
        csv_total_cost=_CsvCost("total_cost"),
        csv_provider=provider_names,
    ).values_list(
        "csv_timestamp",
        "csv_model",
        "csv_endpoint",
        "log_prompt_tokens",
        "output_tokens",
        "total_tokens",
        "csv_input_cost",
        "csv_output_cost",
        "csv_total_cost",
        "latency_ms",
        "csv_provider",
        *extra_names,
    )
    sql, params = formatted.query.sql_with_params()
    quoted_names = (
        *_CSV_QUOTED,
        *(name for name, column in extra_names.items() if column.kind in ("text", "uuid")),
    )
    quoted = ", ".join(connection.ops.quote_name(name) for name in quoted_names)
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE ({quoted}))"
    # COPY hands over one row per read; a million tiny writes to the socket cost more than
    # the query (79k vs 207k rows/s on the bench), so send ~64 KiB at a time.
    pending = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for data in copy:
            pending += data
            if len(pending) >= COPY_CHUNK_BYTES:
                yield bytes(pending)
                pending.clear()
    if pending:
        yield bytes(pending)
