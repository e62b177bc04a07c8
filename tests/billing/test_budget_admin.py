"""Budgets and their alerts in Django admin: viewed there, written through the services."""

from decimal import Decimal

import pytest

from billing.models import Budget, BudgetAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def alert(org):
    budget = Budget.objects.create(
        organization=org,
        name="Team budget",
        scope="project",
        project="alpha",
        amount=10,
        currency="USD",
    )
    return BudgetAlert.objects.create(
        organization=org,
        budget=budget,
        period="2026-03-01",
        kind="threshold",
        threshold=80,
        spent=Decimal("8.5"),
        budget_amount=10,
        currency="USD",
    )


def test_budgets_are_listed_and_viewed_but_not_added_or_edited(staff_client, alert):
    budget = alert.budget
    listing = staff_client.get("/admin/billing/budget/")
    assert listing.status_code == 200
    assert b"Team budget" in listing.content
    assert b'<td class="field-amount">$10.00</td>' in listing.content
    assert b"10.000000000000" not in listing.content
    page = staff_client.get(f"/admin/billing/budget/{budget.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # read-only: no form field
    assert staff_client.get("/admin/billing/budget/add/").status_code == 403
    staff_client.post(f"/admin/billing/budget/{budget.pk}/change/", {"name": "Renamed"})
    budget.refresh_from_db()
    assert budget.name == "Team budget"


def test_alerts_are_read_only(staff_client, alert):
    listing = staff_client.get("/admin/billing/budgetalert/")
    assert listing.status_code == 200
    assert b"Team budget" in listing.content
    assert b'<td class="field-spent">$8.50</td>' in listing.content
    assert b'<td class="field-budget_amount">$10.00</td>' in listing.content
    assert b"8.500000000000" not in listing.content
    assert staff_client.get(f"/admin/billing/budgetalert/{alert.pk}/change/").status_code == 200
    assert staff_client.get("/admin/billing/budgetalert/add/").status_code == 403
    deleted = staff_client.post(f"/admin/billing/budgetalert/{alert.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert BudgetAlert.objects.filter(pk=alert.pk).exists()


def test_budgets_are_not_deleted_in_admin(staff_client, alert):
    budget = alert.budget
    response = staff_client.post(f"/admin/billing/budget/{budget.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Budget.objects.filter(pk=budget.pk).exists()
