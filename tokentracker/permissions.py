from typing import TYPE_CHECKING

from rest_framework import exceptions, permissions
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from .authentication import AuthenticatedKey

SAFE_METHODS = permissions.SAFE_METHODS


class HasApiKey(permissions.BasePermission):
    """Authenticated with an API key; write methods need a key with write scope."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        key = request.auth
        if not isinstance(key, AuthenticatedKey):
            raise exceptions.NotAuthenticated("Invalid or missing API token")
        if request.method not in SAFE_METHODS and not key.can_write:
            raise exceptions.PermissionDenied("This API key is read-only.")
        return True


class HasApiKeyOrMember(HasApiKey):
    """An API key as above, or a signed-in member of an organization (session auth).

    Surfaces whose clients used a user token (CodingVibez) accept both. Session requests
    get DRF's CSRF check on unsafe methods from `SessionAuthentication`.
    """

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if isinstance(request.auth, AuthenticatedKey):
            return super().has_permission(request, view)
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated("Invalid or missing API token")
        membership = view.membership  # type: ignore[attr-defined]
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any organization.")
        if request.method not in SAFE_METHODS and not membership.can_write:
            raise exceptions.PermissionDenied(
                getattr(view, "viewer_write_refusal", "Viewers cannot record usage.")
            )
        return True
