"""The usage pages' query strings, parsed by the same parser as the Token Optimizer API
(`usage.windows`).

The explorer takes the API's parameters (`start_date`, `end_date`, `granularity`,
`provider`, `model`, `endpoint`, repeated) plus `project`, `developer`, `customer`,
`tag.<key>` (repeated), `sort_by`, `sort_desc` and `page`, so a filtered view is a
shareable link; the carbon page takes only the window
(`start_date`, `end_date`, `granularity`) and ignores the rest. The pages differ from the
API in two ways: without dates they show whole UTC days ending today, and a bad value is a
message on the page (the rest of the page falls back to its defaults) instead of a 400.

Shared by the usage and carbon views, so it lives outside either app's `views`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, timedelta, tzinfo
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from .dimensions import MAX_VALUE_LENGTH, TAG_PREFIX
from .selectors.logs import LOG_FIELDS
from .selectors.periods import (
    CUSTOM,
    PRESET_KEYS,
    PRESETS,
    day_start,
    local_day_of_end,
    local_day_of_start,
    preset_days,
    preset_matching,
    previous_window,
    zone_offset_note,
)
from .selectors.series import series_too_long
from .selectors.usage import UsageScope
from .windows import (
    DEFAULT_SPAN,
    NUL,
    QueryInvalid,
    UsageQuery,
    flag,
    positive_int,
    usage_query,
)

PER_PAGE = 50
# Parameters that narrow the explorer; a breakdown row links to one of them.
FILTERS = ("provider", "model", "endpoint", "project", "status")
# The explorer's dimensions (usage.dimensions) as parameters: `developer`, `customer`, and
# `tag.<key>` for each of the organization's tag keys; repeated means any of them.
DIMENSION_PARAMS = {"developer": "developer", "customer": "customer"}
TAG_PARAM_PREFIX = "tag."


def dimension_param(dimension: str) -> str:
    """The query parameter that filters by a dimension: developer, customer, tag.<key>."""
    return DIMENSION_PARAMS.get(dimension) or TAG_PARAM_PREFIX + dimension.removeprefix(TAG_PREFIX)


# The only parameters of a page that shows a window of all usage (the carbon page).
WINDOW_PARAMS = ("start_date", "end_date", "granularity")
# A date preset and the comparison switch (usage.selectors.periods), on every window page.
PERIOD_PARAMS = ("period", "compare")
# Only `occurred_at` is indexed (with the organization): any other order of the logs sorts
# every row the filters match. Up to this many rows (the rollups know the number before the
# rows are read) a page stays around half a second: a week of the largest bench
# organization (127k rows) 0.5 s, a month (630k) 1.5-4.3 s as a parallel sequential scan
# (bench/RESULTS.md, explorer).
UNINDEXED_SORT_MAX_ROWS = 150_000


@dataclass(frozen=True)
class WindowQuery:
    scope: UsageScope
    granularity: str
    start_day: str  # what the date inputs show: the first and the last day counted
    end_day: str
    selected: dict[str, tuple[str, ...]]
    problems: list[str] = field(default_factory=list)
    # Dates presets and the comparison (usage.selectors.periods): the person's zone the
    # days are counted in, the preset these dates are (or "custom"), and the previous
    # period's scope, None when `compare=0` turned it off.
    zone: tzinfo = UTC
    period: str = CUSTOM
    compare: bool = True
    previous: UsageScope | None = None

    @property
    def presets(self) -> tuple[tuple[str, str], ...]:
        return PRESETS

    @property
    def previous_days(self) -> tuple[str, str] | None:
        """The first and last local day of the previous period, as the page names it."""
        if self.previous is None:
            return None
        return (
            local_day_of_start(self.previous.start, self.zone).isoformat(),
            local_day_of_end(self.previous.end, self.zone).isoformat(),
        )

    @property
    def zone_note(self) -> str:
        return zone_offset_note(self.zone, self.scope.start)


@dataclass(frozen=True)
class ExplorerQuery(WindowQuery):
    sort_by: str = "timestamp"
    sort_desc: bool = True
    page: int = 1


def _default_days(params: QueryDict, granularity: str, zone: tzinfo = UTC) -> QueryDict:
    """Whole local days ending today, as many as the API's default span for `granularity`."""
    query = params.copy()
    if not (params.get("start_date") or "").strip() and not (params.get("end_date") or "").strip():
        today = timezone.now().astimezone(zone).date()
        days = max(DEFAULT_SPAN.get(granularity, DEFAULT_SPAN["day"]).days, 1)
        query["start_date"] = (today - timedelta(days=days - 1)).isoformat()
        query["end_date"] = today.isoformat()
    return query


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _period_dates(params: QueryDict, zone: tzinfo, problems: list[str]) -> QueryDict:
    """`period=<preset>` as the local days it means (start_date, end_date); an unknown one
    is a message, and the dates (or the default) apply."""
    query = params.copy()
    period = (params.get("period") or "").strip()
    if period in PRESET_KEYS:
        first, last = preset_days(period, timezone.now().astimezone(zone).date())
        query["start_date"], query["end_date"] = first.isoformat(), last.isoformat()
    elif period and period != CUSTOM:
        names = ", ".join(label.lower() for _, label in PRESETS)
        problems.append(f"There is no period “{period[:40]}”: choose {names}, or dates.")
    query.pop("period", None)
    return query


def _local_days(params: QueryDict, zone: tzinfo) -> QueryDict:
    """Bare dates as the local days of `zone` (`periods.day_start`): the parser takes a
    bare date as a UTC day, as the APIs must."""
    query = params.copy()
    for name, after in (("start_date", 0), ("end_date", 1)):
        raw = (params.get(name) or "").strip()
        if not _DATE_ONLY.match(raw):
            continue
        try:
            day = date.fromisoformat(raw) + timedelta(days=after)
            query[name] = day_start(day, zone).isoformat()
        except (ValueError, OverflowError):
            pass  # left as it is: usage_query names what is wrong with it
    return query


def _window(
    params: QueryDict, organization_id: int, problems: list[str], zone: tzinfo = UTC
) -> UsageQuery:
    """The window and filters asked for; on a bad value, its message and the default window
    (the filters kept), which always parses."""
    granularity = params.get("granularity") or "day"
    try:
        query = usage_query(
            _local_days(_default_days(params, granularity, zone), zone), organization_id
        )
        problem = series_too_long(query.scope.start, query.scope.end, query.granularity)
        if problem:
            problems.append(problem[0].upper() + problem[1:] + ".")
    except QueryInvalid as exc:
        problem = exc.message
        problems.append(problem)
    if not problem:
        return query
    defaults = QueryDict(mutable=True)
    for name in ("provider", "model", "endpoint"):
        # A value with a NUL was the problem (see usage_query); the others still apply.
        defaults.setlist(name, [value for value in params.getlist(name) if NUL not in value])
    return usage_query(_local_days(_default_days(defaults, "day", zone), zone), organization_id)


def window_query(
    params: QueryDict,
    organization_id: int,
    zone: tzinfo | None = None,
    default_period: str | None = None,
    *,
    livemode: bool | None = None,
) -> WindowQuery:
    """The window of all the organization's usage: dates and granularity only. Any other
    parameter (filters, sorting, a page) is ignored, not reported, since the page offers
    none of them. Without dates or a period, `default_period` (a preset) if given."""
    window = QueryDict(mutable=True)
    for name in (*WINDOW_PARAMS, *PERIOD_PARAMS):
        if name in params:
            window.setlist(name, params.getlist(name))
    if default_period and not any(
        (params.get(name) or "").strip() for name in ("period", "start_date", "end_date")
    ):
        window["period"] = default_period
    return _window_query(window, organization_id, [], zone, livemode=livemode)


def _values(params: QueryDict, name: str, problems: list[str]) -> tuple[str, ...]:
    """The distinct non-blank values of a filter the API's query parser does not know."""
    values = tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))
    if any(NUL in value for value in values):
        problems.append(f"{name} must not contain NUL characters.")
        values = tuple(value for value in values if NUL not in value)
    return values


def _window_query(
    params: QueryDict,
    organization_id: int,
    problems: list[str],
    zone: tzinfo | None = None,
    *,
    livemode: bool | None = None,
) -> WindowQuery:
    # The page decorator activated the person's zone (tokentracker.pages).
    zone = zone or timezone.get_current_timezone()
    query = _window(_period_dates(params, zone, problems), organization_id, problems, zone)
    projects = _values(params, "project", problems)
    statuses = _values(params, "status", problems)
    scope = replace(query.scope, projects=projects, statuses=statuses, livemode=livemode)
    start_day, end_day = local_day_of_start(scope.start, zone), local_day_of_end(scope.end, zone)
    period = CUSTOM
    if day_start(start_day, zone) == scope.start and (
        day_start(end_day + timedelta(days=1), zone) == scope.end
    ):
        today = timezone.now().astimezone(zone).date()
        asked = (params.get("period") or "").strip()
        # Two presets may be the same days (on the 30th of a 30-day month, this month and
        # the last 30 days): the one asked for is the one marked.
        if asked in PRESET_KEYS and preset_days(asked, today) == (start_day, end_day):
            period = asked
        else:
            period = preset_matching(start_day, end_day, today)
    try:
        compare = flag(params, "compare", True)
    except QueryInvalid as exc:
        problems.append(exc.message)
        compare = True
    previous = None
    if compare:
        previous_start, previous_end = previous_window(
            scope.start, scope.end, zone=zone, now=timezone.now()
        )
        previous = replace(scope, start=previous_start, end=previous_end)
    return WindowQuery(
        scope=scope,
        granularity=query.granularity,
        start_day=start_day.isoformat(),
        end_day=end_day.isoformat(),
        selected={
            "provider": query.scope.providers,  # canonical ids: "OpenAI" selects openai
            "model": query.models,
            "endpoint": query.endpoints,
            "project": projects,
            "status": statuses,
        },
        problems=problems,
        zone=zone,
        period=period,
        compare=compare,
        previous=previous,
    )


def _dimension_values(params: QueryDict, name: str, problems: list[str]) -> tuple[str, ...]:
    values = []
    for raw in params.getlist(name):
        value = raw.strip()
        if not value:
            continue
        if NUL in value:
            problems.append(f"{name} must not contain NUL characters.")
        elif len(value) > MAX_VALUE_LENGTH:
            problems.append(
                f"A {name} value has at most {MAX_VALUE_LENGTH} characters; "
                f"“{value[:40]}…” is longer and was left out."
            )
        else:
            values.append(value)
    return tuple(dict.fromkeys(values))


def _dimension_narrowing(
    params: QueryDict, tag_keys: Sequence[str], problems: list[str]
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The scope fields and the selected values (by parameter name) of the explorer's
    dimension filters; an unknown tag key is a message, not a filter."""
    selected = {
        name: _dimension_values(params, name, problems) for name in DIMENSION_PARAMS.values()
    }
    tags = []
    for name in sorted({name for name in params if name.startswith(TAG_PARAM_PREFIX)}):
        key = name.removeprefix(TAG_PARAM_PREFIX)
        if key not in tag_keys:
            shown = key[:40] if NUL not in key else key.replace(NUL, "")[:40]
            problems.append(
                f"“{shown}” is not one of the organization's explorer tags (settings), so "
                "it does not filter."
            )
            continue
        values = _dimension_values(params, name, problems)
        selected[name] = values
        if values:
            tags.append((key, values))
    fields = {
        "developers": selected["developer"],
        "customers": selected["customer"],
        "tags": tuple(tags),
    }
    return fields, selected


def explorer_query(
    params: QueryDict,
    organization_id: int,
    zone: tzinfo | None = None,
    *,
    livemode: bool | None = None,
    tag_keys: Sequence[str] = (),
) -> ExplorerQuery:
    """The explorer's query: the window, the filters (dimension filters among them, the
    tag ones for `tag_keys` only), the logs' order and page; bad values are messages.
    `livemode`: the dashboard's live/test switch (tokentracker.data_mode)."""
    problems: list[str] = []
    window = _window_query(params, organization_id, problems, zone, livemode=livemode)
    narrowing, dimension_selected = _dimension_narrowing(params, tag_keys, problems)
    window = replace(
        window,
        scope=replace(window.scope, **narrowing),
        # The previous period is narrowed alike, or its figures would compare other usage.
        previous=replace(window.previous, **narrowing) if window.previous else None,
        selected={**window.selected, **dimension_selected},
    )
    sort_by = params.get("sort_by") or "timestamp"
    if sort_by not in LOG_FIELDS:
        problems.append(f"The logs cannot be sorted by “{sort_by}”; sorted by time instead.")
        sort_by = "timestamp"
    try:
        sort_desc = flag(params, "sort_desc", True)
    except QueryInvalid as exc:
        problems.append(exc.message)
        sort_desc = True
    try:
        page = positive_int(params, "page", 1)
    except QueryInvalid as exc:
        problems.append(exc.message)
        page = 1
    return ExplorerQuery(
        **{f.name: getattr(window, f.name) for f in fields(WindowQuery)},
        sort_by=sort_by,
        sort_desc=sort_desc,
        page=page,
    )


def sorts_any_column(matching_events: int) -> bool:
    """Whether logs of that many rows may be ordered by a column without an index."""
    return matching_events <= UNINDEXED_SORT_MAX_ROWS


def sort_affordable(query: ExplorerQuery, matching_events: int) -> ExplorerQuery:
    """`query`, or the same in time order with a message when it asks for an unindexed
    order over more rows than a page view should sort. The CSV export skips this: a
    download reads every row anyway."""
    if query.sort_by == "timestamp" or sorts_any_column(matching_events):
        return query
    problem = (
        f"These filters match {matching_events:,} requests: the logs are sorted by "
        f"“{query.sort_by}” only up to {UNINDEXED_SORT_MAX_ROWS:,}, so they are in time "
        "order. Narrow the dates or filters to sort them by it."
    )
    return replace(query, sort_by="timestamp", sort_desc=True, problems=[*query.problems, problem])


# How a page's time-series chart is split (usage.selectors.stacks); "none" is one series.
STACKS = ("none", "model", "provider")


def stack_choice(params: QueryDict, problems: list[str]) -> str:
    """The `stack` asked for; an unknown one is a message and the unstacked chart."""
    stack = params.get("stack") or "none"
    if stack not in STACKS:
        problems.append(f"The chart cannot be stacked by “{stack}”; it shows one series.")
        return "none"
    return stack
