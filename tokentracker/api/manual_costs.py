"""A manual-cost request body, unpacked for `billing.services.manual_costs` the same way by
every door that writes one (CodingVibez's `POST /api/costs/manual`, `/api/v1/manual-costs`).

The service validates each field and names the bad one; the doors only render its error in
their own envelope.
"""

from typing import Any

from billing.models import ManualCost
from billing.services.manual_costs import (
    ManualCostInvalid,
    manual_cost_create,
    manual_cost_update,
)
from tokentracker.api.base import OrganizationScoped

FIELDS = ("service", "amount", "month", "year", "currency", "category", "description")


def manual_cost_create_from(view: OrganizationScoped) -> ManualCost:
    """Create the manual cost the request's body describes, in the caller's organization;
    a field it leaves out is None (the service says which are required). A signed-in
    person is recorded as its author; an API key is no one."""
    body: dict[str, Any] = view.request.data if isinstance(view.request.data, dict) else {}
    user = view.request.user if view.api_key is None else None
    return manual_cost_create(
        organization_id=view.organization_id,
        # The service reads exact decimals from text; a JSON number arrives as float.
        **{name: body.get(name) for name in FIELDS},
        created_by_id=user.pk if user is not None and user.is_authenticated else None,
    )


def manual_cost_update_from(view: OrganizationScoped, manual_cost_id: int) -> ManualCost | None:
    """Change the fields the request's body holds (a partial update: the fields it leaves
    out are kept); None when the caller's organization has no manual cost by that id."""
    body = view.request.data
    if not isinstance(body, dict):
        raise ManualCostInvalid("body", "must be a JSON object")
    return manual_cost_update(
        organization_id=view.organization_id,
        manual_cost_id=manual_cost_id,
        **{name: body[name] for name in FIELDS if name in body},
    )
