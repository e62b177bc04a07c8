from dataclasses import dataclass

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import keys
from .cache import cache_add, cache_get, cache_set
from .models import ApiKey, ApiKeyScope
from .request_context import organization_bind, request_api_key_set
from .services import api_key_cache_key, api_key_touch

# How long a key lookup is cached. Revocation deletes the entry, so this only bounds how
# long a key revoked outside the service (raw SQL) keeps working.
KEY_CACHE_SECONDS = 60
_MISSING = "missing"


@dataclass(frozen=True)
class AuthenticatedKey:
    """What a request authenticated with an API key carries as `request.auth`."""

    id: int
    organization_id: int
    scope: str
    mode: str
    prefix: str
    digest: str

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE


class ApiKeyPrincipal:
    """`request.user` for API-key requests: authenticated, but not a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, key: AuthenticatedKey) -> None:
        self.key = key
        self.pk = None

    def __str__(self) -> str:
        return f"api-key:{self.key.id}"


def _lookup(lookup: str) -> AuthenticatedKey | None:
    cache_key = api_key_cache_key(lookup)
    cached = cache_get(cache_key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    row = (
        ApiKey.objects.filter(
            lookup=lookup,
            revoked_at__isnull=True,
            # Asking to delete an organization revokes its keys; none of them works while
            # it is being deleted, whatever happens to their revocation meanwhile.
            organization__deletion_requested_at__isnull=True,
        )
        .values("id", "organization_id", "scope", "mode", "prefix", "digest")
        .first()
    )
    record = AuthenticatedKey(**row) if row else None
    cache_set(cache_key, record or _MISSING, KEY_CACHE_SECONDS)
    return record


def _touch(record: AuthenticatedKey) -> None:
    # The cache remembers the last touch so a busy key costs one cache read, not a write.
    touch_key = f"apikey-touched:{record.id}"
    if cache_add(touch_key, timezone.now().timestamp(), 60) is not False:
        api_key_touch(api_key_id=record.id)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. Anything else in that header is a 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, AuthenticatedKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        raw_key = raw_key.strip()
        if scheme.lower() != "bearer" or not raw_key:
            raise exceptions.AuthenticationFailed("Invalid or missing API token")
        parsed = keys.key_parse(raw_key)
        record = _lookup(parsed.lookup) if parsed else None
        if record is None or not keys.key_matches(raw_key, record.digest):
            raise exceptions.AuthenticationFailed("Invalid or missing API token")
        _touch(record)
        organization_bind(record.organization_id)
        request_api_key_set(record.id)  # the audit log names the key an action came through
        return ApiKeyPrincipal(record), record

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
