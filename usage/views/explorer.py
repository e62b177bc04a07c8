"""The explorer: any window and filter of the usage, as a chart, breakdowns, the logs and
a CSV of exactly those logs."""

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render

from tokentracker.data_mode import page_livemode
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.dimensions import TAG_PREFIX, dimensions_of
from usage.genai_catalog import provider_display
from usage.page_params import (
    DIMENSION_PARAMS,
    FILTERS,
    PER_PAGE,
    STACKS,
    TAG_PARAM_PREFIX,
    UNINDEXED_SORT_MAX_ROWS,
    ExplorerQuery,
    dimension_param,
    explorer_query,
    sort_affordable,
    sorts_any_column,
    stack_choice,
)
from usage.paging import ReadTimedOut
from usage.selectors.dashboard import log_page, series_points, usage_breakdowns
from usage.selectors.dimensions import DimensionRow, dimension_breakdown
from usage.selectors.logs import EXPORT_COLUMNS, csv_lines, log_events
from usage.selectors.periods import rows_compared, window_compared
from usage.selectors.series import usage_series
from usage.selectors.stacks import stacked_series
from usage.selectors.usage import GRANULARITIES, dimension_options, dimension_values

# (sort_by value, column heading, numeric) of the logs table; every one a LOG_FIELDS name.
LOG_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("timestamp", "Time", False),  # in the person's zone (tokentracker.pages)
    ("api_provider", "Provider", False),
    ("model", "Model", False),
    ("endpoint", "Endpoint", False),
    ("prompt_tokens", "Prompt tokens", True),
    ("completion_tokens", "Output tokens", True),
    ("total_tokens", "Total tokens", True),
    ("total_cost", "Cost", True),
    ("latency_ms", "Latency", True),
)


# What a filter's chip calls it; a filter not named here is called by its parameter.
FILTER_LABELS = {
    "provider": "Provider",
    "model": "Model",
    "endpoint": "Endpoint",
    "project": "Project",
    "status": "Status",
    "developer": "Developer",
    "customer": "Customer",
}


@dataclass(frozen=True)
class FilterChip:
    name: str  # the query parameter
    value: str
    label: str
    display: str


def _filter_label(name: str) -> str:
    if name.startswith(TAG_PARAM_PREFIX):
        return f"Tag {name.removeprefix(TAG_PARAM_PREFIX)}"
    return FILTER_LABELS.get(name, name.replace("_", " ").capitalize())


def _filter_chips(query: ExplorerQuery) -> list[FilterChip]:
    return [
        FilterChip(
            name=name,
            value=value,
            label=_filter_label(name),
            display=provider_display(value) if name == "provider" else value,
        )
        for name, values in query.selected.items()
        for value in values
    ]


def _without_filters(params: QueryDict) -> str:
    """The page's query string with every filter dropped (dates, granularity, sorting and
    stacking kept)."""
    kept = params.copy()
    for name in (*FILTERS, *DIMENSION_PARAMS.values(), "page"):
        kept.pop(name, None)
    for name in [name for name in kept if name.startswith(TAG_PARAM_PREFIX)]:
        kept.pop(name, None)
    return "?" + kept.urlencode()


@dataclass(frozen=True)
class LogColumn:
    label: str
    numeric: bool
    sorted: str | None  # aria-sort: "descending", "ascending" or None
    sort_desc: bool  # the order a click on the heading asks for
    sortable: bool  # False: the window is too long to sort by this unindexed column


def _log_columns(query: ExplorerQuery, matching_events: int) -> list[tuple[str, LogColumn]]:
    """Headings that sort by their column; clicking the sorted one reverses it, another
    starts with the largest or newest first (names: A to Z). When the filters match too
    many rows to sort by an unindexed column, only the time heading is a link."""
    any_column = sorts_any_column(matching_events)
    columns = []
    for name, label, numeric in LOG_COLUMNS:
        current = name == query.sort_by
        columns.append(
            (
                name,
                LogColumn(
                    label=label,
                    numeric=numeric,
                    sorted=("descending" if query.sort_desc else "ascending") if current else None,
                    sort_desc=not query.sort_desc if current else numeric or name == "timestamp",
                    sortable=name == "timestamp" or any_column,
                ),
            )
        )
    return columns


def _logs(query: ExplorerQuery) -> Page | None:
    """The page of logs asked for; past the last one (or the count's cap) the last, with a
    message; None, with a message, if reading them ran past the statement timeout."""
    events = log_events(query.scope, query.sort_by, query.sort_desc)
    timeout_ms = settings.EXPLORER_STATEMENT_TIMEOUT_MS
    try:
        try:
            return log_page(events, page=query.page, per_page=PER_PAGE, timeout_ms=timeout_ms)
        except EmptyPage:
            first = log_page(events, page=1, per_page=PER_PAGE, timeout_ms=timeout_ms)
            paginator = first.paginator
            if paginator.capped:
                query.problems.append(
                    f"Only the first {paginator.count:,} requests can be paged through; "
                    "narrow the dates or filters to reach older ones, or export the CSV for "
                    "all of them. This is the last page."
                )
            else:
                query.problems.append(
                    f"There is no page {query.page} of these logs; this is the last."
                )
            return log_page(
                events, page=paginator.num_pages, per_page=PER_PAGE, timeout_ms=timeout_ms
            )
    except ReadTimedOut:
        query.problems.append(
            "Reading the requests of these filters took too long, so they are not listed; "
            "narrow the dates or filters, or export the CSV."
        )
        return None


@dataclass(frozen=True)
class DimensionTable:
    """A breakdown by developer, customer or a tag, and the filter its rows link to."""

    dimension: str
    label: str  # "developer", "customer", "region" (a tag key)
    param: str  # the query parameter of its filter
    options: list[str]  # the values a filter offers: the admitted ones
    selected: tuple[str, ...]
    rows: list[DimensionRow]
    # (value, totals, comparison or None) per row: `rows` beside the previous period's.
    compared: list[tuple[str | None, Any, Any]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "by-" + self.dimension.replace(":", "-")

    @property
    def filter_label(self) -> str:
        return {"developer": "Developers", "customer": "Customers"}.get(
            self.dimension, f"Tag: {self.label}"
        )


def _pairs(rows: list[DimensionRow]) -> list[tuple[str | None, Any]]:
    return [(row.value, row.totals) for row in rows]


def _dimension_tables(query: ExplorerQuery, tag_keys: list[str], read: bool) -> list:
    """A table per dimension; with the comparison on, each read again over the previous
    period (one more grouped read per table, none per row)."""
    options = dimension_options(query.scope.organization_id)
    previous = query.previous
    window = (previous.start, previous.end) if previous else None
    tables = []
    for dimension in dimensions_of(tag_keys):
        rows = dimension_breakdown(query.scope, dimension) if read else []
        before = _pairs(dimension_breakdown(previous, dimension)) if previous and rows else None
        tables.append(
            DimensionTable(
                dimension=dimension,
                label=dimension.removeprefix(TAG_PREFIX),
                param=dimension_param(dimension),
                options=options.get(dimension, []),
                selected=query.selected.get(dimension_param(dimension), ()),
                rows=rows,
                compared=rows_compared(_pairs(rows), before, window),
            )
        )
    return tables


@organization_page()
def explorer(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization_id = membership.organization_id
    livemode = page_livemode(request, organization_id)
    tag_keys = membership.organization.tag_keys or []
    query = explorer_query(request.GET, organization_id, livemode=livemode, tag_keys=tag_keys)
    totals, breakdowns = usage_breakdowns(query.scope)
    # The previous period grouped alike: its totals (the headline changes) and each
    # breakdown row's previous figure, from one read.
    previous = query.previous
    previous_totals, previous_breakdowns = (
        usage_breakdowns(previous) if previous is not None else (None, [])
    )
    window = (previous.start, previous.end) if previous is not None else None
    before = {breakdown.dimension: breakdown.rows for breakdown in previous_breakdowns}
    breakdowns = [
        replace(b, compared=rows_compared(b.rows, before.get(b.dimension), window))
        for b in breakdowns
    ]
    dimension_tables = _dimension_tables(query, tag_keys, read=bool(totals.events))
    query = sort_affordable(query, totals.events)
    stack = stack_choice(request.GET, query.problems)
    points = usage_series(query.scope, query.granularity, query.zone)
    compared = window_compared(
        totals, points, previous, query.granularity, query.zone, previous_totals
    )
    stacked = (
        stacked_series(query.scope, query.granularity, stack, zone=query.zone)
        if stack != "none" and totals.events
        else None
    )
    logs = _logs(query)
    context = {
        "query": query,
        "totals": totals,
        "breakdowns": breakdowns,
        "dimension_tables": dimension_tables,
        "points": points,
        "chart_points": series_points(points, query.granularity),
        "stack": stack,
        "stacks": STACKS,
        "stacked": stacked,
        "stacked_chart": stacked.chart_data(query.granularity) if stacked else None,
        "compared": compared,
        "logs": logs,
        "log_columns": _log_columns(query, totals.events),
        "options": {name: dimension_values(organization_id, name) for name in FILTERS},
        "filter_chips": _filter_chips(query),
        "clear_filters_url": request.path + _without_filters(request.GET),
        "granularities": GRANULARITIES,
        "unindexed_sort_max_rows": UNINDEXED_SORT_MAX_ROWS,
    }
    return render(request, "usage/explorer.html", context)


@organization_page()
def explorer_export(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The filtered logs as CSV, streamed by the API's own writer (COPY on PostgreSQL), in
    the order the table shows them; signed in by session, so no API key leaves the page."""
    organization_id = membership.organization_id
    livemode = page_livemode(request, organization_id)
    tag_keys = membership.organization.tag_keys or []
    query = explorer_query(request.GET, organization_id, livemode=livemode, tag_keys=tag_keys)
    if query.problems:
        # The page falls back to defaults on a bad value; a download must not, or it would
        # not hold what the link asked for.
        return HttpResponseBadRequest("\n".join(query.problems), content_type="text/plain")
    events = log_events(query.scope, query.sort_by, query.sort_desc)
    providers = dimension_values(organization_id, "provider")
    # The API's columns, then what a spreadsheet of one's own usage needs beside them.
    lines = csv_lines(events, providers, EXPORT_COLUMNS)
    response = StreamingHttpResponse(lines, content_type="text/csv")
    # A file of test events says so in its name: it travels without the page's banner.
    data = "logs" if livemode else "test_logs"
    filename = f"{membership.organization.slug}_{data}_{query.start_day}_{query.end_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
