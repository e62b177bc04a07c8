"""`/api/v1/manual-costs`: list, add, one, delete; scoped to the key's organization."""

import json
from decimal import Decimal

import pytest

from billing.models import ManualCost
from billing.services.manual_costs import manual_cost_create
from tokentracker.models import ApiKeyScope, ExchangeRate
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

BODY = {"service": "Anthropic", "amount": "19.99", "month": 2, "year": 2026, "category": "Seats"}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_cost_is_added_converted_and_read_back(api, client, org, raw_key):
    ExchangeRate.objects.create(day="2026-02-27", currency="USD", rate=Decimal("1.2"))
    response = api.post("/api/v1/manual-costs", {**BODY, "currency": "EUR"}, raw_key)
    assert response.status_code == 201, response.content
    created = response.json()
    assert {k: v for k, v in created.items() if k not in {"id", "created_at"}} == {
        "service": "anthropic",
        "amount": 19.99,
        "currency": "EUR",
        "converted_amount": 23.988,
        "converted_currency": "USD",
        "month": 2,
        "year": 2026,
        "category": "Seats",
        "description": "",
    }
    one = client.get(f"/api/v1/manual-costs/{created['id']}", **auth(raw_key))
    assert one.json() == created
    listed = client.get("/api/v1/manual-costs", **auth(raw_key)).json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]


def test_no_rate_leaves_it_unconverted(api, raw_key):
    response = api.post("/api/v1/manual-costs", {**BODY, "currency": "SEK"}, raw_key)
    assert response.status_code == 201, response.content
    assert response.json()["converted_amount"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "netlify"}, "service"),
        ({"month": 13}, "month"),
        ({"amount": -5}, "amount"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, raw_key, change, field):
    response = api.post("/api/v1/manual-costs", {**BODY, **change}, raw_key)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert list(response.json()["error"]["details"]) == [field]
    assert not ManualCost.objects.exists()


def test_no_key_is_401_and_a_read_only_key_cannot_write(api, client, org):
    assert api.post("/api/v1/manual-costs", BODY).status_code == 401
    assert client.get("/api/v1/manual-costs").status_code == 401
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert api.post("/api/v1/manual-costs", BODY, read_only).status_code == 403
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    deleted = client.delete(f"/api/v1/manual-costs/{cost.pk}", **auth(read_only))
    assert deleted.status_code == 403
    assert ManualCost.objects.count() == 1
    listed = client.get("/api/v1/manual-costs", **auth(read_only)).json()["results"]
    assert [row["id"] for row in listed] == [cost.pk]


def test_an_outsider_sees_and_deletes_nothing(client, org, outsider_key):
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    assert client.get("/api/v1/manual-costs", **auth(outsider_key)).json()["results"] == []
    assert client.get(f"/api/v1/manual-costs/{cost.pk}", **auth(outsider_key)).status_code == 404
    deleted = client.delete(f"/api/v1/manual-costs/{cost.pk}", **auth(outsider_key))
    assert deleted.status_code == 404
    assert ManualCost.objects.filter(pk=cost.pk).exists()


def test_delete_and_filters(client, org, raw_key):
    kept = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    gone = manual_cost_create(organization_id=org.id, service="gcp", amount=2, month=3, year=2026)
    listed = client.get("/api/v1/manual-costs", {"service": "aws"}, **auth(raw_key)).json()
    assert [row["id"] for row in listed["results"]] == [kept.pk]
    assert client.delete(f"/api/v1/manual-costs/{gone.pk}", **auth(raw_key)).status_code == 204
    assert list(ManualCost.objects.values_list("pk", flat=True)) == [kept.pk]
    assert client.get("/api/v1/manual-costs/nope", **auth(raw_key)).status_code == 404


def patch(client, cost_id, body, key=None):
    headers = auth(key) if key else {}
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.patch(
        f"/api/v1/manual-costs/{cost_id}", payload, content_type="application/json", **headers
    )


def test_an_edit_changes_the_fields_sent_and_converts_again(client, org, raw_key):
    ExchangeRate.objects.create(day="2026-02-27", currency="USD", rate=Decimal("1.2"))
    cost = manual_cost_create(
        organization_id=org.id, service="aws", amount=10, month=2, year=2026, category="Cloud"
    )
    response = patch(client, cost.pk, {"amount": "25", "currency": "EUR"}, raw_key)
    assert response.status_code == 200, response.content
    edited = response.json()
    assert {k: v for k, v in edited.items() if k != "created_at"} == {
        "id": cost.pk,
        "service": "aws",
        "amount": 25.0,
        "currency": "EUR",
        "converted_amount": 30.0,
        "converted_currency": "USD",
        "month": 2,
        "year": 2026,
        "category": "Cloud",
        "description": "",
    }
    assert client.get(f"/api/v1/manual-costs/{cost.pk}", **auth(raw_key)).json() == edited


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": 13, "amount": 3}, "month"),
        ({"service": "netlify"}, "service"),
        ({"amount": "lots"}, "amount"),
        ([1, 2], "body"),
    ],
)
def test_a_bad_edit_is_a_422_naming_the_field_and_changes_nothing(
    client, org, raw_key, body, field
):
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    response = patch(client, cost.pk, body, raw_key)
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["details"]) == [field]
    cost.refresh_from_db()
    assert (cost.service, cost.amount, cost.month) == ("aws", Decimal("1"), 1)


def test_an_edit_needs_a_write_key_of_the_organization(client, org, outsider_key):
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    assert patch(client, cost.pk, {"amount": 9}).status_code == 401
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert patch(client, cost.pk, {"amount": 9}, read_only).status_code == 403
    assert patch(client, cost.pk, {"amount": 9}, outsider_key).status_code == 404
    cost.refresh_from_db()
    assert cost.amount == Decimal("1")


def test_a_whole_replacement_is_not_offered(client, org, raw_key):
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    body = json.dumps({**BODY, "amount": "5"})
    response = client.put(
        f"/api/v1/manual-costs/{cost.pk}", body, content_type="application/json", **auth(raw_key)
    )
    assert response.status_code == 405
