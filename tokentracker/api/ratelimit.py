"""Per-plan rate limits on API views: mixins that count a request and answer 429 in the
surface's envelope, with X-RateLimit-* headers (the counting is `tokentracker.ratelimit`).

Two shapes, as the seeds publish them:
- `PlanRateLimited` (Tokenwise's reads): one hourly budget per organization.
- `MinuteRateLimited` (CodingVibez): per-minute budgets per organization, one per request
  category (GET, POST, sync, upload), on every response of the surface, errors included.
"""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.ratelimit import (
    MINUTE_SECONDS,
    WINDOW_SECONDS,
    RateLimitUsage,
    default_minute_limits,
    plan_hourly_limit,
    plan_minute_limits,
    rate_limit_hit,
)
from tokentracker.throttle import client_ip

from .errors import ApiError, Kind


class RateLimitExceeded(ApiError):
    def __init__(self, usage: RateLimitUsage) -> None:
        super().__init__(
            Kind.RATE_LIMITED,
            "Rate limit exceeded",
            details={"limit": usage.limit, "retry_after": usage.retry_after},
        )
        # The exception handler turns `wait` into Retry-After, as for DRF's Throttled.
        self.wait = usage.retry_after


class _RateLimitHeaders:
    """Counts with `rate_limit_count` and puts the count's X-RateLimit-* on the response,
    whatever the response is (an error or a 429 included)."""

    rate_limit_usage: RateLimitUsage | None = None

    def rate_limit_organization_id(self) -> int | None:
        key = getattr(self, "api_key", None)
        if key is not None:
            return key.organization_id
        membership = getattr(self, "membership", None)
        return membership.organization_id if membership is not None else None

    def rate_limit_count(self, *, scope: str, subject: str, limit: int, period: int) -> None:
        usage = rate_limit_hit(scope=scope, subject=subject, limit=limit, period=period)
        self.rate_limit_usage = usage
        if usage.exceeded:
            raise RateLimitExceeded(usage)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self.rate_limit_usage is not None:
            for name, value in self.rate_limit_usage.headers().items():
                response[name] = value
        return response


class PlanRateLimited(_RateLimitHeaders):
    """Mixin for an `OrganizationScoped` API view: limits requests per organization to its
    plan's `hourly_request_limit`, and puts X-RateLimit-* on every response it can
    attribute to an organization (errors included).

    Counted once the caller is authenticated and before permissions, so a read-only key
    that is refused still sees its quota. Requests without valid credentials belong to no
    organization: they are answered 401 without rate-limit headers.
    """

    rate_limit_scope = "api"

    def check_permissions(self, request: Request) -> None:
        self.rate_limit_check()
        super().check_permissions(request)  # type: ignore[misc]

    def rate_limit_check(self) -> None:
        if not settings.RATE_LIMIT_ENABLED:
            return
        organization_id = self.rate_limit_organization_id()
        if organization_id is None:
            return
        self.rate_limit_count(
            scope=self.rate_limit_scope,
            subject=str(organization_id),
            limit=plan_hourly_limit(organization_id),
            period=WINDOW_SECONDS,
        )


class MinuteRateLimited(_RateLimitHeaders):
    """Mixin for an `OrganizationScoped` API view: per-minute limits in four categories.

    A request is `upload` if its path is one of `upload_paths`, `sync` if its path starts
    with `sync_path_prefix`, else `get` for a safe method (GET, HEAD, OPTIONS) and `post`
    for any write. Each category has its own counter and its plan's limit (Plan
    `reads_per_minute`, `writes_per_minute`, `syncs_per_minute`, `uploads_per_minute`),
    so a burst of reads never blocks a write.

    Counted per organization (the plan is the organization's; every key and member of it
    shares the budget, so minting keys does not multiply it). A request that names no
    organization (no key, a bad key) is counted by client address against the default
    limits, so even a 401 carries the headers and a key-guessing loop is slowed down.
    Counted right after authentication, before permissions and before the view runs.
    """

    rate_limit_scope = "minute"
    sync_path_prefix: str = ""
    upload_paths: frozenset[str] = frozenset()

    def rate_limit_category(self, request: Request) -> str:
        if request.path_info in self.upload_paths:
            return "upload"
        if self.sync_path_prefix and request.path_info.startswith(self.sync_path_prefix):
            return "sync"
        return "get" if request.method in ("GET", "HEAD", "OPTIONS") else "post"

    def perform_authentication(self, request: Request) -> None:
        try:
            super().perform_authentication(request)  # type: ignore[misc]
        except APIException:
            # A bad key is still a request to count (by address), and its 401 shows it.
            self.rate_limit_check(request)
            raise
        self.rate_limit_check(request)

    def rate_limit_check(self, request: Request) -> None:
        if not settings.RATE_LIMIT_ENABLED:
            return
        category = self.rate_limit_category(request)
        organization_id = self.rate_limit_organization_id()
        if organization_id is None:
            subject = f"ip:{client_ip(request)}"
            limits = default_minute_limits()
        else:
            subject = str(organization_id)
            limits = plan_minute_limits(organization_id)
        self.rate_limit_count(
            scope=f"{self.rate_limit_scope}-{category}",
            subject=subject,
            limit=getattr(limits, category),
            period=MINUTE_SECONDS,
        )
