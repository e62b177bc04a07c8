"""Throttles of the account pages (log in, password reset, sign-up, new organizations),
counted with the API's limiter (`tokentracker.ratelimit`) in the shared cache.

Each throttle has a scope and a per-hour limit from settings; the subject is the client's
IP address or the address typed in. Like the API limiter they fail open: with the cache
down nobody is locked out of signing in. Failed log-ins per account and address are
django-axes' (settings `AXES_*`); it reads the address and account through the two
functions below.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .ratelimit import RateLimitUsage, rate_limit_hit


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


def login_client_ip(request: HttpRequest) -> str | None:
    """`client_ip` as django-axes stores it (an IP address column): None when it is no
    address (no REMOTE_ADDR, as under a unix socket without a proxy header), so such
    clients share one counter per account instead of failing the log-in."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a log-in tries, as django-axes counts it: trimmed and lower-cased like
    the addresses people sign in with, so `PAT@example.com` is no fresh counter."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None


def too_many_attempts(
    request: HttpRequest, template: str, context: dict, retry_after: int
) -> HttpResponse:
    """The page again with the refusal, as 429 with Retry-After (as the API answers)."""
    minutes = retry_after // 60 + 1
    context = {**context, "throttled": f"Too many attempts; try again in {minutes} minutes."}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
