from typing import TYPE_CHECKING

from rest_framework import exceptions, permissions
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from .authentication import AuthenticatedKey

SAFE_METHODS = permissions.SAFE_METHODS


class HasOrganization(permissions.BasePermission):
    """Authenticated with an API key; write methods need a key with write scope."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        key = request.auth
        if not isinstance(key, AuthenticatedKey):
            raise exceptions.NotAuthenticated("Invalid or missing API token")
        if request.method not in SAFE_METHODS and not key.can_write:
            raise exceptions.PermissionDenied("This API key is read-only.")
        return True
