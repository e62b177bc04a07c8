"""Budget writes: validation, the scope and its field, and who may write."""

from decimal import Decimal

import pytest
from django.db import IntegrityError

from billing.models import Budget, BudgetAlert
from billing.services.budgets import (
    BudgetInvalid,
    BudgetPermissionDenied,
    budget_create,
    budget_delete,
    budget_update,
)
from tests.factories import MembershipFactory
from tokentracker import services
from tokentracker.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


def create(org, actor, **fields):
    return budget_create(
        organization_id=org.id,
        actor=actor,
        **{"name": "Team", "scope": "organization", "amount": "100"} | fields,
    )


def test_admin_creates_a_budget_with_default_thresholds_in_the_reporting_currency(org, admin):
    budget = create(org, admin, name="  Whole team ", amount="250.5")
    budget.refresh_from_db()
    assert (budget.name, budget.scope, budget.amount, budget.currency) == (
        "Whole team",
        "organization",
        Decimal("250.5"),
        "USD",
    )
    assert budget.thresholds == [50, 80, 100]
    assert budget.forecast_alert is False


def test_owner_creates_every_scope(org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    key = services.api_key_create(organization=org, name="ci").api_key
    made = [
        create(org, owner, scope="service", service="OpenAI"),
        create(org, owner, scope="project", project=" alpha "),
        create(org, owner, scope="api_key", api_key_id=key.id),
        create(org, owner, scope="developer", developer_id="dev-1"),
    ]
    assert [(b.service, b.project, b.api_key_id, b.developer_id) for b in made] == [
        ("openai", "", None, ""),
        ("", "alpha", None, ""),
        ("", "", key.id, ""),
        ("", "", None, "dev-1"),
    ]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_create_edit_or_delete(org, admin, role):
    budget = create(org, admin)
    member = MembershipFactory(organization=org, role=role)
    with pytest.raises(BudgetPermissionDenied):
        create(org, member)
    with pytest.raises(BudgetPermissionDenied):
        budget_update(budget=budget, actor=member, amount="1")
    with pytest.raises(BudgetPermissionDenied):
        budget_delete(budget=budget, actor=member)
    budget.refresh_from_db()
    assert budget.amount == Decimal("100")
    assert Budget.objects.count() == 1


def test_an_admin_of_another_organization_cannot_write(org, outsider_org, admin):
    budget = create(org, admin)
    theirs = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(BudgetPermissionDenied):
        create(org, theirs)
    with pytest.raises(BudgetPermissionDenied):
        budget_update(budget=budget, actor=theirs, name="Mine now")
    with pytest.raises(BudgetPermissionDenied):
        budget_delete(budget=budget, actor=theirs)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"scope": "team"}, "scope"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e15"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "0.0000000000001"}, "amount"),
        ({"thresholds": [0]}, "thresholds"),
        ({"thresholds": [1001]}, "thresholds"),
        ({"thresholds": [50, 50]}, "thresholds"),
        ({"thresholds": [50.5]}, "thresholds"),
        ({"thresholds": [True]}, "thresholds"),
        ({"thresholds": "50,80"}, "thresholds"),
        ({"thresholds": list(range(1, 12))}, "thresholds"),
        ({"forecast_alert": "yes"}, "forecast_alert"),
        ({"scope": "service"}, "service"),
        ({"scope": "service", "service": "netflix"}, "service"),
        ({"scope": "project", "project": "  "}, "project"),
        ({"scope": "developer", "developer_id": "d" * 201}, "developer_id"),
        ({"scope": "api_key"}, "api_key_id"),
        ({"scope": "api_key", "api_key_id": "1"}, "api_key_id"),
        ({"service": "openai"}, "service"),
        ({"scope": "project", "project": "alpha", "developer_id": "dev-1"}, "developer_id"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(org, admin, fields, field):
    with pytest.raises(BudgetInvalid) as raised:
        create(org, admin, **fields)
    assert raised.value.field == field
    assert list(raised.value.details) == [field]
    assert not Budget.objects.exists()


def test_thresholds_are_stored_sorted(org, admin):
    assert create(org, admin, thresholds=[100, 25, 75]).thresholds == [25, 75, 100]
    assert create(org, admin, thresholds=[]).thresholds == []


def test_an_api_key_of_another_organization_is_refused_like_a_missing_one(org, outsider_org, admin):
    theirs = services.api_key_create(organization=outsider_org, name="theirs").api_key
    with pytest.raises(BudgetInvalid) as raised:
        create(org, admin, scope="api_key", api_key_id=theirs.id)
    assert raised.value.details == {"api_key_id": ["no API key with this id in your organization"]}
    with pytest.raises(BudgetInvalid) as missing:
        create(org, admin, scope="api_key", api_key_id=theirs.id + 1000)
    assert missing.value.details == raised.value.details


def test_update_changes_only_the_fields_given(org, admin):
    budget = create(org, admin, scope="project", project="alpha", thresholds=[90])
    budget_update(budget=budget, actor=admin, amount="75.25", forecast_alert=True)
    budget.refresh_from_db()
    assert (budget.amount, budget.forecast_alert, budget.project, budget.thresholds) == (
        Decimal("75.25"),
        True,
        "alpha",
        [90],
    )


def test_changing_the_scope_clears_the_old_field_and_needs_the_new_one(org, admin):
    budget = create(org, admin, scope="project", project="alpha")
    with pytest.raises(BudgetInvalid) as raised:
        budget_update(budget=budget, actor=admin, scope="developer")
    assert raised.value.field == "developer_id"
    budget.refresh_from_db()
    assert (budget.scope, budget.project) == ("project", "alpha")
    budget_update(budget=budget, actor=admin, scope="developer", developer_id="dev-2")
    budget.refresh_from_db()
    assert (budget.scope, budget.project, budget.developer_id) == ("developer", "", "dev-2")
    with pytest.raises(BudgetInvalid) as kept:
        budget_update(budget=budget, actor=admin, scope="organization", developer_id="dev-2")
    assert kept.value.field == "developer_id"


def test_a_new_amount_is_in_the_current_reporting_currency(org, admin):
    budget = create(org, admin)
    Budget.objects.filter(pk=budget.pk).update(currency="EUR")
    budget.refresh_from_db()
    budget_update(budget=budget, actor=admin, name="Renamed")
    budget.refresh_from_db()
    assert budget.currency == "EUR"
    budget_update(budget=budget, actor=admin, amount="90")
    budget.refresh_from_db()
    assert budget.currency == "USD"


def test_delete_removes_the_budget_and_its_alerts(org, admin):
    budget = create(org, admin)
    BudgetAlert.objects.create(
        organization=org,
        budget=budget,
        period="2026-03-01",
        kind="threshold",
        threshold=50,
        spent=60,
        budget_amount=100,
        currency="USD",
    )
    budget_delete(budget=budget, actor=admin)
    assert not Budget.objects.exists()
    assert not BudgetAlert.objects.exists()


def test_the_database_refuses_a_scope_without_its_field(org):
    with pytest.raises(IntegrityError):
        Budget.objects.create(organization=org, name="x", scope="service", amount=1, currency="USD")
