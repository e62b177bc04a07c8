"""GET /api/projections: the organization's month projected to its end, against its budget."""

from datetime import date

import pytest

from billing.models import Budget, ManualCost
from tokentracker.models import ExchangeRate

from .helpers import data, error
from .spend import as_json, budgets, engine

URL = "/api/projections"
pytestmark = pytest.mark.django_db


def test_the_month_is_projected_from_its_days_and_history(api, org, raw_key, march):
    budgets(org)
    body = data(api.get(URL, raw_key))
    expected = engine("2", fixed=10)  # 1.50 + 0.50 a day; OpenAI's 10 booked for March
    assert body == {
        "currency": "USD",
        "month": "2026-03",
        "endOfMonth": {
            # 19 days and half of today at 2 (39) and 10 of manual costs; then the other
            # half of today and 11 more days at 2
            "estimatedCost": 72.0,
            "spent": 49.0,
            "low": as_json(expected.low),
            "high": as_json(expected.high),
            "confidence": expected.confidence,
            "trend": "stable",
            "historyDays": 56,
            "unpricedRequests": 1,
            "unconverted": {"EUR": 40.0},
        },
        "budgetImpact": {
            # the tighter of the two organization budgets; OpenAI's is not the organization's
            "willExceedBudget": True,
            "budget": 70.0,
            "budgetId": str(Budget.objects.get(name="Tight").pk),
            "budgetName": "Tight",
        },
    }
    assert 49 < expected.low < 72 < expected.high
    assert expected.confidence == 0.94


def test_under_budget_the_month_will_not_exceed_it(api, org, raw_key, march):
    budgets(org)["Tight"].delete()
    impact = data(api.get(URL, raw_key))["budgetImpact"]
    assert (impact["willExceedBudget"], impact["budget"], impact["budgetName"]) == (
        False,
        100.0,
        "Company",
    )


def test_without_an_organization_budget_the_impact_is_unknown_not_false(api, org, raw_key, march):
    Budget.objects.create(
        organization=org, name="OpenAI", scope="service", service="openai", amount=1, currency="USD"
    )
    assert data(api.get(URL, raw_key))["budgetImpact"] == {
        "willExceedBudget": None,
        "budget": None,
        "budgetId": None,
        "budgetName": None,
    }


def test_a_budget_in_a_currency_with_no_rate_cannot_be_compared(api, org, raw_key, march):
    Budget.objects.create(
        organization=org, name="Euro", scope="organization", amount=50, currency="EUR"
    )
    impact = data(api.get(URL, raw_key))["budgetImpact"]
    assert (impact["willExceedBudget"], impact["budget"], impact["budgetName"]) == (
        None,
        None,
        "Euro",
    )
    # with the day's rate, 50 EUR is 62.50 USD: the month's 72 will exceed it
    ExchangeRate.objects.create(day=date(2026, 3, 20), currency="USD", rate="1.25")
    impact = data(api.get(URL, raw_key))["budgetImpact"]
    assert (impact["willExceedBudget"], impact["budget"]) == (True, 62.5)


def test_an_empty_organization_projects_nothing_with_no_confidence(api, raw_key, freeze):
    freeze("2026-03-20T12:00:00Z")
    assert data(api.get(URL, raw_key))["endOfMonth"] == {
        "estimatedCost": 0.0,
        "spent": 0.0,
        "low": 0.0,
        "high": 0.0,
        "confidence": 0.0,
        "trend": "stable",
        "historyDays": 0,
        "unpricedRequests": 0,
        "unconverted": {},
    }


def test_a_month_of_only_unpriced_calls_has_no_estimate_rather_than_zero(
    api, org, raw_key, record, freeze
):
    freeze("2026-03-20T12:00:00Z")
    record({"occurred_at": "2026-03-19T09:00:00Z", "model": "mystery", "input_tokens": 5})
    month = data(api.get(URL, raw_key))["endOfMonth"]
    assert (month["estimatedCost"], month["spent"], month["low"], month["high"]) == (
        None,
        None,
        None,
        None,
    )
    assert month["unpricedRequests"] == 1


def test_only_unconverted_costs_have_no_estimate_rather_than_zero(api, org, raw_key, freeze):
    freeze("2026-03-20T12:00:00Z")
    ManualCost.objects.create(
        organization=org, service="openai", amount=40, currency="EUR", month=3, year=2026
    )
    month = data(api.get(URL, raw_key))["endOfMonth"]
    assert (month["estimatedCost"], month["unconverted"]) == (None, {"EUR": 40.0})


def test_without_a_key_it_is_an_authentication_error(api):
    error(api.get(URL), 401, "AUTHENTICATION_ERROR")


def test_an_outsiders_key_sees_only_its_own_organization(api, org, outsider_key, march):
    budgets(org)
    body = data(api.get(URL, outsider_key))
    # the outsider spent 100 on 5 March, and nothing in history before it
    assert body["endOfMonth"]["spent"] == 100.0
    assert body["endOfMonth"]["unpricedRequests"] == 0
    assert body["endOfMonth"]["unconverted"] == {}
    assert body["budgetImpact"]["budgetId"] is None


def test_a_viewer_member_reads_it_with_a_session(viewer_client, org, march):
    budgets(org)
    assert data(viewer_client.get(URL))["endOfMonth"]["estimatedCost"] == 72.0
