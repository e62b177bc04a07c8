"""Writes of the audit log: one entry per security-relevant action, made by the service
that performs the action (see `tokentracker.models.audit`)."""

from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from ..models import ApiKey, AuditAction, AuditEntry, Organization
from ..request_context import request_context


class KeyLike(Protocol):
    """An `ApiKey`, or the `AuthenticatedKey` a request carries: only the id is read."""

    id: int


def _user_label(user: AbstractBaseUser) -> str:
    return getattr(user, "email", "") or user.get_username()


def audit_record(
    *,
    organization: Organization | int,
    action: AuditAction | str,
    actor_user: AbstractBaseUser | int | None = None,
    actor_key: KeyLike | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record `action` on `organization` (the model or its id) by `actor_user` (a user or
    a user id) and/or through `actor_key`. Call it inside the transaction of the change,
    so an action that rolls back leaves no entry.

    The API key defaults to the one the current request authenticated with, and the IP
    address is always the current request's (`tokentracker.request_context`); in a task
    or a command both are empty. Without a user or a key the actor is "system". `details`
    must be JSON: say what changed (`{"from": ..., "to": ...}`), never a secret.
    """
    context = request_context()
    organization_id = organization if isinstance(organization, int) else organization.pk
    user = actor_user
    if isinstance(user, int):
        user = get_user_model().objects.filter(pk=user).first()
    key_id = actor_key.id if actor_key is not None else context.api_key_id
    key_lookup = ""
    if key_id is not None:
        key_lookup = ApiKey.objects.filter(pk=key_id).values_list("lookup", flat=True).first() or ""
    if user is not None:
        label = _user_label(user)
        if key_lookup:
            label += f" (API key {key_lookup}…)"
    elif key_lookup:
        label = f"API key {key_lookup}…"
    else:
        label = "system"
    return AuditEntry.objects.create(
        organization_id=organization_id,
        action=AuditAction(action),
        actor_user=user,
        actor_key_lookup=key_lookup,
        actor_label=label[:254],
        target=target[:255],
        details=details or {},
        ip_address=context.ip_address,
    )
