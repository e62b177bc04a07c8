"""Confirmed expenses are spend: they count on their day, under their vendor's service (or
`other`), in costs, budgets and projections; drafts count nowhere; an expense in another
currency counts converted at the rate of its day, or apart as unconverted without one."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from billing.models import Budget, Expense, ExpenseSource, ExpenseStatus, Service
from billing.projections import project_month
from billing.selectors.budgets import (
    budget_month_spend,
    budget_status,
    budgets_status,
    organization_projection,
)
from billing.selectors.costs import Month, costs_by_month, organization_costs
from billing.services.expenses import expense_create, expense_update
from tests.api.codingvibez.helpers import data, error
from tokentracker.models import ExchangeRate, Role

pytestmark = pytest.mark.django_db

NOW = "2026-03-20T12:00:00Z"
NOW_AT = datetime.fromisoformat("2026-03-20T12:00:00+00:00")
MARCH = {"month": "3", "year": "2026"}


def spent(organization, vendor, amount, day, **fields):
    return expense_create(
        organization_id=organization.id, vendor=vendor, amount=amount, date=day, **fields
    )


@pytest.fixture
def expenses(org, outsider_org, freeze):
    """March 2026: "OpenAI, Inc." 100 USD on the 5th; Notion 40 EUR on the 10th at 1.25 USD
    a euro (50 USD, under other); Anthropic 30 SEK on the 11th with no SEK rate; a draft of
    1,000 from OpenAI on the 6th. February: OpenAI 7 USD on the 27th. The outsider: OpenAI
    500 on 5 March."""
    freeze(NOW)
    ExchangeRate.objects.create(day="2026-03-10", currency="USD", rate=Decimal("1.25"))
    spent(org, "OpenAI, Inc.", 100, "2026-03-05")
    spent(org, "Notion Labs", 40, "2026-03-10", currency="EUR")
    spent(org, "Anthropic", 30, "2026-03-11", currency="SEK")
    spent(org, "OpenAI", 7, "2026-02-27")
    Expense.objects.create(
        organization=org,
        status=ExpenseStatus.DRAFT,
        source=ExpenseSource.RECEIPT,
        vendor="OpenAI",
        service="openai",
        amount=1000,
        currency="USD",
        date="2026-03-06",
    )
    spent(outsider_org, "OpenAI", 500, "2026-03-05")


def budgets(org):
    made = {
        "Company": Budget(organization=org, name="Company", scope="organization", amount=200),
        "OpenAI": Budget(
            organization=org, name="OpenAI", scope="service", service="openai", amount=120
        ),
        "Anthropic": Budget(
            organization=org, name="Anthropic", scope="service", service="anthropic", amount=10
        ),
    }
    for budget in made.values():
        budget.currency = "USD"
        budget.save()
    return made


# --- Costs ------------------------------------------------------------------------------


def test_an_expense_counts_in_its_vendors_service(api, raw_key, expenses):
    openai = data(api.get("/api/costs/openai", raw_key, **MARCH))
    # The draft's 1,000 is not spend.
    assert (openai["currentMonth"], openai["previousMonth"], openai["breakdown"]) == (
        100.0,
        7.0,
        {"(no model)": 100.0},
    )
    anthropic = data(api.get("/api/costs/anthropic", raw_key, **MARCH))
    assert (anthropic["currentMonth"], anthropic["unconverted"]) == (None, {"SEK": 30.0})


def test_a_vendor_outside_the_thirteen_counts_under_other(api, raw_key, expenses):
    other = data(api.get("/api/costs/other", raw_key, **MARCH))
    assert {k: other[k] for k in ("service", "currentMonth", "previousMonth", "breakdown")} == {
        "service": "other",
        "currentMonth": 50.0,
        "previousMonth": 0.0,
        "breakdown": {"(no model)": 50.0},
    }
    assert data(api.get("/api/costs/Other", raw_key, **MARCH))["currentMonth"] == 50.0


def test_every_service_adds_the_expenses(api, raw_key, expenses):
    costs = data(api.get("/api/costs/all", raw_key, **MARCH))
    assert {k: costs[k] for k in ("total", "byProvider", "unconverted", "comparison")} == {
        "total": 150.0,
        "byProvider": {"openai": 100.0, "other": 50.0, "anthropic": None},
        "unconverted": {"SEK": 30.0},
        # (150 - 7) / 7 = +2042.86%
        "comparison": {"previousMonth": 7.0, "changePercent": 2042.86},
    }
    assert list(costs["byProvider"]) == ["openai", "other", "anthropic"]


def test_the_outsider_counts_only_its_own_expenses(api, outsider_key, expenses):
    costs = data(api.get("/api/costs/all", outsider_key, **MARCH))
    assert (costs["total"], costs["byProvider"]) == (500.0, {"openai": 500.0})
    other = data(api.get("/api/costs/other", outsider_key, **MARCH))
    assert (other["currentMonth"], other["breakdown"]) == (0.0, {})


def test_a_confirmed_draft_counts_from_then_on(api, org, raw_key, expenses):
    draft = Expense.objects.get(status=ExpenseStatus.DRAFT)
    assert organization_costs(organization_id=org.id, month=Month(2026, 3)).total.amount == 150
    expense_update(organization_id=org.id, expense_id=draft.pk, confirm=True)
    assert data(api.get("/api/costs/openai", raw_key, **MARCH))["currentMonth"] == 1100.0
    assert organization_costs(organization_id=org.id, month=Month(2026, 3)).total.amount == 1150


def test_other_is_the_only_service_beyond_the_thirteen(api, raw_key):
    message = error(api.get("/api/costs/notion", raw_key), 400, "VALIDATION_ERROR")
    assert message == (
        "provider: must be one of openai, anthropic, google, aws, gcp, azure, vercel, "
        "supabase, cursor, github, lovable, kiro, replit, or other"
    )


def test_other_is_documented_as_a_provider(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    (provider,) = [
        p
        for p in schema["paths"]["/api/costs/{provider}"]["get"]["parameters"]
        if p["name"] == "provider"
    ]
    assert set(provider["schema"]["enum"]) == {*Service.values, "other"}


def test_the_costs_page_names_other_and_counts_it(client, sign_in, org, expenses):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/costs/")
    assert response.status_code == 200
    costs = response.context["costs"]
    assert [(row.service, row.label, row.months[-1].priced_amount) for row in costs.services] == [
        ("openai", "OpenAI", Decimal(100)),
        ("other", "Other", Decimal(50)),
        ("anthropic", "Anthropic", None),
    ]
    assert costs.totals[-1].priced_amount == Decimal(150)
    content = response.content.decode()
    assert '<th scope="row">Other</th>' in content
    assert '<th scope="row">other</th>' not in content
    assert "+ 30.00 SEK unconverted" in content


def test_the_costs_by_month_count_an_expense_in_the_month_of_its_day(org, expenses):
    costs = costs_by_month(organization_id=org.id, last=Month(2026, 3), count=2)
    assert [total.amount for total in costs.totals] == [Decimal(7), Decimal(150)]


# --- Budgets ----------------------------------------------------------------------------


def test_expenses_count_in_organization_and_service_budgets(org, expenses):
    made = budgets(org)
    statuses = {s.budget.name: s for s in budgets_status(org.id, now=NOW_AT)}
    company, openai, anthropic = statuses["Company"], statuses["OpenAI"], statuses["Anthropic"]
    assert (company.spent, company.unconverted, company.percent) == (
        Decimal(150),
        {"SEK": Decimal(30)},
        Decimal("75.00"),
    )
    assert (openai.spent, openai.unconverted, openai.remaining) == (
        Decimal(100),
        {},
        Decimal(20),
    )
    assert (anthropic.spent, anthropic.unconverted) == (Decimal(0), {"SEK": Decimal(30)})
    # Each budget read on its own agrees with the organization's one read.
    for name, budget in made.items():
        alone = budget_status(budget, now=NOW_AT)
        assert (alone.spent, alone.unconverted) == (
            statuses[name].spent,
            statuses[name].unconverted,
        )
    assert budget_month_spend(made["Company"], month=date(2026, 3, 1)) == Decimal(150)
    assert budget_month_spend(made["OpenAI"], month=date(2026, 3, 1)) == Decimal(100)
    assert budget_month_spend(made["OpenAI"], month=date(2026, 2, 1)) == Decimal(7)


def test_project_budgets_hold_no_expenses(org, expenses):
    budget = Budget.objects.create(
        organization=org, name="Alpha", scope="project", project="alpha", amount=5, currency="USD"
    )
    assert budget_status(budget, now=NOW_AT).spent == Decimal(0)


# --- Projections ------------------------------------------------------------------------


@pytest.fixture
def usage(org, record):
    """A dollar a day of reported gpt-4o usage at 10:00 from 20 January to yesterday."""
    day = date(2026, 1, 20)
    events = []
    while day < date(2026, 3, 20):
        events.append({"occurred_at": f"{day}T10:00:00Z", "total_cost": 1.0})
        day += timedelta(days=1)
    record(*events)
    return {date(2026, 1, 20) + timedelta(days=n): Decimal(1) for n in range(59)}


def test_the_projection_adds_the_months_expenses_as_spent(api, org, raw_key, expenses, usage):
    expected = project_month(usage, now=NOW_AT, fixed=Decimal(150))
    projection = organization_projection(org.id, now=NOW_AT)
    assert projection == expected
    # 19 days of March at 1, and the expenses: 100 + 50 (the SEK and the draft left out).
    assert projection.spent == Decimal(169)
    end = data(api.get("/api/projections", raw_key))["endOfMonth"]
    assert (end["spent"], end["estimatedCost"], end["unconverted"]) == (
        169.0,
        float(expected.estimate),
        {"SEK": 30.0},
    )
    # 169 spent, and a dollar a day still to come: the half of today left and 11 more days.
    assert end["estimatedCost"] == 180.5
    openai = organization_projection(org.id, now=NOW_AT, service="openai")
    assert openai == project_month(usage, now=NOW_AT, fixed=Decimal(100))


# --- Currencies -------------------------------------------------------------------------


def test_each_expense_is_converted_at_the_rate_of_its_own_day(api, org, raw_key, freeze):
    freeze(NOW)
    ExchangeRate.objects.create(day="2026-03-02", currency="USD", rate=Decimal("1.1"))
    ExchangeRate.objects.create(day="2026-03-09", currency="USD", rate=Decimal("1.2"))
    spent(org, "Notion Labs", 10, "2026-03-03", currency="EUR")  # 2 March's rate: 11
    spent(org, "Notion Labs", 10, "2026-03-09", currency="EUR")  # its own day's: 12
    # 15 March is a Sunday: the latest rate on or before it, 9 March's (12); 40 days later
    # there is none within a week: unconverted.
    spent(org, "Notion Labs", 10, "2026-03-15", currency="EUR")
    spent(org, "Notion Labs", 10, "2026-04-24", currency="EUR")
    assert list(Expense.objects.order_by("date").values_list("converted_amount", flat=True)) == [
        Decimal(11),
        Decimal(12),
        Decimal(12),
        None,
    ]
    assert data(api.get("/api/costs/other", raw_key, **MARCH))["currentMonth"] == 35.0
    april = data(api.get("/api/costs/other", raw_key, month="4", year="2026"))
    assert (april["currentMonth"], april["unconverted"]) == (None, {"EUR": 10.0})


def test_a_euro_organization_counts_a_dollar_expense_in_euros(api, org, raw_key, freeze):
    freeze(NOW)
    org.reporting_currency = "EUR"
    org.save()
    from tokentracker.money import money_book_invalidate

    money_book_invalidate()
    ExchangeRate.objects.create(day="2026-03-05", currency="USD", rate=Decimal("1.25"))
    expense = spent(org, "OpenAI", 100, "2026-03-05", currency="USD")
    assert (expense.converted_amount, expense.converted_currency) == (Decimal(80), "EUR")
    costs = data(api.get("/api/costs/all", raw_key, **MARCH))
    assert (costs["currency"], costs["total"]) == ("EUR", 80.0)
