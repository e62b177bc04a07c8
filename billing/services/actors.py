"""Who may change what decides where an organization's alerts go and when they fire
(budgets, webhooks): its admins and owners.

The services take the actor and judge it themselves, so no door (the API, a page, a task)
can skip the rule: a door only says who is acting.
"""

from typing import Protocol

from tokentracker.models import Role, role_at_least


class Actor(Protocol):
    """Who acts: a membership (the model, or the session's `ActiveMembership`)."""

    organization_id: int
    role: str


def actor_is_admin_of(actor: Actor, organization_id: int) -> bool:
    """An admin or owner of `organization_id` (a membership of another one is not)."""
    return actor.organization_id == organization_id and role_at_least(actor.role, Role.ADMIN)
