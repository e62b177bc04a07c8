"""`/api/v1/alerts`: the alerts budgets fired (list, one), filtered by budget and month,
read-only, scoped to the organization."""

from datetime import datetime
from decimal import Decimal

import pytest

from billing.models import Budget
from billing.services.alerts import budgets_evaluate
from tokentracker.models import ApiKeyScope
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

MARCH = datetime.fromisoformat("2026-03-20T12:00:00+00:00")
APRIL = datetime.fromisoformat("2026-04-20T12:00:00+00:00")


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def budget_of(org, name, amount, **fields):
    return Budget.objects.create(
        organization=org,
        name=name,
        scope="organization",
        amount=Decimal(amount),
        currency="USD",
        **fields,
    )


@pytest.fixture
def alerts(org, outsider_org, record):
    team = budget_of(org, "Team", "10", thresholds=[50, 80])
    small = budget_of(org, "Small", "4", thresholds=[100])
    theirs = budget_of(outsider_org, "Theirs", "1", thresholds=[50])
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6})
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6}, organization=outsider_org)
    budgets_evaluate(org.id, now=MARCH)  # team 50, small 100
    record({"occurred_at": "2026-04-02T10:00:00Z", "total_cost": 9})
    budgets_evaluate(org.id, now=APRIL)  # team 50, team 80, small 100
    budgets_evaluate(outsider_org.id, now=MARCH)
    return {"team": team, "small": small, "theirs": theirs}


def listed(client, key, **params):
    response = client.get("/api/v1/alerts", params, **auth(key))
    assert response.status_code == 200, response.content
    return [
        (a["budget_name"], a["period"], a["kind"], a["threshold"])
        for a in response.json()["results"]
    ]


def test_alerts_are_listed_newest_first_with_their_figures(client, raw_key, alerts):
    assert listed(client, raw_key) == [
        ("Team", "2026-04-01", "threshold", 80),
        ("Team", "2026-04-01", "threshold", 50),
        ("Small", "2026-04-01", "threshold", 100),
        ("Team", "2026-03-01", "threshold", 50),
        ("Small", "2026-03-01", "threshold", 100),
    ]
    alert = alerts["team"].alerts.get(period="2026-03-01")
    one = client.get(f"/api/v1/alerts/{alert.pk}", **auth(raw_key)).json()
    assert {k: v for k, v in one.items() if k != "fired_at"} == {
        "id": alert.pk,
        "budget_id": alerts["team"].pk,
        "budget_name": "Team",
        "period": "2026-03-01",
        "kind": "threshold",
        "threshold": 50,
        "spent": 6.0,
        "projected": float(alert.projected),
        "budget_amount": 10.0,
        "billed": None,  # untracked-spend alerts only
        "untracked": None,
        "currency": "USD",
    }


def test_filter_by_budget_month_and_kind(client, raw_key, alerts):
    team = alerts["team"].pk
    assert listed(client, raw_key, budget=team, period="2026-04-01") == [
        ("Team", "2026-04-01", "threshold", 80),
        ("Team", "2026-04-01", "threshold", 50),
    ]
    assert listed(client, raw_key, budget=team, period="2026-03-17") == [
        ("Team", "2026-03-01", "threshold", 50)
    ]
    assert listed(client, raw_key, kind="forecast") == []
    assert listed(client, raw_key, budget=alerts["theirs"].pk) == []


def test_bad_filters_are_a_422(client, raw_key, alerts):
    for params in ({"period": "March"}, {"budget": "x"}, {"kind": "loud"}, {"budget": 2**70}):
        response = client.get("/api/v1/alerts", params, **auth(raw_key))
        assert response.status_code == 422, (params, response.content)
        assert response.json()["error"]["code"] == "VALIDATION_FAILED"


def test_no_key_is_a_401_and_alerts_are_read_only(client, org, raw_key, alerts):
    alert = alerts["team"].alerts.first()
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get(f"/api/v1/alerts/{alert.pk}").status_code == 401
    assert client.post("/api/v1/alerts", {}, **auth(raw_key)).status_code == 405
    assert client.delete(f"/api/v1/alerts/{alert.pk}", **auth(raw_key)).status_code == 405
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert len(listed(client, read_only)) == 5


def test_an_outsider_sees_only_its_own_alerts(client, outsider_key, alerts):
    assert listed(client, outsider_key) == [("Theirs", "2026-03-01", "threshold", 50)]
    alert = alerts["team"].alerts.first()
    assert client.get(f"/api/v1/alerts/{alert.pk}", **auth(outsider_key)).status_code == 404


def test_listing_alerts_costs_one_query(client, raw_key, alerts, django_assert_num_queries):
    client.get("/api/v1/alerts", **auth(raw_key))  # the key lookup is cached from here
    with django_assert_num_queries(1):
        client.get("/api/v1/alerts", **auth(raw_key))
