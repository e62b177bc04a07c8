"""Reads of the usage app: every aggregate any surface serves, from the hourly rollups.

Filters by the explorer's dimensions (developer, customer, tags: usage.dimensions) read the
dimension rollups when those hold every narrowing, and the raw events when not
(`usage_parts`); `dimension_breakdown` is the breakdown by one of them.

Raw events are read only for row listings. Rollups hold whole UTC hours, so a window is
widened to the hours it touches (`UsageScope.covering`): an event at 12:40 belongs to the
12:00 hour whatever minute the window starts at. Callers echo the widened window so a
client sees exactly which hours were counted.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Trunc

from tokentracker.cache import cache_get

from ..dimensions import stored, tag_dimension, value_expression
from ..folds import COUNTERS, DIMENSION_COUNTERS
from ..models import (
    DailyRollup,
    DimensionDailyRollup,
    DimensionHourlyRollup,
    DimensionValue,
    HourlyRollup,
    Outcome,
    RollupDelta,
    SetAsideDelta,
    UsageEvent,
)
from ..rollup_rebuild import event_sums
from ..rollups import LAST_MERGE_CACHE_KEY

GRANULARITIES = ("hour", "day", "week", "month", "year")


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_floor(moment: datetime) -> datetime:
    return hour_floor(moment).replace(hour=0)


def day_ceil(moment: datetime) -> datetime:
    floor = day_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + timedelta(days=1)


def hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + timedelta(hours=1)


@dataclass(frozen=True)
class UsageScope:
    """One organization's usage in [start, end), optionally narrowed by dimension values."""

    organization_id: int
    start: datetime
    end: datetime
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    outcome: str | None = None
    statuses: tuple[str, ...] = ()
    # True: live events only, False: test-key events only (the dashboard's switch, see
    # tokentracker.data_mode); None, the APIs' scope: both, as their contracts count them.
    livemode: bool | None = None
    # The explorer's dimensions (usage.dimensions); "" selects events without a value.
    developers: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    tags: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (metadata key, values)

    @classmethod
    def covering(cls, organization_id: int, start: datetime, end: datetime, **narrowing: Any):
        """The scope of whole hours that holds every moment of [start, end)."""
        return cls(organization_id, hour_floor(start), hour_ceil(end), **narrowing)

    def rollups(self, *, hourly_only: bool = False) -> list[QuerySet]:
        """The rollup rows of the window: daily rows for its whole UTC days, hourly rows for
        the partial days at either end (or hourly throughout when asked). Summing the parts
        gives exactly what the hourly rows alone would."""
        first_day = day_ceil(self.start)
        last_day = day_floor(self.end)
        if hourly_only or first_day >= last_day:
            return [self._hours(self.start, self.end)]
        parts = [self._narrow(self._in(DailyRollup, first_day, last_day))]
        if self.start < first_day:
            parts.append(self._hours(self.start, first_day))
        if last_day < self.end:
            parts.append(self._hours(last_day, self.end))
        return parts

    def _hours(self, start: datetime, end: datetime) -> QuerySet:
        return self._narrow(self._in(HourlyRollup, start, end))

    @property
    def dimension_filters(self) -> dict[str, tuple[str, ...]]:
        """The explorer dimensions narrowed, as dimension name → values."""
        filters = {"developer": self.developers, "customer": self.customers}
        filters.update((tag_dimension(key), values) for key, values in self.tags)
        return {dimension: values for dimension, values in filters.items() if values}

    def dimension_rollups(self, dimension: str, *, hourly_only: bool = False) -> list[QuerySet]:
        """The dimension rollup rows of one dimension over the window (daily rows for whole
        UTC days, as `rollups`), narrowed by provider, model, live/test and the dimension's
        own values. Only these narrowings: endpoint, project, outcome or another dimension
        are not in these rows (`answers_from_dimension_rollups` says when they suffice)."""
        first_day = day_ceil(self.start)
        last_day = day_floor(self.end)
        spans = [(self.start, self.end, DimensionHourlyRollup)]
        if not hourly_only and first_day < last_day:
            spans = [(first_day, last_day, DimensionDailyRollup)]
            if self.start < first_day:
                spans.append((self.start, first_day, DimensionHourlyRollup))
            if last_day < self.end:
                spans.append((last_day, self.end, DimensionHourlyRollup))
        values = self.dimension_filters.get(dimension)
        parts = []
        for start, end, model in spans:
            rows = self._in(model, start, end).filter(dimension=dimension)
            if values:
                rows = rows.filter(value__in=[stored(value) for value in values])
            for name, chosen in (("provider", self.providers), ("model", self.models)):
                if chosen:
                    rows = rows.filter(**{f"{name}__in": chosen})
            if self.livemode is not None:
                rows = rows.filter(livemode=self.livemode)
            parts.append(rows)
        return parts

    def answers_from_dimension_rollups(self, dimension: str) -> bool:
        """Whether the rollups of `dimension` hold this scope's events: no narrowing but
        provider, model, live/test and `dimension`'s own values."""
        others = set(self.dimension_filters) - {dimension}
        return not (others or self.endpoints or self.projects or self.statuses or self.outcome)

    def _in(self, model: type[Model], start: datetime, end: datetime) -> QuerySet:
        return model.objects.filter(
            organization_id=self.organization_id, hour__gte=start, hour__lt=end
        )

    def events(self) -> QuerySet[UsageEvent]:
        """The raw events the same rollups sum (row listings, and the sums of narrowings
        no rollup holds: see `usage_parts`)."""
        events = self._narrow(
            UsageEvent.objects.filter(
                organization_id=self.organization_id,
                occurred_at__gte=self.start,
                occurred_at__lt=self.end,
            )
        )
        for index, (dimension, values) in enumerate(self.dimension_filters.items()):
            name = f"dimension_{index}"
            events = events.alias(**{name: value_expression(dimension)}).filter(
                **{f"{name}__in": values}
            )
        return events

    def _narrow(self, rows: QuerySet) -> QuerySet:
        for dimension, values in (
            ("provider", self.providers),
            ("model", self.models),
            ("endpoint", self.endpoints),
            ("project", self.projects),
            ("status", self.statuses),
        ):
            if values:
                rows = rows.filter(**{f"{dimension}__in": values})
        if self.outcome:
            rows = rows.filter(outcome=self.outcome)
        if self.livemode is not None:
            rows = rows.filter(livemode=self.livemode)
        return rows


CARBON_QUANTUM = Decimal("0.000000001")


@dataclass(frozen=True)
class UsageTotals:
    """Summed counters of a set of rollup rows, with the averages derived from them."""

    events: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    uncached_input_tokens: int = 0
    total_tokens: int = 0
    cost: Decimal = field(default_factory=lambda: Decimal(0))
    priced_events: int = 0
    unpriced_events: int = 0
    latency_ms_sum: int = 0
    latency_count: int = 0
    success_count: int = 0
    error_count: int = 0
    quality_sum: float = 0.0
    quality_count: int = 0
    energy_wh: Decimal = field(default_factory=lambda: Decimal(0))
    co2e_grams: Decimal = field(default_factory=lambda: Decimal(0))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "UsageTotals":
        values = {name: row.get(f"sum_{name}") for name in (f.name for f in fields(cls))}
        totals = {name: value for name, value in values.items() if value is not None}
        if "cost" in totals:
            totals["cost"] = Decimal(totals["cost"])
        for name in ("energy_wh", "co2e_grams"):
            if name in totals:
                # Stored with nine places, so exact sums have nine places too; SQLite sums
                # decimals as doubles, and this gives back the digits it blurs.
                totals[name] = Decimal(totals[name]).quantize(CARBON_QUANTUM)
        return cls(**totals)

    @classmethod
    def combined(cls, parts: Iterable["UsageTotals"]) -> "UsageTotals":
        """The totals of disjoint groups, added up (no second scan of the rollups)."""
        names = [f.name for f in fields(cls)]
        sums: dict[str, Any] = {name: getattr(cls(), name) for name in names}
        for part in parts:
            for name in names:
                sums[name] += getattr(part, name)
        return cls(**sums)

    @property
    def prompt_tokens(self) -> int:
        """The whole prompt, whatever the providers' conventions: uncached input, cache reads
        and cache writes (what OpenAI calls prompt tokens). `total_tokens` is this plus
        `output_tokens`; the as-reported `input_tokens` is not, for Anthropic leaves the
        cache out of it."""
        return self.uncached_input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def wholly_unpriced(self) -> bool:
        """Events, none of them with a cost in the reporting currency (an unknown model, or
        a reported amount with no exchange rate)."""
        return bool(self.events) and not self.priced_events

    @property
    def priced_cost(self) -> Decimal | None:
        """The cost of the priced events; None when every event is unpriced, because $0
        for spend we cannot price would be a lie. Beside it, `unpriced_events` counts what
        it leaves out."""
        return None if self.wholly_unpriced else self.cost

    @property
    def average_latency_ms(self) -> float | None:
        return self.latency_ms_sum / self.latency_count if self.latency_count else None

    @property
    def cost_per_event(self) -> Decimal:
        return self.cost / self.priced_events if self.priced_events else Decimal(0)

    @property
    def priced_cost_per_event(self) -> Decimal | None:
        """The average cost of a priced event; None when every event is unpriced."""
        return None if self.wholly_unpriced else self.cost_per_event

    @property
    def co2e_per_event(self) -> Decimal | None:
        return self.co2e_grams / self.events if self.events else None

    @property
    def error_rate(self) -> float:
        return self.error_count / self.events if self.events else 0.0

    @property
    def success_rate(self) -> float | None:
        known = self.success_count + self.error_count
        return self.success_count / known if known else None

    @property
    def quality_average(self) -> float | None:
        return self.quality_sum / self.quality_count if self.quality_count else None


def _sums() -> dict[str, Any]:
    sums: dict[str, Any] = {f"sum_{name}": Sum(name) for name in COUNTERS}
    # Errors are counted from the outcome dimension: unknown outcomes are neither.
    sums["sum_error_count"] = Sum("events", filter=Q(outcome=Outcome.ERROR))
    return sums


def dimension_rollup_sums() -> dict[str, Any]:
    return {f"sum_{name}": Sum(name) for name in DIMENSION_COUNTERS}


# What the dimension rollups hold besides the dimension's value.
DIMENSION_ROLLUP_GROUPS = frozenset({"provider", "model", "livemode"})


def usage_parts(
    scope: UsageScope, dimensions: Iterable[str] = (), *, hourly_only: bool = False
) -> list[tuple[QuerySet, dict[str, Any]]]:
    """Where a read of `scope` grouped by `dimensions` sums from, with the aggregates that
    give `UsageTotals.from_row`'s names: the main rollups while no explorer dimension
    narrows the scope; else the rollups of the one dimension narrowed, if they hold every
    narrowing and grouping; else the raw events (exact, slower). Every part has an `hour`."""
    filtered = scope.dimension_filters
    if not filtered:
        return [(part, _sums()) for part in scope.rollups(hourly_only=hourly_only)]
    if len(filtered) == 1:
        (dimension,) = filtered
        if scope.answers_from_dimension_rollups(dimension) and set(dimensions) <= (
            DIMENSION_ROLLUP_GROUPS
        ):
            return [
                (part, dimension_rollup_sums())
                for part in scope.dimension_rollups(dimension, hourly_only=hourly_only)
            ]
    events = scope.events().annotate(hour=Trunc("occurred_at", "hour", tzinfo=UTC))
    return [(events, event_sums("sum_"))]


def usage_totals(scope: UsageScope) -> UsageTotals:
    return UsageTotals.combined(
        UsageTotals.from_row(part.aggregate(**sums)) for part, sums in usage_parts(scope)
    )


def usage_by(scope: UsageScope, *dimensions: str) -> list[tuple[dict[str, str], UsageTotals]]:
    """Totals per distinct value of `dimensions`, costliest first, then by most events."""
    groups: dict[tuple, list[UsageTotals]] = {}
    for part, sums in usage_parts(scope, dimensions):
        for row in part.values(*dimensions).annotate(**sums).order_by():
            key = tuple(row[name] for name in dimensions)
            groups.setdefault(key, []).append(UsageTotals.from_row(row))
    merged = [(key, UsageTotals.combined(parts)) for key, parts in groups.items()]
    merged.sort(key=lambda item: (-item[1].cost, -item[1].events, item[0]))
    return [(dict(zip(dimensions, key, strict=True)), totals) for key, totals in merged]


def usage_by_day(
    scope: UsageScope, *dimensions: str
) -> list[tuple[dict[str, str], dict[date, UsageTotals]]]:
    """`usage_by`, each group split by UTC day: what converts money at the rate of its day
    needs the days apart (the group's totals are `UsageTotals.combined` of its days)."""
    groups: dict[tuple, dict[date, list[UsageTotals]]] = {}
    # Daily rows start at midnight and hourly rows on the hour: each falls in one UTC day.
    utc_day = Trunc("hour", "day", tzinfo=UTC)
    for part, sums in usage_parts(scope, dimensions):
        rows = part.annotate(utc_day=utc_day).values(*dimensions, "utc_day").annotate(**sums)
        for row in rows.order_by():
            key = tuple(row[name] for name in dimensions)
            day = row["utc_day"].astimezone(UTC).date()
            groups.setdefault(key, {}).setdefault(day, []).append(UsageTotals.from_row(row))
    merged = [
        (key, {day: UsageTotals.combined(parts) for day, parts in sorted(days.items())})
        for key, days in groups.items()
    ]
    totals = {key: UsageTotals.combined(days.values()) for key, days in merged}
    merged.sort(key=lambda item: (-totals[item[0]].cost, -totals[item[0]].events, item[0]))
    return [(dict(zip(dimensions, key, strict=True)), days) for key, days in merged]


def dimension_values(organization_id: int, dimension: str) -> list[str]:
    """Every non-empty value an organization has used for a rollup dimension, sorted."""
    values = (
        DailyRollup.objects.filter(organization_id=organization_id)
        .exclude(**{dimension: ""})
        .values_list(dimension, flat=True)
        .distinct()
        .order_by(dimension)
    )
    return list(values)


def dimension_options(organization_id: int) -> dict[str, list[str]]:
    """The values kept apart per explorer dimension (usage.dimensions), sorted: what its
    filter offers (at most MAX_VALUES each; the others are in "Other")."""
    options: dict[str, list[str]] = {}
    for dimension, value in (
        DimensionValue.objects.filter(organization_id=organization_id)
        .order_by("dimension", "value")
        .values_list("dimension", "value")
    ):
        options.setdefault(dimension, []).append(value)
    return options


def event_latest_at(organization_id: int) -> datetime | None:
    """When the organization's most recent event happened (index on organization, time)."""
    return (
        UsageEvent.objects.filter(organization_id=organization_id)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def rollups_set_aside(organization_id: int | None = None) -> int:
    """Events whose rollup sums the merge set aside (all organizations' when None)."""
    set_aside = SetAsideDelta.objects.all()
    if organization_id is not None:
        set_aside = set_aside.filter(organization_id=organization_id)
    return int(set_aside.aggregate(events=Coalesce(Sum("events"), 0))["events"])


def rollups_last_merged_at() -> datetime | None:
    """When the last merge that emptied the buffer started; unknown after a cache flush or
    restart."""
    return cache_get(LAST_MERGE_CACHE_KEY)


@dataclass(frozen=True)
class RollupLag:
    """How far the aggregates trail the events recorded (every organization's)."""

    pending: bool
    # The age of the oldest pending delta, at most: pending deltas were all committed after
    # the last merge started. 0 with nothing pending; None when something is pending and
    # no merge is on record (never, or the cache was emptied): nobody knows how long.
    seconds: float | None


def _lag(pending: bool, now: datetime) -> RollupLag:
    if not pending:
        return RollupLag(pending=False, seconds=0.0)
    merged_at = rollups_last_merged_at()
    if merged_at is None:
        return RollupLag(pending=True, seconds=None)
    return RollupLag(pending=True, seconds=max(0.0, (now - merged_at).total_seconds()))


def rollup_lag(now: datetime) -> RollupLag:
    """The rollup lag, as /api/health and /metrics report it.

    RollupDelta rows carry no time of their own; the last merge's start bounds their age
    instead, and beat merges every 10 s, so while merging works the bound is within
    seconds of the truth. It overstates only when merging has stopped (counting from the
    last merge, not from the first event after it), which is a fault either way.
    """
    return _lag(RollupDelta.objects.exists(), now)


def rollup_buffer(organization_id: int, now: datetime) -> tuple[int, RollupLag]:
    """An organization's events recorded but not yet merged into the hourly rollups that
    aggregates read, and the rollup lag (every organization's), as tracking health shows.

    One scan for both: the delta table holds seconds of ingest between merges, and has no
    index by organization to make its own query cheaper.
    """
    row = RollupDelta.objects.aggregate(
        events=Coalesce(Sum("events", filter=Q(organization_id=organization_id)), 0),
        deltas=Count("id"),
    )
    return int(row["events"]), _lag(bool(row["deltas"]), now)
