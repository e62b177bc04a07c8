"""Reads of tenancy: which organization a signed-in person is working in."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from .models import Membership, Role

# The dashboard stores the organization a person switched to under this session key.
ACTIVE_ORGANIZATION_SESSION_KEY = "organization_id"


@dataclass(frozen=True)
class ActiveMembership:
    organization_id: int
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
    row = memberships.values("organization_id", "role").first()
    return ActiveMembership(**row) if row else None
