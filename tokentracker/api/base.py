"""One base class per API surface: its error dialect, and tenant scoping for every query.

A view picks its surface by inheritance; it never sets a dialect or filters by
organization itself (PostHog's `TeamAndOrgViewSetMixin` is the model).
"""

from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokentracker.api import errors
from tokentracker.api.parsers import NUL
from tokentracker.api.ratelimit import MinuteRateLimited
from tokentracker.authentication import ApiKeyAuthentication, AuthenticatedKey
from tokentracker.models import ApiKeyMode, Membership
from tokentracker.permissions import HasApiKeyOrMember
from tokentracker.ratelimit import MINUTE_LIMITED_SCOPE
from tokentracker.request_context import organization_bind, request_id_current
from tokentracker.selectors import (
    ACTIVE_ORGANIZATION_SESSION_KEY,
    ActiveMembership,
    membership_active,
    membership_of_key_creator,
)
from usage.dates import iso_z


class FormatIsAParameter(DefaultContentNegotiation):
    """`format` is an endpoint's own json|csv parameter, not DRF's renderer override
    (which would answer 404 for `format=csv` since only JSON is a renderer)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class RefusesNulInQuery:
    """No query parameter of any surface may hold a NUL character: PostgreSQL refuses one in
    a text value, so a filter such as `?model=%00` would fail as a DataError mid-query.
    Checked once, after authentication (no key is still a 401), in the surface's dialect."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        for name, values in request.query_params.lists():
            if NUL in name or any(NUL in value for value in values):
                shown = name.replace(NUL, "\\u0000")
                raise errors.ApiError(
                    errors.Kind.VALIDATION,
                    f"{shown} must not contain NUL characters.",
                    details={shown: "must not contain NUL characters"},
                )


class OrganizationScoped:
    """Resolves the caller's organization (from the API key, or the signed-in member's
    active organization) and scopes `queryset` to it.

    The scope cannot be skipped: a subclass that defines `get_queryset` is refused when the
    class is created (PostHog's `TeamAndOrgViewSetMixin` does the same); it narrows the
    already scoped queryset in `scoped_queryset` instead.
    """

    request: Any
    queryset: QuerySet | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__qualname__} defines get_queryset, which would skip the organization "
                "scope: override scoped_queryset(queryset) instead."
            )

    @property
    def api_key(self) -> AuthenticatedKey | None:
        key = self.request.auth
        return key if isinstance(key, AuthenticatedKey) else None

    @property
    def api_key_id(self) -> int | None:
        key = self.api_key
        return key.id if key else None

    @property
    def livemode(self) -> bool:
        """Whether what this request writes is live data: False only through a test key
        (as `tokentracker.selectors.api_key_livemode` says, without its query)."""
        key = self.api_key
        return key is None or key.mode != ApiKeyMode.TEST

    @cached_property
    def membership(self) -> ActiveMembership | None:
        user = self.request.user
        if self.api_key is not None or user is None or not user.is_authenticated:
            return None
        membership = membership_active(
            user, self.request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY)
        )
        if membership is not None:
            organization_bind(membership.organization_id)
        return membership

    @property
    def organization_id(self) -> int:
        key = self.api_key
        if key is not None:
            return key.organization_id
        membership = self.membership
        assert membership is not None, "the permission class runs before any view code"
        return membership.organization_id

    def get_queryset(self) -> QuerySet[Model]:
        assert self.queryset is not None
        return self.scoped_queryset(self.queryset.filter(organization_id=self.organization_id))

    def scoped_queryset(self, queryset: QuerySet[Model]) -> QuerySet[Model]:
        """Narrow the organization's rows further (ordering, joins); never widen them."""
        return queryset


@dataclass(frozen=True)
class Writer:
    """Who writes through the API: a membership, with its role as it is now (the domain
    service judges the role), and the user to record as the author."""

    membership: ActiveMembership | Membership
    user_id: int


class NativeViewSet(RefusesNulInQuery, OrganizationScoped, viewsets.GenericViewSet):
    """Our documented /api/v1 API (MyTokenTracker's events contract speaks the same dialect)."""

    error_dialect = errors.NATIVE
    # What the viewset's writes change ("budgets"), for the refusal of a key that acts for
    # nobody (see `writer`).
    writes: str = "these writes"

    def writer(self) -> Writer:
        """Who is writing: signed in, the member; with an API key, the person who created
        the key, as CodingVibez's invitations do (a key acts for a person). A key made from
        the command line, or whose creator left, acts for nobody and writes nothing that
        needs a role."""
        key = self.api_key
        if key is None:
            membership = self.membership
            assert membership is not None, "the permission class resolved this membership"
            return Writer(membership, self.request.user.pk)
        # Checked on every call: a key made by someone since removed or demoted does what
        # they may do now, whatever they could the day it was made.
        creator = membership_of_key_creator(key.id)
        if creator is None:
            raise errors.ApiError(
                errors.Kind.FORBIDDEN,
                "This API key acts for no current member (it was created from the command "
                f"line or its creator left): {self.writes} need a key of an admin or owner.",
            )
        return Writer(creator, creator.user_id)


class TokenOptimizerView(RefusesNulInQuery, OrganizationScoped, APIView):
    """Token Optimizer (seed 001): `{"error": {"code", "message", "details"}}`."""

    error_dialect = errors.TOKEN_OPTIMIZER


class CarbonLlmView(RefusesNulInQuery, OrganizationScoped, APIView):
    """carbon-llm (seed 002): `{"error": {"code", "message", "details"}}`, lower-case codes.

    The seed answers OPTIONS with 200 on every path, keyed or not: a browser's preflight
    carries no key (django-cors-headers answers those first), and a plain OPTIONS gets DRF's
    description of the endpoint rather than a 401.
    """

    error_dialect = errors.CARBON_LLM

    def check_permissions(self, request: Request) -> None:
        if request.method == "OPTIONS":
            return
        super().check_permissions(request)


class TokenwiseView(RefusesNulInQuery, OrganizationScoped, APIView):
    """Tokenwise (seed 003): `{"error": "message"}`."""

    error_dialect = errors.TOKENWISE


class CodingVibezView(MinuteRateLimited, RefusesNulInQuery, OrganizationScoped, APIView):
    """CodingVibez (seed 004): `{success, data, timestamp, requestId}`; key or session.

    Rate-limited per organization and minute as the seed publishes it (GET 100, POST 30,
    sync 10, upload 5 by default; per plan), X-RateLimit-* on every response.
    """

    error_dialect = errors.CODINGVIBEZ
    permission_classes = [HasApiKeyOrMember]
    rate_limit_scope = MINUTE_LIMITED_SCOPE
    # The seed's sync endpoints (/api/sync, /api/sync-organization-usage) and its one upload.
    sync_path_prefix = "/api/sync"
    upload_paths = frozenset({"/api/receipts/ocr"})

    def envelope(self, data: Any, status: int = 200) -> Response:
        # The request's own id (tokentracker.middleware): the X-Request-ID the client sent,
        # or the one our logs name the request by.
        request_id = request_id_current()
        body = {
            "success": True,
            "data": data,
            "timestamp": iso_z(timezone.now()),
            "requestId": request_id,
        }
        return Response(body, status=status, headers={"X-Request-Id": request_id})


class OtlpView(RefusesNulInQuery, OrganizationScoped, APIView):
    """OpenTelemetry's OTLP/HTTP (/v1/traces): errors as google.rpc.Status; an API key only.

    Exporters are processes, never a signed-in browser, so no session (and no CSRF) applies.
    """

    error_dialect = errors.OTLP
    authentication_classes = [ApiKeyAuthentication]


class PublicView(RefusesNulInQuery, APIView):
    """No authentication (health, estimates, open data)."""

    authentication_classes: list = []
    permission_classes: list = []
    error_dialect = errors.NATIVE
