"""Writes of API keys: create (shown once), revoke, and the throttled last-used touch."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import keys
from ..cache import cache_delete
from ..models import (
    ApiKey,
    ApiKeyScope,
    AuditAction,
    Organization,
)
from .audit import audit_record


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str


def api_key_create(
    *,
    organization: Organization,
    name: str,
    prefix: str = keys.DEFAULT_PREFIX,
    scope: str = ApiKeyScope.WRITE,
    created_by: AbstractBaseUser | None = None,
) -> CreatedApiKey:
    raw_key = keys.key_generate(prefix)
    parsed = keys.key_parse(raw_key)
    assert parsed is not None
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name,
            prefix=prefix,
            lookup=parsed.lookup,
            digest=keys.key_digest(raw_key),
            mode=keys.key_mode(prefix),
            scope=scope,
            created_by=created_by,
        )
        audit_record(
            organization=organization,
            action=AuditAction.API_KEY_CREATED,
            actor_user=created_by,
            target=_key_target(api_key),
            details={"scope": api_key.scope, "mode": api_key.mode},
        )
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


def _key_target(api_key: ApiKey) -> str:
    return f"{api_key.name} ({api_key.lookup}…)"


def api_key_cache_key(lookup: str) -> str:
    return f"apikey:{lookup}"


def api_key_revoke(
    *,
    api_key: ApiKey,
    revoked_by: AbstractBaseUser | None = None,
    reason: str = "",
) -> ApiKey:
    """Revoke `api_key` (again is a no-op); `revoked_by` and `reason` (why it went without
    anyone asking, e.g. its creator left) are for the audit log."""
    if api_key.revoked_at is None:
        with transaction.atomic():
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            audit_record(
                organization=api_key.organization_id,
                action=AuditAction.API_KEY_REVOKED,
                actor_user=revoked_by,
                target=_key_target(api_key),
                details={"reason": reason} if reason else None,
            )
    # Drop the cached lookup so the key stops working on the next request, not in a minute;
    # again at commit, in case another request re-cached the key before we committed.
    cache_key = api_key_cache_key(api_key.lookup)
    cache_delete(cache_key)
    transaction.on_commit(lambda: cache_delete(cache_key))
    return api_key


def api_key_touch(*, api_key_id: int) -> None:
    """Record use, at most once a minute per key: one conditional UPDATE, no read."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key_id).exclude(
        last_used_at__gt=now - timezone.timedelta(minutes=1)
    ).update(last_used_at=now)
