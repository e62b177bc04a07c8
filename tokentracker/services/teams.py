"""Writes of teams: sign-up, organizations and memberships.

The role rules live here, not in views, so the dashboard and the CodingVibez API enforce
the same ones: admins manage members below owner, only an owner makes or unmakes owners,
and an organization always keeps at least one owner.
"""

import logging
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from ..errors import DomainError, Kind
from ..models import ApiKey, ApiKeyScope, AuditAction, Membership, Organization, Role
from .audit import audit_record
from .keys import api_key_revoke
from .organizations import plan_get_default

logger = logging.getLogger(__name__)


SLUG_MAX_LENGTH = 50


class TeamError(DomainError):
    """A team change that breaks a rule; the message is shown to the person as is."""


class TeamPermissionError(TeamError):
    """The acting member's role does not allow this change."""

    kind = Kind.FORBIDDEN


def _unique_slug(name: str) -> str:
    base = slugify(name)[:SLUG_MAX_LENGTH].strip("-") or "organization"
    taken = set(Organization.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    for number in range(2, 1000):
        candidate = f"{base[: SLUG_MAX_LENGTH - len(str(number)) - 1]}-{number}"
        if candidate not in taken:
            return candidate
    return f"{base[: SLUG_MAX_LENGTH - 9]}-{secrets.token_hex(4)}"


def organization_create(*, name: str, owner: AbstractBaseUser) -> Organization:
    """A new organization on the default plan, with `owner` as its owner."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, slug=_unique_slug(name), plan=plan_get_default()
                )
                Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
                return organization
        except IntegrityError:
            # Someone took the slug between our check and our insert: pick again.
            continue
    raise TeamError("Could not choose an address for the organization; try another name.")


def user_create(*, email: str, password: str, name: str = "") -> AbstractBaseUser:
    """A person who signs in with their email address (it is also their username)."""
    email = email.strip().lower()
    first, _, last = name.strip().partition(" ")
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=first, last_name=last
    )


@transaction.atomic
def user_sign_up(
    *, email: str, password: str, name: str, organization_name: str
) -> tuple[AbstractBaseUser, Organization]:
    user = user_create(email=email, password=password, name=name)
    return user, organization_create(name=organization_name, owner=user)


def api_keys_revoke_of(
    *,
    user_id: int,
    organization_id: int,
    scope: str | None = None,
    revoked_by: AbstractBaseUser | None = None,
    reason: str = "",
) -> list[ApiKey]:
    """Revoke the keys `user_id` created in the organization (only those of `scope` if
    given), through `api_key_revoke` so each stops working on the next request."""
    api_keys = ApiKey.objects.select_for_update().filter(
        organization_id=organization_id, created_by_id=user_id, revoked_at=None
    )
    if scope is not None:
        api_keys = api_keys.filter(scope=scope)
    return [
        api_key_revoke(api_key=api_key, revoked_by=revoked_by, reason=reason)
        for api_key in api_keys
    ]


def organization_owner_check(*, roles: Iterable[str], message: str) -> None:
    """The rule every change that touches an owner keeps: `roles` (the organization's
    roles after the change) include an owner. Raises TeamError with `message` otherwise.
    The services and Django admin's membership inline both hold changes to it."""
    if Role.OWNER not in {Role(role) for role in roles}:
        raise TeamError(message)


NEEDS_AN_OWNER = "An organization needs an owner: make someone else owner first."


LAST_OWNER_REMOVED = "The last owner cannot be removed: make someone else owner first."


def _owner_roles_without(membership: Membership) -> list[str]:
    # Locks the organization's owners so two demotions at once cannot leave none.
    owners = Membership.objects.select_for_update().filter(
        organization_id=membership.organization_id, role=Role.OWNER
    )
    return [owner.role for owner in owners if owner.pk != membership.pk]


def _check_may_change(actor: Membership, target: Membership) -> None:
    if actor.organization_id != target.organization_id:
        raise TeamPermissionError("That person is not in this organization.")
    if not actor.can_manage_team:
        raise TeamPermissionError("Only admins and owners manage members.")
    if not actor.can_grant(target.role):
        raise TeamPermissionError("Only an owner can change or remove an owner.")


@transaction.atomic
def membership_role_change(
    *, membership: Membership, role: str, changed_by: Membership
) -> Membership:
    role = Role(role)
    _check_may_change(changed_by, membership)
    if not changed_by.can_grant(role):
        raise TeamPermissionError("Only an owner can make someone an owner.")
    return membership_role_set(membership=membership, role=role, changed_by_user=changed_by.user)


@transaction.atomic
def membership_role_check(*, membership: Membership, role: str) -> None:
    """Raise TeamError if giving `membership` (as stored) `role` would leave its
    organization without an owner."""
    if membership.role == Role.OWNER:
        organization_owner_check(
            roles=[*_owner_roles_without(membership), Role(role)], message=NEEDS_AN_OWNER
        )


@transaction.atomic
def membership_role_set(
    *, membership: Membership, role: str, changed_by_user: AbstractBaseUser | None = None
) -> Membership:
    """Give `membership` `role` under the owner rule, without asking who may: the acting
    member's rights are `membership_role_change`'s; Django admin (staff) calls this.
    `changed_by_user` is who is recorded in the audit log."""
    role = Role(role)
    membership_role_check(membership=membership, role=role)
    previous = membership.role
    if role == Role.VIEWER and membership.role != Role.VIEWER:
        # A viewer only reads. Their write keys are revoked rather than made read-only: a
        # revoked key is visible as such on the keys page and fails with 401, where a
        # silently narrowed key would keep an integration half-working (403 on ingest)
        # with nobody told why. Read-only keys grant nothing a viewer cannot already see.
        api_keys_revoke_of(
            user_id=membership.user_id,
            organization_id=membership.organization_id,
            scope=ApiKeyScope.WRITE,
            revoked_by=changed_by_user,
            reason="its creator became a viewer",
        )
    membership.role = role
    membership.save(update_fields=["role"])
    if previous != role:
        audit_record(
            organization=membership.organization_id,
            action=AuditAction.MEMBER_ROLE_CHANGED,
            actor_user=changed_by_user,
            target=_member_label(membership),
            details={"from": previous, "to": role.value},
        )
    return membership


def _member_label(membership: Membership) -> str:
    user = membership.user
    return user.email or user.get_username()


@transaction.atomic
def membership_remove(*, membership: Membership, removed_by: Membership) -> None:
    _check_may_change(removed_by, membership)
    memberships_delete(membership_ids=[membership.pk], removed_by_user=removed_by.user)


@transaction.atomic
def memberships_delete(
    *, membership_ids: Iterable[int], removed_by_user: AbstractBaseUser | None = None
) -> int:
    """Remove these memberships, all or none, without asking who may (see
    `membership_role_set`): TeamError if an organization would lose its last owner.
    Whoever leaves keeps no access through the keys they made there (shared service keys
    should be created by a member who stays). Returns how many were removed."""
    ids = set(membership_ids)
    memberships = list(
        Membership.objects.select_for_update(of=("self", "organization"))
        .select_related("organization", "user")
        .filter(pk__in=ids)
    )
    losing_owners = {m.organization_id for m in memberships if m.role == Role.OWNER}
    for organization_id in sorted(losing_owners):
        # Locks the organization's owners so two removals at once cannot leave none.
        owners = Membership.objects.select_for_update().filter(
            organization_id=organization_id, role=Role.OWNER
        )
        remaining = [owner.role for owner in owners if owner.pk not in ids]
        try:
            organization_owner_check(roles=remaining, message=LAST_OWNER_REMOVED)
        except TeamError as error:
            if len({m.organization_id for m in memberships}) == 1:
                raise
            name = next(
                m.organization.name for m in memberships if m.organization_id == organization_id
            )
            raise TeamError(f"{name}: {error}") from None
    for membership in memberships:
        api_keys_revoke_of(
            user_id=membership.user_id,
            organization_id=membership.organization_id,
            revoked_by=removed_by_user,
            reason="its creator left the organization",
        )
        audit_record(
            organization=membership.organization_id,
            action=AuditAction.MEMBER_REMOVED,
            actor_user=removed_by_user,
            target=_member_label(membership),
            details={"role": membership.role},
        )
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    return len(memberships)
