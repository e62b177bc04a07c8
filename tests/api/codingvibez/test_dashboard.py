"""GET /api/dashboard: this and last month's costs, this month's tokens and top models,
every budget against this month's spend, and the latest alerts."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Budget, BudgetAlert

from .helpers import data, error
from .spend import budgets

URL = "/api/dashboard"
pytestmark = pytest.mark.django_db


def alert(budget, *, threshold, fired_at, kind="threshold", spent="35", projected=None):
    made = BudgetAlert.objects.create(
        organization_id=budget.organization_id,
        budget=budget,
        period=date(2026, 3, 1),
        kind=kind,
        threshold=threshold,
        spent=Decimal(spent),
        projected=projected,
        budget_amount=budget.amount,
        currency="USD",
    )
    BudgetAlert.objects.filter(pk=made.pk).update(fired_at=fired_at)
    return made


def test_the_month_at_a_glance(api, org, raw_key, march):
    made = budgets(org)
    first = alert(made["Tight"], threshold=50, fired_at=datetime.fromisoformat("2026-03-13T08:00Z"))
    second = alert(
        made["OpenAI"],
        threshold=100,
        kind="forecast",
        spent="30",
        projected=Decimal("56.5"),
        fired_at=datetime.fromisoformat("2026-03-19T10:00Z"),
    )
    body = data(api.get(URL, raw_key))
    assert body["month"] == "2026-03"
    assert body["totalCosts"] == {
        "currentMonth": 49.0,  # 39 of usage and OpenAI's 10 of manual costs
        "previousMonth": 61.0,  # 28 days at 2 and February's 5
        "currency": "USD",
        "unpricedRequests": {"currentMonth": 1, "previousMonth": 0},
        "unconverted": {"currentMonth": {"EUR": 40.0}, "previousMonth": {}},
    }
    assert body["tokenUsage"] == {
        "inputTokens": 24300,  # 20 x 1,000 + 20 x 200 + the unpriced call's 300
        "outputTokens": 3000,
        "cachedTokens": 4000,
        "totalTokens": 27300,
        "requests": 41,
        "unpricedRequests": 1,
    }
    assert body["topModels"] == [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "cost": 29.25,
            "totalTokens": 22000,
            "requests": 20,
            "unpricedRequests": 0,
        },
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "cost": 9.75,
            "totalTokens": 5000,
            "requests": 20,
            "unpricedRequests": 0,
        },
        {
            "provider": "openai",
            "model": "mystery",
            "cost": None,
            "totalTokens": 300,
            "requests": 1,
            "unpricedRequests": 1,
        },
    ]
    organization_wide = {
        "scope": "organization",
        "target": None,
        "spent": 49.0,
        "projected": 72.0,
        "unpricedRequests": 1,
        "unconverted": {"EUR": 40.0},
        "problem": None,
    }
    assert body["budgetStatus"] == [
        {
            "id": str(made["Company"].pk),
            "name": "Company",
            **organization_wide,
            "limit": 100.0,
            "remaining": 51.0,
            "percentUsed": 49.0,
            "willExceed": False,
        },
        {
            "id": str(made["OpenAI"].pk),
            "name": "OpenAI",
            "scope": "service",
            "target": "openai",
            "limit": 50.0,
            "spent": 39.25,
            "remaining": 10.75,
            "percentUsed": 78.5,
            "projected": 56.5,
            "willExceed": True,
            "unpricedRequests": 1,
            "unconverted": {},
            "problem": None,
        },
        {
            "id": str(made["Tight"].pk),
            "name": "Tight",
            **organization_wide,
            "limit": 70.0,
            "remaining": 21.0,
            "percentUsed": 70.0,
            "willExceed": True,
        },
    ]
    assert body["alerts"] == [
        {
            "id": str(second.pk),
            "budgetId": str(made["OpenAI"].pk),
            "budget": "OpenAI",
            "kind": "forecast",
            "threshold": 100,
            "spent": 30.0,
            "projected": 56.5,
            "budgetAmount": 50.0,
            "currency": "USD",
            "period": "2026-03",
            "firedAt": "2026-03-19T10:00:00Z",
        },
        {
            "id": str(first.pk),
            "budgetId": str(made["Tight"].pk),
            "budget": "Tight",
            "kind": "threshold",
            "threshold": 50,
            "spent": 35.0,
            "projected": None,
            "budgetAmount": 70.0,
            "currency": "USD",
            "period": "2026-03",
            "firedAt": "2026-03-13T08:00:00Z",
        },
    ]


def test_only_the_five_costliest_models_and_ten_latest_alerts(api, org, raw_key, record, freeze):
    freeze("2026-03-20T12:00:00Z")
    record(
        *(
            {"occurred_at": "2026-03-02T10:00:00Z", "model": f"model-{n}", "total_cost": n}
            for n in range(1, 8)
        )
    )
    budget = Budget.objects.create(
        organization=org, name="All", scope="organization", amount=10, currency="USD"
    )
    start = datetime.fromisoformat("2026-03-01T00:00Z")
    for n in range(12):
        alert(budget, threshold=n + 1, fired_at=start + timedelta(hours=n))
    body = data(api.get(URL, raw_key))
    assert [(m["model"], m["cost"]) for m in body["topModels"]] == [
        ("model-7", 7.0),
        ("model-6", 6.0),
        ("model-5", 5.0),
        ("model-4", 4.0),
        ("model-3", 3.0),
    ]
    assert body["tokenUsage"]["requests"] == 7  # the tokens count every model
    assert [a["threshold"] for a in body["alerts"]] == [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]


def test_more_budgets_and_alerts_cost_no_more_queries(api, org, raw_key, march):
    made = budgets(org)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            data(api.get(URL, raw_key))
        return len(captured)

    queries()  # the key lookup and the rate limit are cached after the first request
    few = queries()
    for n in range(4):
        Budget.objects.create(
            organization=org,
            name=f"Project {n}",
            scope="project",
            project=f"p{n}",
            amount=10,
            currency="USD",
        )
        alert(made["Tight"], threshold=10 + n, fired_at=datetime.fromisoformat("2026-03-10T00:00Z"))
    assert queries() == few


def test_a_month_of_only_unpriced_calls_costs_null_not_zero(api, org, raw_key, record, freeze):
    freeze("2026-03-20T12:00:00Z")
    record({"occurred_at": "2026-03-19T09:00:00Z", "model": "mystery", "input_tokens": 5})
    costs = data(api.get(URL, raw_key))["totalCosts"]
    assert (costs["currentMonth"], costs["previousMonth"]) == (None, 0.0)
    assert costs["unpricedRequests"] == {"currentMonth": 1, "previousMonth": 0}


def test_an_empty_organization_has_an_empty_dashboard(api, raw_key, freeze):
    freeze("2026-03-20T12:00:00Z")
    assert data(api.get(URL, raw_key)) == {
        "month": "2026-03",
        "totalCosts": {
            "currentMonth": 0.0,
            "previousMonth": 0.0,
            "currency": "USD",
            "unpricedRequests": {"currentMonth": 0, "previousMonth": 0},
            "unconverted": {"currentMonth": {}, "previousMonth": {}},
        },
        "tokenUsage": {
            "inputTokens": 0,
            "outputTokens": 0,
            "cachedTokens": 0,
            "totalTokens": 0,
            "requests": 0,
            "unpricedRequests": 0,
        },
        "topModels": [],
        "budgetStatus": [],
        "alerts": [],
    }


def test_without_a_key_it_is_an_authentication_error(api):
    error(api.get(URL), 401, "AUTHENTICATION_ERROR")


def test_an_outsiders_key_sees_only_its_own_organization(api, org, outsider_key, march):
    made = budgets(org)
    alert(made["Tight"], threshold=50, fired_at=datetime.fromisoformat("2026-03-13T08:00Z"))
    body = data(api.get(URL, outsider_key))
    assert body["totalCosts"]["currentMonth"] == 100.0
    assert body["totalCosts"]["unconverted"] == {"currentMonth": {}, "previousMonth": {}}
    assert [(m["model"], m["cost"]) for m in body["topModels"]] == [("gpt-4o", 100.0)]
    assert body["budgetStatus"] == []
    assert body["alerts"] == []


def test_a_viewer_member_reads_it_with_a_session(viewer_client, org, march):
    assert data(viewer_client.get(URL))["totalCosts"]["currentMonth"] == 49.0
