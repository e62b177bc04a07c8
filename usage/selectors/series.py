"""Usage over time: the buckets of a granularity, in UTC or a person's zone, and the totals
of each, whole or split by one dimension."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from django.db.models import F
from django.db.models.functions import Trunc

from .usage import GRANULARITIES, UsageScope, UsageTotals, hour_floor, usage_parts


def bucket_floor(moment: datetime, granularity: str) -> datetime:
    moment = hour_floor(moment)
    if granularity == "hour":
        return moment
    day = moment.replace(hour=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def bucket_next(bucket: datetime, granularity: str) -> datetime:
    if granularity == "hour":
        return bucket + timedelta(hours=1)
    if granularity == "day":
        return bucket + timedelta(days=1)
    if granularity == "week":
        return bucket + timedelta(weeks=1)
    if granularity == "month":
        return bucket.replace(year=bucket.year + bucket.month // 12, month=bucket.month % 12 + 1)
    return bucket.replace(year=bucket.year + 1)


def buckets(start: datetime, end: datetime, granularity: str) -> Iterator[datetime]:
    bucket = bucket_floor(start, granularity)
    while bucket < end:
        yield bucket
        bucket = bucket_next(bucket, granularity)


# The longest series a chart gets. Hourly points read hourly rows (about 20 per hour for a
# busy organization): two weeks of them stay under 100 ms at 10M events (bench/RESULTS.md).
MAX_HOURLY_SPAN = timedelta(days=14)
MAX_SERIES_POINTS = 5000


def series_too_long(start: datetime, end: datetime, granularity: str) -> str | None:
    """Why a series of `granularity` buckets over [start, end) is refused, or None."""
    if granularity == "hour" and end - start > MAX_HOURLY_SPAN:
        return (
            f"hourly series cover at most {MAX_HOURLY_SPAN.days} days; narrow the dates or "
            "use a coarser granularity"
        )
    points = sum(1 for _ in buckets(start, end, granularity))
    if points > MAX_SERIES_POINTS:
        return (
            f"the window holds {points} {granularity} buckets and at most "
            f"{MAX_SERIES_POINTS} fit in one series; narrow the dates or use a coarser "
            "granularity"
        )
    return None


def usage_series(
    scope: UsageScope, granularity: str, zone: tzinfo = UTC
) -> list[tuple[datetime, UsageTotals]]:
    """Totals per time bucket over the whole window, empty buckets included as zeros.

    Buckets are UTC's, or with `zone` the local days (weeks, months, years) of that zone,
    each an aware local datetime; hours stay UTC hours (shown in local time), for a local
    hour may repeat or vanish at a DST change."""
    return _series(scope, granularity, zone, None)[""]


def usage_series_by(
    scope: UsageScope, granularity: str, dimension: str, zone: tzinfo = UTC
) -> dict[str, list[tuple[datetime, UsageTotals]]]:
    """`usage_series` split by one dimension: every value's series over the same buckets
    (zeros included), so the values' totals in a bucket add up to the unsplit series'.
    Empty when the window has no rows."""
    return _series(scope, granularity, zone, dimension)


def _series(
    scope: UsageScope, granularity: str, zone: tzinfo, dimension: str | None
) -> dict[str, list[tuple[datetime, UsageTotals]]]:
    """Per value of `dimension` (None: one series, under ""), the totals of every bucket."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    if granularity != "hour" and not _is_utc(zone):
        return _local_series(scope, granularity, zone, dimension)
    series = _utc_series(scope, granularity, dimension)
    if _is_utc(zone):
        return series
    return {
        value: [(bucket.astimezone(zone), totals) for bucket, totals in points]
        for value, points in series.items()
    }


def _is_utc(zone: tzinfo) -> bool:
    return zone is UTC or str(zone) in ("UTC", "Etc/UTC")


def _grouped(
    found: dict[str, dict[datetime, list[UsageTotals]]],
    every_bucket: list[tuple[datetime, datetime]],
    dimension: str | None,
) -> dict[str, list[tuple[datetime, UsageTotals]]]:
    """Each value's totals over every bucket (its key, as shown), zeros where it had none;
    the unsplit series ("") has every bucket even without a row."""
    if dimension is None and not found:
        found = {"": {}}
    empty = UsageTotals()
    return {
        value: [
            (shown, UsageTotals.combined(parts[key]) if key in parts else empty)
            for key, shown in every_bucket
        ]
        for value, parts in found.items()
    }


def _local_series(
    scope: UsageScope, granularity: str, zone: tzinfo, dimension: str | None
) -> dict[str, list[tuple[datetime, UsageTotals]]]:
    """Local buckets from hourly rows: a daily row is a UTC day, not a local one. An hour
    belongs to the bucket its last moment falls in, so the hour that holds a local midnight
    at :30 (Asia/Kolkata) opens the new day, as `periods.day_start` starts windows.

    Reads up to 24 rows a day per group: a year of hours is under 9,000 rows."""
    tick = timedelta(hours=1) - timedelta(microseconds=1)

    def local_key(moment: datetime) -> datetime:
        return bucket_floor(moment.astimezone(zone).replace(tzinfo=UTC), granularity)

    found: dict[str, dict[datetime, list[UsageTotals]]] = {}
    groups = ("hour", dimension) if dimension else ("hour",)
    for part, sums in usage_parts(scope, groups[1:], hourly_only=True):
        for row in part.values(*groups).annotate(**sums).order_by():
            by_bucket = found.setdefault(row[dimension] if dimension else "", {})
            by_bucket.setdefault(local_key(row["hour"] + tick), []).append(
                UsageTotals.from_row(row)
            )
    # Local wall times, walked as if they were UTC (no DST in the arithmetic of days).
    first, last = local_key(scope.start + tick), local_key(scope.end - timedelta(microseconds=1))
    every_bucket = []
    key = first
    while key <= last:
        every_bucket.append((key, key.replace(tzinfo=None).replace(tzinfo=zone)))
        key = bucket_next(key, granularity)
    return _grouped(found, every_bucket, dimension)


def _utc_series(
    scope: UsageScope, granularity: str, dimension: str | None
) -> dict[str, list[tuple[datetime, UsageTotals]]]:
    found: dict[str, dict[datetime, list[UsageTotals]]] = {}
    # Day and coarser buckets start at midnight, so daily rows fall wholly into one.
    grouped_by = (dimension,) if dimension else ()
    for part, sums in usage_parts(scope, grouped_by, hourly_only=granularity == "hour"):
        # Rollup rows already start on the hour: group on the column itself, not a Trunc.
        bucket = F("hour") if granularity == "hour" else Trunc("hour", granularity, tzinfo=UTC)
        groups = ("bucket", dimension) if dimension else ("bucket",)
        rows = part.annotate(bucket=bucket).values(*groups).annotate(**sums).order_by()
        for row in rows:
            by_bucket = found.setdefault(row[dimension] if dimension else "", {})
            by_bucket.setdefault(row["bucket"].astimezone(UTC), []).append(
                UsageTotals.from_row(row)
            )
    every_bucket = [(bucket, bucket) for bucket in buckets(scope.start, scope.end, granularity)]
    return _grouped(found, every_bucket, dimension)
