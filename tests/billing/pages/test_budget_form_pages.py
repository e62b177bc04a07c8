"""Creating, editing and deleting budgets from the Budgets page: admins and owners only,
every bad input shown on the form with nothing changed."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from billing.models import Budget, BudgetAlert, BudgetScope
from billing.services.alerts import budgets_evaluate
from tests.billing.pages.conftest import budget_of
from tests.billing.pages.test_budgets_page import NOW_DATETIME
from tokentracker import services
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Platform team",
    "scope": "organization",
    "service": "",
    "project": "",
    "api_key": "",
    "developer_id": "",
    "amount": "250.5",
    "thresholds": "50, 80, 100",
}


def _snapshot() -> list[tuple]:
    return list(
        Budget.objects.order_by("pk").values_list(
            "organization_id",
            "name",
            "scope",
            "service",
            "project",
            "api_key_id",
            "developer_id",
            "amount",
            "currency",
            "thresholds",
            "forecast_alert",
        )
    )


def _errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_an_admin_or_owner_creates_a_budget_with_the_form(client, sign_in, org, now, role):
    user = sign_in(org, role)
    assert client.get("/o/acme/budgets/new").status_code == 200
    response = client.post(
        "/o/acme/budgets/new",
        FORM
        | {
            "scope": "service",
            "service": "openai",
            # Another scope's field left filled in: ignored, not refused.
            "project": "left over",
            "thresholds": "90 50",
            "forecast_alert": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/budgets/"
    budget = Budget.objects.get()
    assert (
        budget.organization_id,
        budget.name,
        budget.scope,
        budget.service,
        budget.project,
        budget.amount,
        budget.currency,
        budget.thresholds,
        budget.forecast_alert,
        budget.created_by_id,
    ) == (
        org.id,
        "Platform team",
        "service",
        "openai",
        "",
        Decimal("250.5"),
        "USD",
        [50, 90],
        True,
        user.pk,
    )
    page = client.get("/o/acme/budgets/")
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["Budget “Platform team” created."]
    content = page.content.decode()
    assert "Service: OpenAI · $250.50 a month" in content
    assert '<progress class="budget-bar" max="100" value="0.00"' in content


def test_a_budget_of_one_api_key_takes_one_of_the_organizations_keys(
    client, sign_in, org, outsider_org, now
):
    key = services.api_key_create(organization=org, name="CI").api_key
    theirs = services.api_key_create(organization=outsider_org, name="theirs").api_key
    sign_in(org, Role.ADMIN)
    form = client.get("/o/acme/budgets/new").content.decode()
    assert f'<option value="{key.pk}">CI ({key.lookup}…)</option>' in form
    assert f'value="{theirs.pk}"' not in form
    refused = client.post(
        "/o/acme/budgets/new", FORM | {"scope": "api_key", "api_key": str(theirs.pk)}
    )
    assert refused.status_code == 400
    assert _errors(refused) == {
        "api_key": [f"Select a valid choice. {theirs.pk} is not one of the available choices."]
    }
    assert Budget.objects.count() == 0
    created = client.post("/o/acme/budgets/new", FORM | {"scope": "api_key", "api_key": key.pk})
    assert created.status_code == 302
    assert Budget.objects.get().api_key_id == key.pk


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"name": ""}, {"name": ["This field is required."]}),
        ({"name": "   "}, {"name": ["This field is required."]}),
        ({"amount": "lots"}, {"amount": ["Enter a number."]}),
        ({"amount": "0"}, {"amount": ["Must be a number above 0 and below 10^15."]}),
        ({"amount": "-5"}, {"amount": ["Must be a number above 0 and below 10^15."]}),
        (
            {"thresholds": "fifty, 80"},
            {"thresholds": ["Whole percentages separated by commas, like 50, 80, 100."]},
        ),
        (
            {"thresholds": "50, 50"},
            {
                "thresholds": [
                    "Must be a list of at most 10 different whole percentages from 1 to 1000; "
                    "[50, 50] repeats one."
                ]
            },
        ),
        (
            {"thresholds": "0"},
            {
                "thresholds": [
                    "Must be a list of at most 10 different whole percentages from 1 to 1000."
                ]
            },
        ),
        (
            {"scope": "galaxy"},
            {"scope": ["Select a valid choice. galaxy is not one of the available choices."]},
        ),
        (
            {"scope": "project", "project": ""},
            {"project": ["Is required for a budget of scope project."]},
        ),
        (
            {"scope": "service", "service": ""},
            {"service": ["Is required for a budget of scope service."]},
        ),
        (
            {"scope": "developer", "developer_id": "x" * 201},
            {"developer_id": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_creates_nothing(
    client, sign_in, org, now, changes, errors
):
    sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/budgets/new", FORM | changes)
    assert response.status_code == 400
    assert _errors(response) == errors
    content = response.content.decode()
    assert "Nothing was saved: correct the fields marked below." in content
    for message in next(iter(errors.values())):
        assert message.replace("'", "&#x27;") in content
    assert Budget.objects.count() == 0


def test_the_edit_form_shows_the_budget_and_saves_a_new_amount(client, sign_in, org, spend):
    budget = budget_of(org, "Team", "100", thresholds=[50, 100])
    sign_in(org, Role.ADMIN)
    form = client.get(f"/o/acme/budgets/{budget.pk}/edit").content.decode()
    assert 'name="amount" value="100"' in form
    assert 'name="thresholds" value="50, 100"' in form
    assert 'name="name" value="Team"' in form
    response = client.post(
        f"/o/acme/budgets/{budget.pk}/edit",
        FORM | {"name": "Team", "amount": "40", "thresholds": "50, 100"},
    )
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.name, budget.amount, budget.thresholds, budget.scope) == (
        "Team",
        Decimal("40"),
        [50, 100],
        "organization",
    )
    page = client.get("/o/acme/budgets/")
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["Budget “Team” saved."]
    # $50 spent this month against the new $40.
    content = page.content.decode()
    assert "$50.00 of $40.00 (125.00%)" in content
    assert "over by $10.00" in content


def test_editing_other_fields_keeps_an_amount_set_in_another_currency(client, sign_in, org, now):
    budget = budget_of(org, "Team", "90")
    budget.currency = "EUR"
    budget.save()
    sign_in(org, Role.OWNER)
    form = client.get(f"/o/acme/budgets/{budget.pk}/edit").content.decode()
    assert "Set in EUR; a new amount is in USD" in form
    response = client.post(
        f"/o/acme/budgets/{budget.pk}/edit", FORM | {"name": "Renamed", "amount": "90"}
    )
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.name, budget.amount, budget.currency) == ("Renamed", Decimal("90"), "EUR")
    client.post(f"/o/acme/budgets/{budget.pk}/edit", FORM | {"name": "Renamed", "amount": "95"})
    budget.refresh_from_db()
    assert (budget.amount, budget.currency) == (Decimal("95"), "USD")


def test_bad_input_on_the_edit_form_changes_nothing(client, sign_in, org, now):
    budget = budget_of(org, "Team", "100", scope=BudgetScope.PROJECT, project="alpha")
    before = _snapshot()
    sign_in(org, Role.ADMIN)
    for changes, field in (
        ({"amount": "0"}, "amount"),
        ({"scope": "project", "project": ""}, "project"),
        ({"thresholds": "1001"}, "thresholds"),
    ):
        response = client.post(f"/o/acme/budgets/{budget.pk}/edit", FORM | changes)
        assert response.status_code == 400
        assert list(_errors(response)) == [field]
        assert _snapshot() == before


def test_delete_needs_the_confirmation_and_takes_the_alerts_with_it(client, sign_in, org, spend):
    budget = budget_of(org, "Team", "10")
    kept = budget_of(org, "Kept", "1000")
    assert budgets_evaluate(org.id, now=NOW_DATETIME)
    sign_in(org, Role.OWNER)
    unconfirmed = client.post(f"/o/acme/budgets/{budget.pk}/delete")
    assert unconfirmed.status_code == 302
    assert [str(m) for m in get_messages(unconfirmed.wsgi_request)] == [
        "Confirm to delete “Team”: nothing was changed."
    ]
    assert Budget.objects.filter(pk=budget.pk).exists()
    response = client.post(f"/o/acme/budgets/{budget.pk}/delete", {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/budgets/"
    assert list(Budget.objects.values_list("pk", flat=True)) == [kept.pk]
    assert BudgetAlert.objects.filter(budget_id=budget.pk).count() == 0
    assert client.get(f"/o/acme/budgets/{budget.pk}/delete").status_code == 405


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_create_edit_or_delete(client, sign_in, org, now, role):
    budget = budget_of(org, "Team", "100")
    before = _snapshot()
    sign_in(org, role)
    answers = {
        "GET new": client.get("/o/acme/budgets/new").status_code,
        "POST new": client.post("/o/acme/budgets/new", FORM).status_code,
        "GET edit": client.get(f"/o/acme/budgets/{budget.pk}/edit").status_code,
        "POST edit": client.post(
            f"/o/acme/budgets/{budget.pk}/edit", FORM | {"amount": "1"}
        ).status_code,
        "POST delete": client.post(
            f"/o/acme/budgets/{budget.pk}/delete", {"confirm": "yes"}
        ).status_code,
    }
    assert answers == dict.fromkeys(answers, 403)
    assert _snapshot() == before


def test_an_outsider_gets_404_and_changes_nothing(client, sign_in, org, outsider_org, now):
    budget = budget_of(org, "Team", "100")
    before = _snapshot()
    sign_in(outsider_org, Role.OWNER)
    answers = {
        "POST new": client.post("/o/acme/budgets/new", FORM).status_code,
        "POST edit": client.post(f"/o/acme/budgets/{budget.pk}/edit", FORM).status_code,
        "POST delete": client.post(
            f"/o/acme/budgets/{budget.pk}/delete", {"confirm": "yes"}
        ).status_code,
        # Their own organization's pages with this organization's budget id.
        "GET own edit": client.get(f"/o/outsider/budgets/{budget.pk}/edit").status_code,
        "POST own edit": client.post(f"/o/outsider/budgets/{budget.pk}/edit", FORM).status_code,
        "POST own delete": client.post(
            f"/o/outsider/budgets/{budget.pk}/delete", {"confirm": "yes"}
        ).status_code,
    }
    assert answers == dict.fromkeys(answers, 404)
    assert _snapshot() == before


def test_an_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(client, org, now):
    budget = budget_of(org, "Team", "100")
    before = _snapshot()
    for path in ("/o/acme/budgets/new", f"/o/acme/budgets/{budget.pk}/edit"):
        response = client.post(path, FORM)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login?next={path}"
    response = client.post(f"/o/acme/budgets/{budget.pk}/delete", {"confirm": "yes"})
    assert response.status_code == 302
    assert re.match(r"/accounts/login\?next=", response["Location"])
    assert _snapshot() == before
