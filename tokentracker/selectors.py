"""Reads of tenancy: which organization a signed-in person is working in."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, Q, QuerySet

from .keys import key_digest
from .models import (
    ROLE_RANK,
    ApiKey,
    ApiKeyMode,
    ApiKeyScope,
    AuditEntry,
    Invitation,
    Membership,
    Organization,
    Role,
)

# The dashboard stores the organization a person switched to under this session key.
ACTIVE_ORGANIZATION_SESSION_KEY = "organization_id"


@dataclass(frozen=True)
class ActiveMembership:
    organization_id: int
    organization_slug: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER


def membership_active(user: AbstractBaseUser, preferred: int | None) -> ActiveMembership | None:
    """The membership `user` works in: in `preferred` if they belong to it, else their first."""
    memberships = Membership.objects.filter(user=user).order_by("created_at", "id")
    if preferred is not None:
        chosen = memberships.filter(organization_id=preferred)
        if chosen.exists():
            memberships = chosen
    row = memberships.values("organization_id", "role", organization_slug=F("organization__slug"))
    row = row.first()
    return ActiveMembership(**row) if row else None


def memberships_of_user(user: AbstractBaseUser) -> QuerySet[Membership]:
    """Every organization `user` belongs to, by name, with the organization loaded."""
    return (
        Membership.objects.filter(user_id=user.pk)
        .select_related("organization__plan")
        .order_by("organization__name", "organization_id")
    )


def invitation_digest(token: str) -> str:
    # The same SHA-256 as API keys: the token is 256 random bits, a plain digest suffices.
    return key_digest(token)


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_digest=invitation_digest(token))
        .first()
    )


def invitation_problem(invitation: Invitation | None, now: datetime) -> str | None:
    """Why the link of `invitation` cannot be used, or None if it can."""
    if invitation is None or not invitation.is_open:
        return "This invitation link is not valid any more: it was used or withdrawn."
    if invitation.is_expired(now):
        return "This invitation has expired; ask for a new one."
    return None


def members_of_organization(organization_id: int) -> list[Membership]:
    """Everyone in the organization, owners first, then by name."""
    members = Membership.objects.filter(organization_id=organization_id).select_related("user")
    return sorted(
        members,
        key=lambda m: (-ROLE_RANK[Role(m.role)], m.user.get_full_name().lower(), m.user.email),
    )


def member_of_organization(organization_id: int, membership_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user", "organization")
        .filter(organization_id=organization_id, pk=membership_id)
        .first()
    )


def invitations_open(organization_id: int) -> QuerySet[Invitation]:
    """Invitations neither accepted nor revoked (expired ones included), newest first."""
    return (
        Invitation.objects.filter(
            organization_id=organization_id, accepted_at=None, revoked_at=None
        )
        .select_related("invited_by")
        .order_by("-sent_at", "-id")
    )


def invitation_of_organization(organization_id: int, invitation_id: int) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(organization_id=organization_id, pk=invitation_id)
        .first()
    )


def api_keys_of_organization(organization_id: int) -> QuerySet[ApiKey]:
    """Active keys first, newest first; digests are never read."""
    return (
        ApiKey.objects.filter(organization_id=organization_id)
        .select_related("created_by")
        .defer("digest")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")
    )


def api_keys_that_write(organization_id: int, *, limit: int = 3) -> list[ApiKey]:
    """Active keys that may send events, newest first: what an empty overview points to."""
    return list(
        ApiKey.objects.filter(
            organization_id=organization_id, revoked_at__isnull=True, scope=ApiKeyScope.WRITE
        )
        .only("name", "lookup")
        .order_by("-created_at", "-id")[:limit]
    )


def api_key_of_organization(organization_id: int, api_key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(organization_id=organization_id, pk=api_key_id).first()


def membership_of(user: AbstractBaseUser, organization_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("organization", "user")
        .filter(user_id=user.pk, organization_id=organization_id)
        .first()
    )


def organizations_of_key(organization_id: int) -> QuerySet[Organization]:
    return Organization.objects.filter(pk=organization_id).select_related("plan")


def organization_of(organization_id: int) -> Organization:
    """The organization with its plan, for a read that shows the plan (the subscription
    status) or hands the organization to a selector that takes it."""
    return Organization.objects.select_related("plan").get(pk=organization_id)


def _address_match(address: str, prefix: str = "") -> Q:
    # Sign-up makes the address both username and email; Django admin's "Add user" makes
    # a username only. Either identifies the person who owns the address.
    return Q(**{f"{prefix}email__iexact": address}) | Q(**{f"{prefix}username__iexact": address})


def user_by_address(address: str) -> AbstractBaseUser | None:
    """The account that signs in with or receives mail at `address`; the one whose email
    it is wins over one that only has it as username."""
    address = address.strip().lower()
    users = get_user_model().objects.filter(_address_match(address)).order_by("id")
    return min(users, key=lambda user: (user.email or "").lower() != address, default=None)


def user_has_address(user: AbstractBaseUser, address: str) -> bool:
    """Whether `address` is `user`'s: their email, or their username when they have none."""
    address = address.strip().lower()
    email = (getattr(user, "email", "") or "").strip().lower()
    if email:
        return email == address
    return user.get_username().strip().lower() == address


def member_by_address(organization_id: int, address: str) -> Membership | None:
    return (
        Membership.objects.filter(organization_id=organization_id)
        .filter(_address_match(address.strip().lower(), prefix="user__"))
        .first()
    )


def membership_active_in(user: AbstractBaseUser, organization_uuid: str) -> ActiveMembership | None:
    """`user`'s membership of the organization with `organization_uuid` (the `id` the
    CodingVibez API shows), or None if they are not in it or it is no uuid at all."""
    try:
        organization_uuid = str(uuid.UUID(organization_uuid))
    except (TypeError, ValueError, AttributeError):
        return None
    row = (
        Membership.objects.filter(user_id=user.pk, organization__uuid=organization_uuid)
        .values("organization_id", "role", organization_slug=F("organization__slug"))
        .first()
    )
    return ActiveMembership(**row) if row else None


def membership_count_of_user(user: AbstractBaseUser) -> int:
    return Membership.objects.filter(user_id=user.pk).count()


def membership_of_key_creator(api_key_id: int) -> Membership | None:
    """The current membership of the person who created the key, in the key's
    organization; None if it was made by no person (CLI) or they have left."""
    key = (
        ApiKey.objects.filter(pk=api_key_id, revoked_at=None)
        .values("created_by_id", "organization_id")
        .first()
    )
    if key is None or key["created_by_id"] is None:
        return None
    return (
        Membership.objects.select_related("organization", "user")
        .filter(user_id=key["created_by_id"], organization_id=key["organization_id"])
        .first()
    )


def organization_slug(organization_id: int) -> str:
    return Organization.objects.values_list("slug", flat=True).get(pk=organization_id)


def audit_entries(organization_id: int, *, action: str | None = None) -> QuerySet[AuditEntry]:
    """The organization's audit log, newest first, of one action if given."""
    entries = AuditEntry.objects.filter(organization_id=organization_id)
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-created_at", "-id")


def api_key_livemode(api_key_id: int | None) -> bool:
    """False for events sent with a test key; True for a live key and for no key (importers,
    tasks), whose events are the organization's own."""
    if api_key_id is None:
        return True
    mode = ApiKey.objects.filter(pk=api_key_id).values_list("mode", flat=True).first()
    return mode != ApiKeyMode.TEST


def user_time_zone(user: AbstractBaseUser) -> str:
    """The IANA name of the zone the person's pages count days in (UTC by default). Reads
    `user.profile` as loaded: `membership_for_page` joins it, so pages pay no query."""
    from .models import DEFAULT_TIME_ZONE, UserProfile

    try:
        return user.profile.time_zone  # type: ignore[attr-defined]
    except UserProfile.DoesNotExist:
        return DEFAULT_TIME_ZONE
