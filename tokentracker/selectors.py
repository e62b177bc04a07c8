"""Reads of tenancy: which organization a signed-in person is working in."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, QuerySet

from .keys import key_digest
from .models import Invitation, Membership, Role

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
        .select_related("organization")
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
