"""The untracked-spend alert on the Budgets pages: set, shown, refused where it could never
fire; and a budget's card naming what synced providers billed. On the known month of
tests/billing/reconciliation_data.py (billed 9.50, of which 4.00 untracked)."""

from datetime import UTC, datetime

import pytest

from billing.models import Budget
from billing.services.alerts import budgets_evaluate
from tests.billing.pages.conftest import budget_of
from tests.billing.reconciliation_data import NOW, march_reconciled
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

FORM = {
    "name": "All",
    "scope": "organization",
    "service": "",
    "project": "",
    "api_key": "",
    "developer_id": "",
    "amount": "100",
    "thresholds": "50, 80, 100",
}


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def _errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_an_admin_sets_it_and_the_card_shows_the_bill(client, sign_in, org, month):
    sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/budgets/new", FORM | {"untracked_alert_percent": "40"})
    assert response.status_code == 302, _errors(response)
    budget = Budget.objects.get()
    assert budget.untracked_alert_percent == 40
    with_alert = budgets_evaluate(org.id, now=datetime(2026, 3, 20, 12, tzinfo=UTC))
    assert [(alert.kind, alert.threshold) for alert in with_alert] == [("untracked", 40)]
    content = client.get("/o/acme/budgets/").content.decode()
    assert "· untracked-spend alert over 40% of the bill" in content
    assert (
        '<dd data-fact="billed">$9.50, of which $4.00 untracked (counted in the spend above)</dd>'
        in content
    )
    # Events 9.00 + 4.00 untracked.
    assert '<dd data-fact="spent">$13.00 of $100.00 (13.00%)</dd>' in content
    assert "Untracked spend over 40% of the bill: $4.00 of $9.50" in content
    form = client.get(f"/o/acme/budgets/{budget.pk}/edit").content.decode()
    assert 'name="untracked_alert_percent" value="40"' in form
    # Left empty: off.
    assert client.post(f"/o/acme/budgets/{budget.pk}/edit", FORM).status_code == 302
    budget.refresh_from_db()
    assert budget.untracked_alert_percent is None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"untracked_alert_percent": "0"},
            {"untracked_alert_percent": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"untracked_alert_percent": "101"},
            {"untracked_alert_percent": ["Ensure this value is less than or equal to 100."]},
        ),
        (
            {"scope": "project", "project": "alpha", "untracked_alert_percent": "30"},
            {
                "untracked_alert_percent": [
                    "Must be null for a budget of scope project: provider bills are counted "
                    "for the organization and its services only."
                ]
            },
        ),
    ],
)
def test_bad_values_are_shown_on_the_form_and_create_nothing(
    client, sign_in, org, month, changes, errors
):
    sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/budgets/new", FORM | changes)
    assert response.status_code == 400
    assert _errors(response) == errors
    assert not Budget.objects.exists()


def test_a_project_budgets_card_names_no_bill(client, sign_in, org, month):
    budget_of(org, "Alpha", "10", scope="project", project="alpha")
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()
    assert 'data-fact="billed"' not in content
    assert "untracked-spend alert" not in content
