"""An expense request body, unpacked for `billing.services.expenses` the same way by every
door that writes one (CodingVibez's `POST /api/expenses`, `/api/v1/expenses`).

The service validates each field and names the bad one; the doors only render its error in
their own envelope. Fields the service does not know are ignored, as for manual costs.
"""

from typing import Any

from billing.models import Expense
from billing.services.expenses import ExpenseInvalid, expense_create, expense_update
from tokentracker.api.base import OrganizationScoped

FIELDS = ("amount", "currency", "vendor", "date", "category", "description", "tax")


def _body(view: OrganizationScoped) -> dict[str, Any]:
    body = view.request.data
    if not isinstance(body, dict):
        raise ExpenseInvalid("body", "must be a JSON object")
    return body


def expense_create_from(view: OrganizationScoped) -> Expense:
    """Create the confirmed expense the request's body describes, in the caller's
    organization; a field it leaves out is None (the service says which are required). A
    signed-in person is recorded as its author; an API key is no one."""
    body = _body(view)
    user = view.request.user if view.api_key is None else None
    return expense_create(
        organization_id=view.organization_id,
        **{name: body.get(name) for name in FIELDS},
        created_by_id=user.pk if user is not None and user.is_authenticated else None,
    )


def expense_update_from(view: OrganizationScoped, expense_id: int) -> Expense | None:
    """Change the fields the request's body holds (a partial update: the fields it leaves
    out are kept), and confirm a draft with `"confirm": true`; None when the caller's
    organization has no expense by that id."""
    body = _body(view)
    confirm = body.get("confirm", False)
    if not isinstance(confirm, bool):
        raise ExpenseInvalid("confirm", "must be true or false")
    return expense_update(
        organization_id=view.organization_id,
        expense_id=expense_id,
        **{name: body[name] for name in FIELDS if name in body},
        confirm=confirm,
    )
