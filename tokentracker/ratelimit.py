"""Per-organization request rate limits, shared by every process through the Django cache.

Each organization gets a fixed one-hour window counted with `cache.add` then `cache.incr`:
both are single atomic commands in Redis (SET NX, INCR), so gunicorn workers on any number
of machines share one count without a lock or a read-modify-write race. (django-ratelimit's
`get_usage` does the same, but only swallows DNS errors from the cache, and hides the
window's end we need for `X-RateLimit-Reset`.) A fixed window lets a client spend up to
twice its limit across a window boundary; for an hourly plan quota that is acceptable, and
it costs one round trip where a sliding log would cost a sorted-set per organization.

If the cache is unreachable the request is let through (fail open). The rate limit protects
the service from runaway clients; refusing every call while Redis restarts would drop
usage events a customer is paying us to keep, and the daily event quota is enforced in the
database (`quota_consume`) whatever the cache does.
"""

import time
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings

from .cache import CacheUnavailable, cache_call, cache_delete, cache_get, cache_set
from .models import Organization

WINDOW_SECONDS = 3600
# A plan change in admin reaches the limiter within this long; one query per organization
# per minute instead of one per request.
PLAN_LIMIT_CACHE_SECONDS = 60
# Keeps a counter alive a little past its window so a late increment cannot restart at 1.
EXPIRY_SLACK_SECONDS = 5


@dataclass(frozen=True)
class RateLimitUsage:
    limit: int
    count: int | None  # None: the cache could not be reached and nothing was counted
    reset_at: int  # epoch seconds when the window ends
    now: int

    @property
    def exceeded(self) -> bool:
        return self.count is not None and self.count > self.limit

    @property
    def remaining(self) -> int:
        if self.count is None:
            return self.limit
        return max(self.limit - self.count, 0)

    @property
    def retry_after(self) -> int:
        return max(self.reset_at - self.now, 1)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


def window_bounds(subject: str, now: int, period: int = WINDOW_SECONDS) -> tuple[int, int]:
    """The [start, end) of the window `now` falls in for `subject`.

    Each subject's windows are offset by a stable hash, so organizations do not all reset
    (and all retry) at the top of the hour.
    """
    offset = zlib.crc32(subject.encode()) % period
    start = now - ((now - offset) % period)
    return start, start + period


def _increment(key: str, timeout: int) -> int | None:
    try:
        if cache_call("add", key, 1, timeout):
            return 1
        try:
            return cache_call("incr", key)
        except ValueError:
            # The counter expired between add and incr: this request opens the next one.
            cache_call("add", key, 1, timeout)
            return 1
    except CacheUnavailable:  # logged once by tokentracker.cache; skipped while it is down
        return None


def rate_limit_hit(
    *,
    scope: str,
    subject: str,
    limit: int,
    period: int = WINDOW_SECONDS,
    now: float | None = None,
) -> RateLimitUsage:
    """Count one request by `subject` against `limit` per `period` seconds in `scope`."""
    moment = int(now if now is not None else time.time())
    start, end = window_bounds(subject, moment, period)
    count = _increment(f"rl:{scope}:{subject}:{start}", end - moment + EXPIRY_SLACK_SECONDS)
    return RateLimitUsage(limit=limit, count=count, reset_at=end, now=moment)


def rate_limit_peek(
    *, scope: str, subject: str, now: datetime, period: int = WINDOW_SECONDS
) -> int | None:
    """Requests `subject` has made in its current window, without counting one; None if the
    cache cannot be read (the limiter fails open then too)."""
    moment = int(now.timestamp())
    start, _ = window_bounds(subject, moment, period)
    try:
        return int(cache_call("get", f"rl:{scope}:{subject}:{start}") or 0)
    except CacheUnavailable:
        return None


def _hourly_limit_key(organization_id: int) -> str:
    return f"plan-hourly-limit:{organization_id}"


def _minute_limits_key(organization_id: int) -> str:
    return f"plan-minute-limits:{organization_id}"


def plan_hourly_limit(organization_id: int) -> int:
    cache_key = _hourly_limit_key(organization_id)
    cached = cache_get(cache_key)
    if isinstance(cached, int):
        return cached
    limit = (
        Organization.objects.filter(pk=organization_id)
        .values_list("plan__hourly_request_limit", flat=True)
        .first()
    )
    limit = limit if limit is not None else settings.DEFAULT_PLAN_HOURLY_REQUEST_LIMIT
    cache_set(cache_key, limit, PLAN_LIMIT_CACHE_SECONDS)
    return limit


MINUTE_SECONDS = 60


@dataclass(frozen=True)
class MinuteLimits:
    """A plan's requests per minute in each of CodingVibez's categories (seed 004)."""

    get: int
    post: int
    sync: int
    upload: int


MINUTE_LIMIT_FIELDS = {
    "get": "reads_per_minute",
    "post": "writes_per_minute",
    "sync": "syncs_per_minute",
    "upload": "uploads_per_minute",
}


def default_minute_limits() -> MinuteLimits:
    """What a caller with no organization (no or a bad key) is held to: the defaults."""
    return MinuteLimits(
        get=settings.DEFAULT_PLAN_READS_PER_MINUTE,
        post=settings.DEFAULT_PLAN_WRITES_PER_MINUTE,
        sync=settings.DEFAULT_PLAN_SYNCS_PER_MINUTE,
        upload=settings.DEFAULT_PLAN_UPLOADS_PER_MINUTE,
    )


def plan_minute_limits(organization_id: int) -> MinuteLimits:
    """The organization's plan's per-minute limits, cached like `plan_hourly_limit`."""
    cache_key = _minute_limits_key(organization_id)
    cached = cache_get(cache_key)
    if isinstance(cached, dict) and set(cached) == set(MINUTE_LIMIT_FIELDS):
        return MinuteLimits(**cached)
    row = (
        Organization.objects.filter(pk=organization_id)
        .values_list(*(f"plan__{field}" for field in MINUTE_LIMIT_FIELDS.values()))
        .first()
    )
    if row is None:  # the organization is gone; its requests are about to fail anyway
        limits = default_minute_limits()
    else:
        limits = MinuteLimits(**dict(zip(MINUTE_LIMIT_FIELDS, row, strict=True)))
    cache_set(cache_key, asdict(limits), PLAN_LIMIT_CACHE_SECONDS)
    return limits


def plan_limits_forget(organization_id: int) -> None:
    """Drop the organization's cached plan limits, so a plan change (a subscription bought,
    lapsed or canceled) holds its requests to the new plan from the next one on."""
    cache_delete(_hourly_limit_key(organization_id))
    cache_delete(_minute_limits_key(organization_id))


# The per-minute counters of CodingVibez's API (tokentracker.api.base's CodingVibez views
# count "<scope>-<category>"): the pages that do the same work count on them too.
MINUTE_LIMITED_SCOPE = "codingvibez"


def minute_rate_limit_hit(organization_id: int, category: str) -> RateLimitUsage:
    """Count one request of `category` ("upload", ...) against the organization's per-minute
    plan limit, on the counter CodingVibez's API counts, so a page doing the same work (a
    receipt upload) shares the same budget."""
    limits = plan_minute_limits(organization_id)
    return rate_limit_hit(
        scope=f"{MINUTE_LIMITED_SCOPE}-{category}",
        subject=str(organization_id),
        limit=getattr(limits, category),
        period=MINUTE_SECONDS,
    )
