"""One base class per API surface: its error dialect, and tenant scoping for every query.

A view picks its surface by inheritance; it never sets a dialect or filters by
organization itself (PostHog's `TeamAndOrgViewSetMixin` is the model).
"""

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.views import APIView

from tokentracker import errors
from tokentracker.authentication import AuthenticatedKey


class OrganizationScoped:
    """Resolves the caller's organization and scopes `queryset` to it."""

    request: object
    queryset: QuerySet | None = None

    @property
    def api_key(self) -> AuthenticatedKey:
        key = self.request.auth  # type: ignore[attr-defined]
        assert isinstance(key, AuthenticatedKey), "HasOrganization runs before any view code"
        return key

    @property
    def organization_id(self) -> int:
        return self.api_key.organization_id

    def get_queryset(self) -> QuerySet[Model]:
        assert self.queryset is not None
        return self.queryset.filter(organization_id=self.organization_id)


class NativeViewSet(OrganizationScoped, viewsets.GenericViewSet):
    """Our documented /api/v1 API (MyTokenTracker's events contract speaks the same dialect)."""

    error_dialect = errors.NATIVE


class PublicView(APIView):
    """No authentication (health, estimates, open data)."""

    authentication_classes: list = []
    permission_classes: list = []
    error_dialect = errors.NATIVE
