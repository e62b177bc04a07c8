"""Budgets: validated, created, edited and deleted by the organization's admins and owners.

A budget's amount is in the organization's reporting currency of the day it is set
(`Budget.currency` records which); setting the amount again records the current one.
Alerts already fired this month stay fired when thresholds or the amount change: a
threshold fires once per budget and month (`billing.services.alerts`).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from billing.models import Budget, BudgetScope, Service
from tokentracker.errors import DomainError, Kind
from tokentracker.models import ApiKey
from tokentracker.money import reporting_currency_of

from . import UNCHANGED
from .actors import Actor, actor_is_admin_of

MAX_AMOUNT = Decimal("1e15")
MAX_THRESHOLDS = 10
THRESHOLD_MIN, THRESHOLD_MAX = 1, 1000
UNTRACKED_PERCENT_MIN, UNTRACKED_PERCENT_MAX = 1, 100
# The field each scope names; the others stay empty (a check constraint holds it too).
SCOPE_FIELDS = {
    BudgetScope.ORGANIZATION: None,
    BudgetScope.SERVICE: "service",
    BudgetScope.PROJECT: "project",
    BudgetScope.API_KEY: "api_key_id",
    BudgetScope.DEVELOPER: "developer_id",
}
_EMPTY: dict[str, Any] = {"service": "", "project": "", "api_key_id": None, "developer_id": ""}


class BudgetInvalid(DomainError):
    """Bad input for a budget; `details` names the field, as the native API reports it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={field: [message]})
        self.field = field


class BudgetPermissionDenied(DomainError):
    kind = Kind.FORBIDDEN


def _check_may_edit(actor: Actor, organization_id: int) -> None:
    if not actor_is_admin_of(actor, organization_id):
        raise BudgetPermissionDenied("Only admins and owners create, edit and delete budgets.")


def _name(value: object) -> str:
    if not isinstance(value, str) or "\x00" in value or not value.strip():
        raise BudgetInvalid("name", "must be text of 1 to 100 characters")
    name = value.strip()
    if len(name) > 100:
        raise BudgetInvalid("name", "must be text of 1 to 100 characters")
    return name


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise BudgetInvalid("amount", "must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BudgetInvalid("amount", "must be a number") from None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        raise BudgetInvalid("amount", "must be a number above 0 and below 10^15")
    amount = amount.quantize(Decimal("0.000000000001"))
    if amount <= 0:
        raise BudgetInvalid("amount", "must be a number above 0 and below 10^15")
    return amount


def _thresholds(value: object) -> list[int]:
    message = (
        f"must be a list of at most {MAX_THRESHOLDS} different whole percentages from "
        f"{THRESHOLD_MIN} to {THRESHOLD_MAX}"
    )
    if not isinstance(value, (list, tuple)) or len(value) > MAX_THRESHOLDS:
        raise BudgetInvalid("thresholds", message)
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise BudgetInvalid("thresholds", message)
        if not THRESHOLD_MIN <= item <= THRESHOLD_MAX:
            raise BudgetInvalid("thresholds", message)
    if len(set(value)) != len(value):
        raise BudgetInvalid("thresholds", f"{message}; {sorted(value)} repeats one")
    return sorted(value)


def _untracked_alert_percent(value: object) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not UNTRACKED_PERCENT_MIN <= value <= UNTRACKED_PERCENT_MAX
    ):
        raise BudgetInvalid(
            "untracked_alert_percent",
            f"must be a whole percentage from {UNTRACKED_PERCENT_MIN} to "
            f"{UNTRACKED_PERCENT_MAX}, or null for no untracked-spend alert",
        )
    return value


def _text(field: str, value: object) -> str:
    if not isinstance(value, str) or "\x00" in value or not value.strip() or len(value) > 200:
        raise BudgetInvalid(field, "must be text of 1 to 200 characters")
    return value.strip()


def _scope_value(field: str, value: object, organization_id: int) -> Any:
    if field == "service":
        slug = value.strip().lower() if isinstance(value, str) else ""
        if slug not in Service.values:
            raise BudgetInvalid("service", f"must be one of {', '.join(Service.values)}")
        return slug
    if field == "api_key_id":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BudgetInvalid("api_key_id", "must be the id of one of your API keys")
        # Same answer whether the key is missing or another organization's.
        if not ApiKey.objects.filter(organization_id=organization_id, pk=value).exists():
            raise BudgetInvalid("api_key_id", "no API key with this id in your organization")
        return value
    return _text(field, value)


def _cleaned(organization_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Every field of a budget, validated together (a scope and its field agree)."""
    scope = fields["scope"]
    if scope not in BudgetScope.values:
        raise BudgetInvalid("scope", f"must be one of {', '.join(BudgetScope.values)}")
    own = SCOPE_FIELDS[BudgetScope(scope)]
    cleaned: dict[str, Any] = {
        "name": _name(fields["name"]),
        "scope": scope,
        "amount": _amount(fields["amount"]),
        "thresholds": _thresholds(fields["thresholds"]),
    }
    forecast_alert = fields["forecast_alert"]
    if not isinstance(forecast_alert, bool):
        raise BudgetInvalid("forecast_alert", "must be true or false")
    cleaned["forecast_alert"] = forecast_alert
    cleaned["untracked_alert_percent"] = _untracked_alert_percent(fields["untracked_alert_percent"])
    if cleaned["untracked_alert_percent"] is not None and own not in (None, "service"):
        # Provider bills belong to a service: this alert could never fire.
        raise BudgetInvalid(
            "untracked_alert_percent",
            f"must be null for a budget of scope {scope}: provider bills are counted for "
            "the organization and its services only",
        )
    for field, empty in _EMPTY.items():
        value = fields.get(field)
        if field == own:
            if value in (None, ""):
                raise BudgetInvalid(field, f"is required for a budget of scope {scope}")
            cleaned[field] = _scope_value(field, value, organization_id)
        elif value not in (None, ""):
            raise BudgetInvalid(field, f"must be empty for a budget of scope {scope}")
        else:
            cleaned[field] = empty
    return cleaned


def _evaluate_after_commit(organization_id: int) -> None:
    # A budget already past a threshold alerts now, not at beat's next round.
    from billing.tasks import budgets_evaluate_soon

    transaction.on_commit(lambda: budgets_evaluate_soon(organization_id))


def budget_create(
    *,
    organization_id: int,
    actor: Actor,
    name: object,
    scope: object,
    amount: object,
    thresholds: object = None,
    forecast_alert: object = False,
    untracked_alert_percent: object = None,
    service: object = None,
    project: object = None,
    api_key_id: object = None,
    developer_id: object = None,
    created_by_id: int | None = None,
) -> Budget:
    """Validate and store a budget of `organization_id`, its amount in the reporting
    currency; `thresholds` default to 50, 80 and 100 percent. `untracked_alert_percent`
    (1..100, None: off) alerts once a month when untracked spend is over that share of
    what synced providers billed (`billing.services.alerts`).

    Raises `BudgetPermissionDenied` unless `actor` is one of its admins or owners, and
    `BudgetInvalid` (naming the field) on bad input; stores nothing then.
    """
    _check_may_edit(actor, organization_id)
    cleaned = _cleaned(
        organization_id,
        {
            "name": name,
            "scope": scope,
            "amount": amount,
            "thresholds": [50, 80, 100] if thresholds is None else thresholds,
            "forecast_alert": forecast_alert,
            "untracked_alert_percent": untracked_alert_percent,
            "service": service,
            "project": project,
            "api_key_id": api_key_id,
            "developer_id": developer_id,
        },
    )
    budget = Budget.objects.create(
        organization_id=organization_id,
        currency=reporting_currency_of(organization_id),
        created_by_id=created_by_id,
        **cleaned,
    )
    _evaluate_after_commit(organization_id)
    return budget


def budget_update(
    *,
    budget: Budget,
    actor: Actor,
    name: object = UNCHANGED,
    scope: object = UNCHANGED,
    amount: object = UNCHANGED,
    thresholds: object = UNCHANGED,
    forecast_alert: object = UNCHANGED,
    untracked_alert_percent: object = UNCHANGED,
    service: object = UNCHANGED,
    project: object = UNCHANGED,
    api_key_id: object = UNCHANGED,
    developer_id: object = UNCHANGED,
) -> Budget:
    """Change the fields given (the others keep their values); the result is validated
    whole, so changing the scope needs its field, and clearing the old one.

    A new amount is in the current reporting currency. Raises as `budget_create` does and
    changes nothing then.
    """
    _check_may_edit(actor, budget.organization_id)
    given = {
        "name": name,
        "scope": scope,
        "amount": amount,
        "thresholds": thresholds,
        "forecast_alert": forecast_alert,
        "untracked_alert_percent": untracked_alert_percent,
        "service": service,
        "project": project,
        "api_key_id": api_key_id,
        "developer_id": developer_id,
    }
    current = {field: getattr(budget, field) for field in given}
    changes = {field: value for field, value in given.items() if value is not UNCHANGED}
    if "scope" in changes and changes["scope"] != budget.scope:
        # A new scope clears the old scope's field unless the caller set it (to complain).
        current.update(_EMPTY)
    cleaned = _cleaned(budget.organization_id, current | changes)
    if "amount" in changes:
        budget.currency = reporting_currency_of(budget.organization_id)
    for field, value in cleaned.items():
        setattr(budget, field, value)
    budget.save()
    _evaluate_after_commit(budget.organization_id)
    return budget


def budget_delete(*, budget: Budget, actor: Actor) -> None:
    """Delete the budget and its alerts."""
    _check_may_edit(actor, budget.organization_id)
    budget.delete()
