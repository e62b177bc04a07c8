"""Per-plan rate limits on API views: the mixin that counts a request and answers 429 in
the surface's envelope, with X-RateLimit-* headers (the counting is `tokentracker.ratelimit`)."""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.ratelimit import RateLimitUsage, plan_hourly_limit, rate_limit_hit

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


class PlanRateLimited:
    """Mixin for an `OrganizationScoped` API view: limits requests per organization to its
    plan's `hourly_request_limit`, and puts X-RateLimit-* on every response it can
    attribute to an organization (errors included).

    Counted once the caller is authenticated and before permissions, so a read-only key
    that is refused still sees its quota. Requests without valid credentials belong to no
    organization: they are answered 401 without rate-limit headers.
    """

    rate_limit_scope = "api"
    rate_limit_usage: RateLimitUsage | None = None

    def rate_limit_organization_id(self) -> int | None:
        key = getattr(self, "api_key", None)
        if key is not None:
            return key.organization_id
        membership = getattr(self, "membership", None)
        return membership.organization_id if membership is not None else None

    def check_permissions(self, request: Request) -> None:
        self.rate_limit_check()
        super().check_permissions(request)  # type: ignore[misc]

    def rate_limit_check(self) -> None:
        if not settings.RATE_LIMIT_ENABLED:
            return
        organization_id = self.rate_limit_organization_id()
        if organization_id is None:
            return
        usage = rate_limit_hit(
            scope=self.rate_limit_scope,
            subject=str(organization_id),
            limit=plan_hourly_limit(organization_id),
        )
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
