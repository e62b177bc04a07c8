"""Budget spend selectors: each scope's month, its days, its projection and its status."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from billing.models import Budget, BudgetScope
from billing.projections import LOOKBACK_DAYS, project_month
from billing.selectors.budgets import (
    budget_daily_spend,
    budget_month_spend,
    budget_monthly_spend,
    budget_projection,
    budget_status,
    budgets_status,
    organization_projection,
    providers_of_service,
)
from billing.services.manual_costs import manual_cost_create
from tokentracker import services
from tokentracker.models import ExchangeRate
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-20T12:00:00+00:00")
MARCH = date(2026, 3, 1)


def _events(organization, api_key_id, *events):
    inputs = [
        EventInput(
            **{"provider": "openai", "model": "gpt-4o", "input_tokens": 0, "output_tokens": 0}
            | fields
        )
        for fields in events
    ]
    events_record(organization_id=organization.id, api_key_id=api_key_id, events=inputs)


@pytest.fixture
def key(org):
    return services.api_key_create(organization=org, name="ci").api_key


@pytest.fixture
def outsider_api_key(outsider_org):
    return services.api_key_create(organization=outsider_org, name="theirs").api_key


@pytest.fixture
def march(org, outsider_org, key, outsider_api_key):
    _events(
        org,
        key.id,
        {
            "occurred_at": "2026-02-28T23:59:00Z",
            "total_cost": Decimal("7"),
            "project": "alpha",
            "developer_id": "dev-1",
        },
        {
            "occurred_at": "2026-03-02T10:00:00Z",
            "total_cost": Decimal("2"),
            "project": "alpha",
            "developer_id": "dev-1",
        },
        {
            "occurred_at": "2026-03-10T08:00:00Z",
            "provider": "gemini",
            "model": "gemini-2.5-flash",
            "total_cost": Decimal("1.5"),
        },
        # Unpriced: counted apart, never as 0 spend.
        {"occurred_at": "2026-03-11T08:00:00Z", "model": "mystery", "project": "alpha"},
    )
    _events(
        org,
        None,
        {
            "occurred_at": "2026-03-05T10:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "total_cost": Decimal("3"),
            "project": "beta",
            "developer_id": "dev-2",
        },
    )
    # Another organization with the same project and developer names, and its own key.
    _events(
        outsider_org,
        outsider_api_key.id,
        {
            "occurred_at": "2026-03-03T10:00:00Z",
            "total_cost": Decimal("100"),
            "project": "alpha",
            "developer_id": "dev-1",
        },
    )
    rollups_merge()
    manual_cost_create(organization_id=org.id, service="openai", amount=10, month=3, year=2026)
    manual_cost_create(organization_id=org.id, service="cursor", amount=4, month=3, year=2026)
    manual_cost_create(organization_id=org.id, service="openai", amount=99, month=2, year=2026)
    manual_cost_create(
        organization_id=org.id, service="cursor", amount=5, month=3, year=2026, currency="NOK"
    )
    manual_cost_create(
        organization_id=outsider_org.id, service="openai", amount=500, month=3, year=2026
    )


def budget(org, scope, amount="10", currency="USD", **fields):
    return Budget.objects.create(
        organization=org,
        name=scope,
        scope=scope,
        amount=Decimal(amount),
        currency=currency,
        **fields,
    )


def test_organization_budget_counts_every_source_of_its_own_organization(org, march):
    whole = budget(org, BudgetScope.ORGANIZATION)
    # 2 + 1.5 + 3 of usage, 10 + 4 of manual costs (the NOK one has no rate).
    assert budget_month_spend(whole, month=MARCH) == Decimal("20.5")
    assert budget_month_spend(whole, month=date(2026, 2, 14)) == Decimal("106")
    assert budget_monthly_spend(whole, month=MARCH) == Decimal("14")


def test_service_budget_counts_its_providers_and_manual_costs(org, march):
    openai = budget(org, BudgetScope.SERVICE, service="openai")
    google = budget(org, BudgetScope.SERVICE, service="google")
    cursor = budget(org, BudgetScope.SERVICE, service="cursor")
    assert budget_month_spend(openai, month=MARCH) == Decimal("12")
    assert budget_month_spend(google, month=MARCH) == Decimal("1.5")  # gemini bills via google
    assert budget_month_spend(cursor, month=MARCH) == Decimal("4")
    assert providers_of_service("google") == ("google", "gemini")


def test_project_budget_counts_its_project_only(org, march):
    alpha = budget(org, BudgetScope.PROJECT, project="alpha")
    assert budget_month_spend(alpha, month=MARCH) == Decimal("2")
    assert budget_month_spend(alpha, month=date(2026, 2, 1)) == Decimal("7")
    assert budget_monthly_spend(alpha, month=MARCH) == Decimal("0")


def test_api_key_budget_counts_the_events_sent_with_that_key(org, march, key):
    ci = budget(org, BudgetScope.API_KEY, api_key=key)
    assert budget_month_spend(ci, month=MARCH) == Decimal("3.5")


def test_developer_budget_counts_that_developers_events(org, march):
    dev = budget(org, BudgetScope.DEVELOPER, developer_id="dev-1")
    assert budget_month_spend(dev, month=MARCH) == Decimal("2")
    assert budget_month_spend(dev, month=date(2026, 2, 1)) == Decimal("7")
    nobody = budget(org, BudgetScope.DEVELOPER, developer_id="dev-9")
    assert budget_month_spend(nobody, month=MARCH) == Decimal("0")


def test_daily_spend_is_usage_per_utc_day(org, march, key):
    ci = budget(org, BudgetScope.API_KEY, api_key=key)
    assert budget_daily_spend(ci, start=date(2026, 2, 1), end=date(2026, 3, 31)) == {
        date(2026, 2, 28): Decimal("7"),
        date(2026, 3, 2): Decimal("2"),
        date(2026, 3, 10): Decimal("1.5"),
        date(2026, 3, 11): Decimal("0"),
    }
    whole = budget(org, BudgetScope.ORGANIZATION)
    assert budget_daily_spend(whole, start=date(2026, 3, 1), end=date(2026, 3, 5)) == {
        date(2026, 3, 2): Decimal("2"),
        date(2026, 3, 5): Decimal("3"),
    }


def test_projection_is_the_engine_over_the_scopes_days_and_monthly_costs(org, march):
    whole = budget(org, BudgetScope.ORGANIZATION)
    days = {
        date(2026, 2, 28): Decimal("7"),
        date(2026, 3, 2): Decimal("2"),
        date(2026, 3, 5): Decimal("3"),
        date(2026, 3, 10): Decimal("1.5"),
        date(2026, 3, 11): Decimal("0"),
    }
    expected = project_month(days, now=NOW, fixed=Decimal("14"))
    assert budget_projection(whole, now=NOW) == expected
    assert organization_projection(org.id, now=NOW) == expected
    assert expected.spent == Decimal("20.5")
    openai = organization_projection(org.id, now=NOW, service="openai")
    assert openai == project_month(
        {date(2026, 2, 28): Decimal("7"), date(2026, 3, 2): Decimal("2"), date(2026, 3, 11): 0},
        now=NOW,
        fixed=Decimal("10"),
    )
    alpha = budget(org, BudgetScope.PROJECT, project="alpha")
    assert budget_projection(alpha, now=NOW) == project_month(
        {date(2026, 2, 28): Decimal("7"), date(2026, 3, 2): Decimal("2"), date(2026, 3, 11): 0},
        now=NOW,
    )


def test_projection_reads_the_engines_lookback_before_today(org):
    # NOW is 2026-03-20: LOOKBACK_DAYS (91) before it is 2025-12-19, well before the 56
    # days before March the selectors used to read (from 2026-01-04).
    assert LOOKBACK_DAYS == 91
    _events(
        org,
        None,
        {"occurred_at": "2025-12-19T10:00:00Z", "total_cost": Decimal("4")},
        {"occurred_at": "2026-01-02T10:00:00Z", "total_cost": Decimal("4")},
        {"occurred_at": "2026-03-02T10:00:00Z", "total_cost": Decimal("2")},
    )
    rollups_merge()
    read = {
        date(2025, 12, 19): Decimal("4"),
        date(2026, 1, 2): Decimal("4"),
        date(2026, 3, 2): Decimal("2"),
    }
    projection = organization_projection(org.id, now=NOW)
    assert projection == project_month(read, now=NOW)
    # History from 2025-12-19: the fit's full 56 days; from 2026-01-04 it would be fewer.
    assert projection.history_days == 56
    assert projection != project_month({date(2026, 3, 2): Decimal("2")}, now=NOW)


def test_status_has_spent_remaining_percent_and_what_was_left_out(org, march):
    whole = budget(org, BudgetScope.ORGANIZATION, amount="25")
    status = budget_status(whole, now=NOW)
    assert (status.amount, status.spent, status.remaining) == (
        Decimal("25"),
        Decimal("20.5"),
        Decimal("4.5"),
    )
    assert status.percent == Decimal("82.00")
    assert status.currency == "USD"
    assert status.month == MARCH
    assert status.unconverted == {"NOK": Decimal("5")}
    assert status.unpriced_events == 1
    assert status.problem is None
    assert status.reached(80) and not status.reached(83)
    assert status.projection == budget_projection(whole, now=NOW)


def test_status_over_budget_has_negative_remaining(org, march):
    alpha = budget(org, BudgetScope.PROJECT, amount="1.6", project="alpha")
    status = budget_status(alpha, now=NOW)
    assert status.remaining == Decimal("-0.4")
    assert status.percent == Decimal("125.00")
    assert status.reached(100) and status.reached(125) and not status.reached(126)


def test_amount_set_in_another_currency_is_converted_at_todays_rate(org, march):
    ExchangeRate.objects.create(day="2026-03-19", currency="USD", rate=Decimal("1.25"))
    euros = budget(org, BudgetScope.PROJECT, amount="8", currency="EUR", project="alpha")
    status = budget_status(euros, now=NOW)
    assert status.amount == Decimal("10")
    assert status.percent == Decimal("20.00")


def test_amount_without_a_rate_is_unknown_and_reaches_nothing(org, march):
    francs = budget(org, BudgetScope.PROJECT, amount="1", currency="CHF", project="alpha")
    status = budget_status(francs, now=NOW)
    assert status.amount is None
    assert status.percent is None and status.remaining is None and status.will_exceed is None
    assert not status.reached(1)
    assert status.spent == Decimal("2")
    assert "No exchange rate from CHF to USD for 2026-03-20" in status.problem


def test_budgets_status_lists_only_the_organizations_budgets(org, outsider_org, march):
    budget(org, BudgetScope.ORGANIZATION)
    theirs = budget(outsider_org, BudgetScope.ORGANIZATION)
    assert [s.budget.scope for s in budgets_status(org.id, now=NOW)] == ["organization"]
    [status] = budgets_status(outsider_org.id, now=NOW)
    assert status.budget == theirs
    assert status.spent == Decimal("600")


def test_budgets_status_reads_once_for_every_scope_and_agrees_with_each_budget(
    org, march, key, django_assert_num_queries
):
    budgets = [
        budget(org, BudgetScope.ORGANIZATION),
        budget(org, BudgetScope.SERVICE, service="openai"),
        budget(org, BudgetScope.SERVICE, service="google"),
        budget(org, BudgetScope.SERVICE, service="cursor"),
        budget(org, BudgetScope.PROJECT, project="alpha"),
        budget(org, BudgetScope.PROJECT, project="beta"),
    ]
    # The budgets, the rollups, the synced providers' days (bill against events), the manual
    # costs, the expenses: whatever the number of budgets.
    with django_assert_num_queries(5):
        together = budgets_status(org.id, now=NOW)
    assert together == [budget_status(status.budget, now=NOW) for status in together]
    assert {status.budget.pk: status.spent for status in together} == {
        budgets[0].pk: Decimal("20.5"),
        budgets[1].pk: Decimal("12"),
        budgets[2].pk: Decimal("1.5"),
        budgets[3].pk: Decimal("4"),
        budgets[4].pk: Decimal("2"),
        budgets[5].pk: Decimal("3"),
    }
    # API key and developer budgets read their own events: one query each.
    ci = budget(org, BudgetScope.API_KEY, api_key=key)
    dev = budget(org, BudgetScope.DEVELOPER, developer_id="dev-1")
    with django_assert_num_queries(7):
        spent = {status.budget.pk: status.spent for status in budgets_status(org.id, now=NOW)}
    assert (spent[ci.pk], spent[dev.pk]) == (Decimal("3.5"), Decimal("2"))
