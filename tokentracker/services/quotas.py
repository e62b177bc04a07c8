"""Plan quotas counted in the database: events per UTC day, and a plan's free live-key
events per month."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from ..errors import DomainError, Kind
from ..models import (
    DailyEventCount,
    MonthlyLiveEventCount,
    Organization,
)


class QuotaExceeded(DomainError):
    kind = Kind.QUOTA_EXCEEDED

    def __init__(self, *, limit: int, used: int, requested: int) -> None:
        super().__init__(
            f"Daily event limit of {limit} reached",
            details={"limit": limit, "used": used, "requested": requested},
        )
        self.limit = limit
        self.used = used
        self.requested = requested
        # The API's exception handler turns `wait` into Retry-After (as for DRF's Throttled):
        # the count starts again at the next UTC midnight. A batch larger than the whole
        # daily limit will never fit, so it gets no time to come back at.
        self.wait = _seconds_to_next_utc_day() if requested <= limit else None


def _seconds_to_next_utc_day() -> int:
    now = timezone.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return max(int((midnight - now).total_seconds()), 1)


def quota_consume(*, organization_id: int, events: int, day: date | None = None) -> int:
    """Count `events` against today's quota; raise QuotaExceeded (and count nothing) if over.

    One statement that is atomic under concurrency: an upsert whose update only happens
    while the new total stays within the plan's limit. Runs inside the caller's transaction,
    so a rolled-back write also rolls back its count. Returns the new total for the day.
    """
    day = day or timezone.now().date()
    org = (
        Organization.objects.select_related("plan")
        .only("plan__daily_event_limit")
        .get(pk=organization_id)
    )
    limit = org.plan.daily_event_limit
    table = connection.ops.quote_name(DailyEventCount._meta.db_table)
    if events > limit:
        raise QuotaExceeded(limit=limit, used=_quota_used(organization_id, day), requested=events)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, day, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (organization_id, day) DO UPDATE "
            f"SET events = {table}.events + excluded.events "
            f"WHERE {table}.events + excluded.events <= %s "
            f"RETURNING events",
            [organization_id, day, events, limit],
        )
        row = cursor.fetchone()
    if row is None:
        raise QuotaExceeded(limit=limit, used=_quota_used(organization_id, day), requested=events)
    return int(row[0])


def _quota_used(organization_id: int, day: date) -> int:
    return (
        DailyEventCount.objects.filter(organization_id=organization_id, day=day)
        .values_list("events", flat=True)
        .first()
        or 0
    )


class FreeQuotaExhausted(DomainError):
    kind = Kind.PAYMENT_REQUIRED

    def __init__(self, limit: int) -> None:
        super().__init__(f"free live-event quota of {limit} reached", details={"limit": limit})
        self.limit = limit


@dataclass(frozen=True)
class LiveQuota:
    limit: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def live_quota_consume(
    *, organization_id: int, events: int = 1, month: date | None = None
) -> LiveQuota:
    """Count a live-key event against the plan's free monthly quota, or raise
    FreeQuotaExhausted and count nothing. One conditional upsert: atomic under concurrency,
    and rolled back with the caller's transaction."""
    month = month or timezone.now().date().replace(day=1)
    limit = (
        Organization.objects.filter(pk=organization_id)
        .values_list("plan__free_live_events_per_month", flat=True)
        .get()
    )
    table = connection.ops.quote_name(MonthlyLiveEventCount._meta.db_table)
    guard = "" if limit is None else f"WHERE {table}.events + excluded.events <= {int(limit)} "
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, month, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (organization_id, month) DO UPDATE "
            f"SET events = {table}.events + excluded.events {guard}"
            f"RETURNING events",
            [organization_id, month, events],
        )
        row = cursor.fetchone()
    if row is None or (limit is not None and int(row[0]) > limit):
        # The first event of a month is an INSERT, which the WHERE does not guard.
        raise FreeQuotaExhausted(limit or 0)
    return LiveQuota(limit=limit, used=int(row[0]))
