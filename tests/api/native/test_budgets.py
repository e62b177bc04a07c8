"""`/api/v1/budgets`: list, create, one, replace, change, delete; each with this month's
spend; admins and owners write (a key acts for its creator); scoped to the organization."""

import json
from datetime import datetime
from decimal import Decimal

import pytest

from billing.models import Budget
from billing.selectors.budgets import budget_projection
from tests.factories import MembershipFactory
from tokentracker.models import ApiKeyScope, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

NOW = "2026-03-20T12:00:00Z"
BODY = {
    "name": "Alpha",
    "scope": "project",
    "project": "alpha",
    "amount": 10,
    "thresholds": [80, 50],
}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


@pytest.fixture
def admin_key(org, admin):
    return api_key_create(organization=org, name="admin's", created_by=admin.user).raw_key


@pytest.fixture
def spend(org, outsider_org, record, freeze):
    freeze(NOW)
    record(
        {"occurred_at": "2026-02-28T10:00:00Z", "total_cost": 7, "project": "alpha"},
        {"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 2, "project": "alpha"},
        {"occurred_at": "2026-03-03T10:00:00Z", "total_cost": 5, "project": "beta"},
    )
    record(
        {"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 100, "project": "alpha"},
        organization=outsider_org,
    )


def send(client, method, path, body, key):
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", **auth(key)
    )


def without_times(budget):
    return {k: v for k, v in budget.items() if k not in {"created_at", "updated_at"}}


def projection_of(budget, amount):
    projection = budget_projection(budget, now=datetime.fromisoformat(NOW))
    return {
        "estimate": float(projection.estimate),
        "low": float(projection.low),
        "high": float(projection.high),
        "confidence": projection.confidence,
        "trend": projection.trend,
        "will_exceed": projection.estimate > amount,
    }


def test_a_budget_is_created_with_its_spend_and_read_back(api, client, admin_key, spend):
    response = api.post("/api/v1/budgets", BODY, admin_key)
    assert response.status_code == 201, response.content
    created = response.json()
    budget = Budget.objects.get()
    assert without_times(created) == {
        "id": budget.pk,
        "name": "Alpha",
        "scope": "project",
        "service": None,
        "project": "alpha",
        "api_key_id": None,
        "developer_id": None,
        "amount": 10.0,
        "currency": "USD",
        "thresholds": [50, 80],
        "forecast_alert": False,
        "untracked_alert_percent": None,
        "status": {
            "month": "2026-03-01",
            "currency": "USD",
            "amount": 10.0,
            "spent": 2.0,
            "remaining": 8.0,
            "percent": 20.0,
            "unpriced_events": 0,
            "unconverted": {},
            "problem": None,
            "billed": 0.0,  # a project's budget holds no provider bill
            "untracked": 0.0,
            "projection": projection_of(budget, Decimal(10)),
        },
    }
    assert client.get(f"/api/v1/budgets/{budget.pk}", **auth(admin_key)).json() == created
    listed = client.get("/api/v1/budgets", **auth(admin_key)).json()
    assert listed["results"] == [created]


def test_patch_changes_the_fields_sent_and_put_replaces_the_budget(client, admin_key, spend):
    created = api_post(client, admin_key, BODY)
    path = f"/api/v1/budgets/{created['id']}"
    patched = send(client, "patch", path, {"amount": "4", "forecast_alert": True}, admin_key)
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["amount"], body["forecast_alert"], body["thresholds"]) == (4.0, True, [50, 80])
    assert (body["status"]["spent"], body["status"]["percent"]) == (2.0, 50.0)
    assert body["status"]["remaining"] == 2.0

    whole = {"name": "Everything", "scope": "organization", "amount": 20}
    replaced = send(client, "put", path, whole, admin_key)
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["scope"], body["project"], body["thresholds"], body["forecast_alert"]) == (
        "organization",
        None,
        [50, 80, 100],
        False,
    )
    assert (body["status"]["spent"], body["status"]["percent"]) == (7.0, 35.0)


def api_post(client, key, body):
    response = send(client, "post", "/api/v1/budgets", body, key)
    assert response.status_code == 201, response.content
    return response.json()


def test_delete(client, admin_key, spend):
    created = api_post(client, admin_key, BODY)
    deleted = client.delete(f"/api/v1/budgets/{created['id']}", **auth(admin_key))
    assert deleted.status_code == 204
    assert not Budget.objects.exists()


def test_every_scope_through_the_api(client, org, admin_key, spend):
    ci = api_key_create(organization=org, name="ci").api_key
    bodies = [
        {"name": "All", "scope": "organization", "amount": 100},
        {"name": "OpenAI", "scope": "service", "service": "OpenAI", "amount": 100},
        {"name": "CI", "scope": "api_key", "api_key_id": ci.pk, "amount": 100},
        {"name": "Dev", "scope": "developer", "developer_id": "dev-1", "amount": 100},
    ]
    spent = [api_post(client, admin_key, body)["status"]["spent"] for body in bodies]
    assert spent == [7.0, 7.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"name": ""}, "name"),
        ({"scope": "team"}, "scope"),
        ({"project": None}, "project"),
        ({"thresholds": [0, 50]}, "thresholds"),
        ({"thresholds": [50, 50]}, "thresholds"),
        ({"forecast_alert": "yes"}, "forecast_alert"),
        ({"service": "openai"}, "service"),
        ({"scope": "api_key", "project": None, "api_key_id": 10**30}, "api_key_id"),
        (
            {"scope": "organization", "project": None, "untracked_alert_percent": 0},
            "untracked_alert_percent",
        ),
        (
            {"scope": "organization", "project": None, "untracked_alert_percent": 101},
            "untracked_alert_percent",
        ),
        # A project holds no provider bill: the alert could never fire.
        ({"untracked_alert_percent": 30}, "untracked_alert_percent"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(api, admin_key, change, field):
    response = api.post("/api/v1/budgets", {**BODY, **change}, admin_key)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert list(error["details"]) == [field]
    assert not Budget.objects.exists()


def test_a_bad_change_changes_nothing(client, admin_key, spend):
    created = api_post(client, admin_key, BODY)
    path = f"/api/v1/budgets/{created['id']}"
    response = send(client, "patch", path, {"amount": -1, "name": "Renamed"}, admin_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "amount": ["must be a number above 0 and below 10^15"]
    }
    assert send(client, "put", path, {"name": "No scope"}, admin_key).status_code == 422
    budget = Budget.objects.get()
    assert (budget.name, budget.amount, budget.scope) == ("Alpha", Decimal(10), "project")


def test_another_organizations_api_key_is_refused(api, outsider_org, admin_key):
    theirs = api_key_create(organization=outsider_org, name="theirs").api_key
    body = {"name": "Theirs", "scope": "api_key", "api_key_id": theirs.pk, "amount": 1}
    response = api.post("/api/v1/budgets", body, admin_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "api_key_id": ["no API key with this id in your organization"]
    }


def test_no_key_is_a_401(api, client, admin_key):
    created = api_post(client, admin_key, BODY)
    assert api.post("/api/v1/budgets", BODY).status_code == 401
    assert client.get("/api/v1/budgets").status_code == 401
    assert client.get(f"/api/v1/budgets/{created['id']}").status_code == 401
    assert client.delete(f"/api/v1/budgets/{created['id']}").status_code == 401
    assert Budget.objects.count() == 1


def test_an_outsider_sees_changes_and_deletes_nothing(client, admin_key, outsider_key):
    created = api_post(client, admin_key, BODY)
    path = f"/api/v1/budgets/{created['id']}"
    assert client.get("/api/v1/budgets", **auth(outsider_key)).json()["results"] == []
    assert client.get(path, **auth(outsider_key)).status_code == 404
    assert send(client, "patch", path, {"amount": 1}, outsider_key).status_code == 404
    assert client.delete(path, **auth(outsider_key)).status_code == 404
    assert Budget.objects.get().amount == Decimal(10)


def test_read_only_keys_and_keys_of_members_cannot_write(client, org, admin, admin_key):
    created = api_post(client, admin_key, BODY)
    path = f"/api/v1/budgets/{created['id']}"
    read_only = api_key_create(
        organization=org, name="ro", scope=ApiKeyScope.READ, created_by=admin.user
    ).raw_key
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    members_key = api_key_create(organization=org, name="m", created_by=member.user).raw_key
    nobodys_key = api_key_create(organization=org, name="cli").raw_key
    for key in (read_only, members_key, nobodys_key):
        assert send(client, "post", "/api/v1/budgets", BODY, key).status_code == 403
        assert send(client, "patch", path, {"amount": 1}, key).status_code == 403
        assert client.delete(path, **auth(key)).status_code == 403
        assert client.get(path, **auth(key)).status_code == 200
    refused = send(client, "post", "/api/v1/budgets", BODY, members_key).json()
    assert refused["error"]["message"] == "Only admins and owners create, edit and delete budgets."
    assert Budget.objects.get().amount == Decimal(10)


def test_a_key_of_a_demoted_admin_stops_writing(client, org, admin, admin_key):
    api_post(client, admin_key, BODY)
    admin.role = Role.MEMBER
    admin.save()
    assert send(client, "post", "/api/v1/budgets", BODY, admin_key).status_code == 403
    assert Budget.objects.count() == 1


def test_signed_in_viewers_read_and_admins_write(client, org, sign_in, spend):
    sign_in(org, Role.VIEWER)
    refused = client.post("/api/v1/budgets", BODY, content_type="application/json")
    assert refused.status_code == 403
    assert not Budget.objects.exists()
    sign_in(org, Role.OWNER)
    created = client.post("/api/v1/budgets", BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Budget.objects.get().created_by.memberships.get().role == Role.OWNER
    sign_in(org, Role.VIEWER)
    assert [b["status"]["spent"] for b in client.get("/api/v1/budgets").json()["results"]] == [2.0]


def test_listing_costs_the_same_queries_for_more_budgets(
    client, admin_key, spend, django_assert_num_queries
):
    for name in ("a", "b"):
        api_post(client, admin_key, {**BODY, "name": name})
    client.get("/api/v1/budgets", **auth(admin_key))  # the key lookup is cached from here
    # The page of budgets, the organization's rollups, its synced providers' days (bill
    # against events), its monthly costs, its expenses.
    with django_assert_num_queries(5):
        client.get("/api/v1/budgets", **auth(admin_key))
    for name in ("c", "d", "e"):
        api_post(
            client, admin_key, {"name": name, "scope": "service", "service": "openai", "amount": 5}
        )
    with django_assert_num_queries(5):
        listed = client.get("/api/v1/budgets", **auth(admin_key)).json()["results"]
    assert len(listed) == 5


def test_the_untracked_spend_alert_is_set_read_back_and_turned_off(client, admin_key, spend):
    body = {"name": "OpenAI", "scope": "service", "service": "openai", "amount": 10}
    created = api_post(client, admin_key, {**body, "untracked_alert_percent": 30})
    assert created["untracked_alert_percent"] == 30
    # No provider synced here: nothing billed, nothing untracked.
    assert (created["status"]["billed"], created["status"]["untracked"]) == (0.0, 0.0)
    path = f"/api/v1/budgets/{created['id']}"
    assert client.get(path, **auth(admin_key)).json()["untracked_alert_percent"] == 30
    patched = send(client, "patch", path, {"untracked_alert_percent": None}, admin_key)
    assert patched.status_code == 200, patched.content
    assert patched.json()["untracked_alert_percent"] is None
    assert Budget.objects.get().untracked_alert_percent is None
