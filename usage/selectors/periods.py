"""Windows of the dashboard pages in a person's time zone: date presets, the previous period
a window is compared with, and the comparison of two windows' totals.

Local days and rollup hours. Rollups hold whole UTC hours, the finest grain there is, so a
local day is read as the UTC hours from the one that holds its midnight up to the one that
holds the next midnight (`day_start`). In a zone a whole number of hours from UTC (most of
them, and all of them across DST changes: a spring day has 23 hours, an autumn one 25)
that is exactly the local day. In a zone with a half- or quarter-hour offset
(Asia/Kolkata, +05:30) a "day" starts up to 45 minutes before local midnight: the pages
say so beside the dates (`zone_offset_note`). Where a DST change skips midnight itself
(America/Santiago in September), the day starts at its first hour, 01:00.

Previous periods (`previous_window`):
- a window of whole local calendar months (last month, this month) is compared with the
  same number of calendar months before it: last month (March, 31 days) against the month
  before (February, 28 days), whatever their lengths;
- any other window of whole local days with the same number of days just before it (the
  last 7 days against the 7 before them), counted in local days so DST does not shift it;
- a window of arbitrary moments with the same length just before it;
- a window still running (it ends after the current hour: today, this month) is compared
  up to the same point: the previous period is cut where "now" falls in it, today until
  this hour against yesterday until the same hour, this month until today against last
  month until the same day and hour (the 29th-31st against the last day of a shorter
  month). Counting a whole previous period against a part of this one would report a drop
  that is only the clock.
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from .dashboard import months_later, series_points
from .series import usage_series
from .usage import UsageScope, UsageTotals, hour_ceil, hour_floor, usage_totals

# Preset key, label; the order of the links on the pages.
PRESETS: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
)
PRESET_KEYS = tuple(key for key, _ in PRESETS)
CUSTOM = "custom"

_HOUR = timedelta(hours=1)
_TICK = timedelta(microseconds=1)


def day_start(day: date, zone: tzinfo) -> datetime:
    """The UTC hour that holds local midnight of `day` (see the module docstring)."""
    return hour_floor(datetime.combine(day, time(), tzinfo=zone))


def local_day_of_start(moment: datetime, zone: tzinfo) -> date:
    """The local day a window starting at `moment` (a `day_start`) starts on."""
    return (moment + _HOUR - _TICK).astimezone(zone).date()


def local_day_of_end(moment: datetime, zone: tzinfo) -> date:
    """The last local day a window ending (exclusive) at `moment` includes."""
    return (moment - _TICK).astimezone(zone).date()


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """The first and last local day (both included) of a preset, `today` being local."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "30d":
        return today - timedelta(days=29), today
    first = today.replace(day=1)
    if preset == "this_month":
        return first, _month_last_day(first)
    if preset == "last_month":
        previous_first = (first - timedelta(days=1)).replace(day=1)
        return previous_first, first - timedelta(days=1)
    raise ValueError(f"unknown preset {preset!r}")


def preset_matching(start_day: date, end_day: date, today: date) -> str:
    """The preset whose days these are (so a link with dates marks its preset), or custom."""
    for key in PRESET_KEYS:
        if preset_days(key, today) == (start_day, end_day):
            return key
    return CUSTOM


def _month_last_day(first: date) -> date:
    return months_later(datetime.combine(first, time()), 1).date() - timedelta(days=1)


def _day_aligned(moment: datetime, zone: tzinfo) -> date | None:
    day = local_day_of_start(moment, zone)
    return day if day_start(day, zone) == moment else None


@dataclass(frozen=True)
class Shift:
    """How far back the previous period lies: whole months or whole local days, in local
    calendar terms; or a plain duration for windows that are not whole days."""

    months: int = 0
    days: int = 0
    duration: timedelta = timedelta(0)

    def back(self, moment: datetime, zone: tzinfo) -> datetime:
        if self.duration:
            return moment - self.duration
        # Wall-clock arithmetic in the zone, so a DST change between the two does not move
        # the previous period by an hour.
        wall = moment.astimezone(zone).replace(tzinfo=None)
        wall = months_later(wall, -self.months) if self.months else wall - timedelta(self.days)
        return wall.replace(tzinfo=zone).astimezone(UTC)


def _shift(start: datetime, end: datetime, zone: tzinfo) -> Shift:
    first, after = _day_aligned(start, zone), _day_aligned(end, zone)
    if first is None or after is None:
        return Shift(duration=end - start)
    if first.day == 1 and after.day == 1:
        return Shift(months=(after.year - first.year) * 12 + after.month - first.month)
    return Shift(days=(after - first).days)


def previous_window(
    start: datetime, end: datetime, *, zone: tzinfo = UTC, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The previous period [start, end) is compared with (see the module docstring)."""
    shift = _shift(start, end, zone)
    if shift.duration:
        previous_start, previous_end = start - shift.duration, start
    else:
        first = local_day_of_start(start, zone)
        last = local_day_of_end(end, zone)
        if shift.months:
            previous_first = months_later(datetime.combine(first, time()), -shift.months).date()
            previous_after = first
        else:
            previous_first = first - timedelta(days=shift.days)
            previous_after = last - timedelta(days=shift.days) + timedelta(days=1)
        previous_start = day_start(previous_first, zone)
        previous_end = day_start(previous_after, zone)
    if now is not None and start < hour_ceil(now) < end:
        cut = hour_ceil(shift.back(hour_ceil(now), zone))
        previous_end = max(previous_start, min(previous_end, cut))
    return previous_start, previous_end


def running_until(start: datetime, end: datetime, now: datetime) -> datetime:
    """Where a window's figures stop: `end`, or the end of the current hour while it runs."""
    return min(end, max(start, hour_ceil(now)))


Number = Decimal | int | float


@dataclass(frozen=True)
class Change:
    """One figure of this period beside the previous period's.

    `comparable` is False when the two cannot be set against each other (a spend with no
    priced event, no latency measured): the page shows both values and says why, never a
    change. `caveat` qualifies a change that is shown (spend leaving unpriced events out).
    """

    current: Number | None
    previous: Number | None
    comparable: bool = True
    caveat: str = ""

    @property
    def difference(self) -> Number | None:
        if not self.comparable or self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def is_new(self) -> bool:
        """Something now where the previous period had nothing: no percentage exists."""
        return self.comparable and not self.previous and bool(self.current)

    @property
    def ratio(self) -> float | None:
        """The change as a fraction of the previous value (0.25 is +25 %)."""
        difference = self.difference
        if difference is None or not self.previous:
            return None
        return float(difference) / float(self.previous)

    @property
    def direction(self) -> str:
        difference = self.difference
        if difference is None or difference == 0:
            return "same"
        return "up" if difference > 0 else "down"


def _unpriced(totals: UsageTotals) -> str:
    return f"{totals.unpriced_events:,} unpriced"


@dataclass(frozen=True)
class TotalsComparison:
    """The figures of a window against the previous period's (`previous_window`)."""

    current: UsageTotals
    previous: UsageTotals
    previous_start: datetime
    previous_end: datetime

    @property
    def cost(self) -> Change:
        current, previous = self.current.priced_cost, self.previous.priced_cost
        if current is None or previous is None:
            # All of one period's spend is unpriced (or unconverted): its priced $0 is not
            # its spend, so no change is computed.
            which = "this period's" if current is None else "the previous period's"
            return Change(
                current, previous, comparable=False, caveat=f"{which} spend is all unpriced"
            )
        caveat = ""
        if self.current.unpriced_events or self.previous.unpriced_events:
            caveat = (
                f"priced spend only ({_unpriced(self.current)} now, "
                f"{_unpriced(self.previous)} before)"
            )
        return Change(current, previous, caveat=caveat)

    @property
    def events(self) -> Change:
        return Change(self.current.events, self.previous.events)

    @property
    def total_tokens(self) -> Change:
        return Change(self.current.total_tokens, self.previous.total_tokens)

    @property
    def co2e_grams(self) -> Change:
        return Change(self.current.co2e_grams, self.previous.co2e_grams)

    @property
    def energy_wh(self) -> Change:
        return Change(self.current.energy_wh, self.previous.energy_wh)

    @property
    def error_count(self) -> Change:
        return Change(self.current.error_count, self.previous.error_count)

    @property
    def error_rate(self) -> Change:
        # A rate of no requests is not 0 %: with none in either period there is nothing
        # to compare.
        comparable = bool(self.current.events and self.previous.events)
        return Change(self.current.error_rate, self.previous.error_rate, comparable=comparable)

    @property
    def average_latency_ms(self) -> Change:
        current, previous = self.current.average_latency_ms, self.previous.average_latency_ms
        return Change(current, previous, comparable=current is not None and previous is not None)


def _row_key(key: Any) -> Hashable:
    # A row grouped by several dimensions is keyed by a dict ({"provider": ..., "model": ...}).
    return tuple(sorted(key.items())) if isinstance(key, dict) else key


def rows_compared(
    rows: Sequence[tuple[Any, UsageTotals]],
    previous: Sequence[tuple[Any, UsageTotals]] | None,
    previous_window: tuple[datetime, datetime] | None,
) -> list[tuple[Any, UsageTotals, TotalsComparison | None]]:
    """A breakdown's rows, each beside the same value's totals in the previous period (zero
    where it had none there: its change is "new"); None beside every row when not compared
    (`previous` None). `previous` is the same grouped read over the previous scope, so a
    table costs one more read, not one per row. Values that had usage only in the previous
    period are not rows: the table lists this period's values."""
    if previous is None or previous_window is None:
        return [(key, totals, None) for key, totals in rows]
    before = {_row_key(key): totals for key, totals in previous}
    start, end = previous_window
    none = UsageTotals()
    return [
        (key, totals, TotalsComparison(totals, before.get(_row_key(key), none), start, end))
        for key, totals in rows
    ]


def series_aligned(
    current: Sequence[tuple[datetime, UsageTotals]],
    previous: Sequence[tuple[datetime, UsageTotals]],
) -> list[tuple[datetime, UsageTotals, datetime | None, UsageTotals | None]]:
    """The previous period's buckets beside this period's, by offset (the first day beside
    the first day); None where the previous period has no such bucket (a shorter month, or
    a running window's future)."""
    rows: list[Any] = []
    for index, (bucket, totals) in enumerate(current):
        if index < len(previous):
            rows.append((bucket, totals, *previous[index]))
        else:
            rows.append((bucket, totals, None, None))
    return rows


def zone_offset_note(zone: tzinfo, moment: datetime) -> str:
    """What a page says beside its dates when the zone is not a whole number of hours
    from UTC at `moment`, and so its days cannot start exactly at local midnight."""
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60) % 60
    if not minutes:
        return ""
    return (
        f"{zone} is {minutes} minutes off a whole hour from UTC, and usage is counted in "
        "whole UTC hours: each day here starts at the start of the UTC hour that holds "
        f"local midnight, {60 - minutes} minutes before it or less."
    )


@dataclass(frozen=True)
class WindowComparison:
    """What a window page shows against the previous period: its headline figures'
    changes, the series table's rows side by side, and the chart's second series."""

    totals: TotalsComparison | None
    rows: list[tuple[datetime, UsageTotals, datetime | None, UsageTotals | None]]
    previous_points: list[dict] | None


def window_compared(
    totals: UsageTotals,
    points: list[tuple[datetime, UsageTotals]],
    previous: UsageScope | None,
    granularity: str,
    zone: tzinfo = UTC,
    previous_totals: UsageTotals | None = None,
) -> WindowComparison:
    """The previous period's totals and series, beside this window's (`totals`, `points`);
    with `previous` None (comparison off) only this window's rows. Two rollup reads, or one
    when the caller already summed the previous period (`previous_totals`, from the grouped
    read its breakdown tables are compared with)."""
    if previous is None:
        return WindowComparison(None, series_aligned(points, []), None)
    previous_series = usage_series(previous, granularity, zone)
    rows = series_aligned(points, previous_series)
    labelled = series_points([(bucket, t) for _, _, bucket, t in rows if bucket], granularity)
    return WindowComparison(
        TotalsComparison(
            totals,
            usage_totals(previous) if previous_totals is None else previous_totals,
            previous.start,
            previous.end,
        ),
        rows,
        labelled + [None] * (len(rows) - len(labelled)),
    )
