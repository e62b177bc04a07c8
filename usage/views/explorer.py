"""The explorer: any window and filter of the usage, as a chart, breakdowns, the logs and
a CSV of exactly those logs."""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import EmptyPage, Page
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render

from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.dimensions import TAG_PREFIX, dimensions_of
from usage.page_params import (
    FILTERS,
    PER_PAGE,
    UNINDEXED_SORT_MAX_ROWS,
    ExplorerQuery,
    dimension_param,
    explorer_query,
    sort_affordable,
    sorts_any_column,
)
from usage.paging import ReadTimedOut
from usage.selectors.dashboard import log_page, series_points, usage_breakdowns
from usage.selectors.logs import csv_lines, log_events
from usage.selectors.usage import (
    GRANULARITIES,
    DimensionRow,
    dimension_breakdown,
    dimension_options,
    dimension_values,
    usage_series,
)

# (sort_by value, column heading, numeric) of the logs table; every one a LOG_FIELDS name.
LOG_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("timestamp", "Time (UTC)", False),
    ("api_provider", "Provider", False),
    ("model", "Model", False),
    ("endpoint", "Endpoint", False),
    ("prompt_tokens", "Prompt tokens", True),
    ("completion_tokens", "Output tokens", True),
    ("total_tokens", "Total tokens", True),
    ("total_cost", "Cost", True),
    ("latency_ms", "Latency", True),
)


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

    @property
    def anchor(self) -> str:
        return "by-" + self.dimension.replace(":", "-")

    @property
    def filter_label(self) -> str:
        return {"developer": "Developers", "customer": "Customers"}.get(
            self.dimension, f"Tag: {self.label}"
        )


def _dimension_tables(query: ExplorerQuery, tag_keys: list[str], read: bool) -> list:
    options = dimension_options(query.scope.organization_id)
    return [
        DimensionTable(
            dimension=dimension,
            label=dimension.removeprefix(TAG_PREFIX),
            param=dimension_param(dimension),
            options=options.get(dimension, []),
            selected=query.selected.get(dimension_param(dimension), ()),
            rows=dimension_breakdown(query.scope, dimension) if read else [],
        )
        for dimension in dimensions_of(tag_keys)
    ]


@organization_page()
def explorer(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization_id = membership.organization_id
    tag_keys = membership.organization.tag_keys or []
    query = explorer_query(request.GET, organization_id, tag_keys)
    totals, breakdowns = usage_breakdowns(query.scope)
    dimension_tables = _dimension_tables(query, tag_keys, read=bool(totals.events))
    query = sort_affordable(query, totals.events)
    points = usage_series(query.scope, query.granularity)
    logs = _logs(query)
    context = {
        "query": query,
        "totals": totals,
        "breakdowns": breakdowns,
        "dimension_tables": dimension_tables,
        "filtered": any(query.selected.values()),
        "points": points,
        "chart_points": series_points(points, query.granularity),
        "logs": logs,
        "log_columns": _log_columns(query, totals.events),
        "options": {name: dimension_values(organization_id, name) for name in FILTERS},
        "granularities": GRANULARITIES,
        "unindexed_sort_max_rows": UNINDEXED_SORT_MAX_ROWS,
    }
    return render(request, "usage/explorer.html", context)


@organization_page()
def explorer_export(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The filtered logs as CSV, streamed by the API's own writer (COPY on PostgreSQL), in
    the order the table shows them; signed in by session, so no API key leaves the page."""
    query = explorer_query(
        request.GET, membership.organization_id, membership.organization.tag_keys or []
    )
    if query.problems:
        # The page falls back to defaults on a bad value; a download must not, or it would
        # not hold what the link asked for.
        return HttpResponseBadRequest("\n".join(query.problems), content_type="text/plain")
    events = log_events(query.scope, query.sort_by, query.sort_desc)
    providers = dimension_values(membership.organization_id, "provider")
    response = StreamingHttpResponse(csv_lines(events, providers), content_type="text/csv")
    filename = f"{membership.organization.slug}_logs_{query.start_day}_{query.end_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
