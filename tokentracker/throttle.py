"""Throttles of the account pages (log in, password reset, sign-up, new organizations),
counted with the API's limiter (`tokentracker.ratelimit`) in the shared cache.

Each throttle has a scope and a per-hour limit from settings; the subject is the client's
IP address or the address typed in. Like the API limiter they fail open: with the cache
down nobody is locked out of signing in.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .ratelimit import RateLimitUsage, rate_limit_hit, rate_limit_peek, window_bounds


def client_ip(request: HttpRequest) -> str:
    """The address of the browser. Behind a reverse proxy REMOTE_ADDR is the proxy's, shared
    by everyone; with TRUST_X_FORWARDED_FOR the last X-Forwarded-For entry (the one our own
    proxy appended, which a client cannot forge) is used instead."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def throttle_hit(scope: str, subject: str, limit: int) -> RateLimitUsage | None:
    """Count one attempt; the usage if it went over `limit` this hour, else None."""
    usage = rate_limit_hit(scope=f"page-{scope}", subject=subject.strip().lower(), limit=limit)
    return usage if usage.exceeded else None


def throttle_reached(scope: str, subject: str, limit: int) -> int | None:
    """Seconds until `subject` may try again if it already used up `limit` this hour (None
    if it may try now), without counting an attempt."""
    subject = subject.strip().lower()
    now = timezone.now()
    used = rate_limit_peek(scope=f"page-{scope}", subject=subject, now=now)
    if used is None or used < limit:
        return None
    _start, end = window_bounds(subject, int(now.timestamp()))
    return max(end - int(now.timestamp()), 1)


def too_many_attempts(
    request: HttpRequest, template: str, context: dict, retry_after: int
) -> HttpResponse:
    """The page again with the refusal, as 429 with Retry-After (as the API answers)."""
    minutes = retry_after // 60 + 1
    context = {**context, "throttled": f"Too many attempts; try again in {minutes} minutes."}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
