"""CodingVibez `POST /api/costs/manual`."""

import json
from decimal import Decimal

import pytest

from billing.models import ManualCost
from tokentracker.models import ApiKeyScope, ExchangeRate, Role
from tokentracker.services import api_key_create

from .helpers import data, error

pytestmark = pytest.mark.django_db

SEED = {
    "service": "OpenAI",
    "amount": 50.00,
    "month": 1,
    "year": 2026,
    "category": "API Calls",
    "description": "Monthly subscription",
}


def post(client, body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/costs/manual", payload, content_type="application/json", **headers)


def test_the_seed_example_is_stored_in_the_reporting_currency(client, org, raw_key):
    body = data(post(client, SEED, raw_key))
    assert {k: v for k, v in body.items() if k not in {"id", "createdAt"}} == {
        "service": "openai",
        "amount": 50.0,
        "currency": "USD",
        "convertedAmount": 50.0,
        "reportingCurrency": "USD",
        "month": 1,
        "year": 2026,
        "category": "API Calls",
        "description": "Monthly subscription",
    }
    cost = ManualCost.objects.get(organization=org)
    assert str(cost.pk) == body["id"]
    assert (cost.service, cost.amount, cost.converted_amount) == (
        "openai",
        Decimal("50"),
        Decimal("50"),
    )


def test_euros_are_converted_at_the_rate_of_the_months_last_day(client, org, raw_key):
    # 31 January 2026 is a Saturday: Friday's rate is the rate of that day.
    ExchangeRate.objects.create(day="2026-01-30", currency="USD", rate=Decimal("1.25"))
    ExchangeRate.objects.create(day="2026-01-02", currency="USD", rate=Decimal("2"))
    body = data(post(client, {**SEED, "amount": 40, "currency": "eur"}, raw_key))
    assert (body["amount"], body["currency"], body["convertedAmount"]) == (40.0, "EUR", 50.0)
    assert ManualCost.objects.get().converted_amount == Decimal("50")


def test_without_a_rate_the_cost_is_kept_unconverted(client, org, raw_key):
    body = data(post(client, {**SEED, "amount": 12.5, "currency": "SEK"}, raw_key))
    assert (body["amount"], body["currency"], body["convertedAmount"]) == (12.5, "SEK", None)
    cost = ManualCost.objects.get()
    assert (cost.amount, cost.currency, cost.converted_amount) == (Decimal("12.5"), "SEK", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "mistral"}, "service"),
        ({"service": None}, "service"),
        ({"month": 13}, "month"),
        ({"month": 0}, "month"),
        ({"month": "1"}, "month"),
        ({"year": 1999}, "year"),
        ({"amount": -1}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": True}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"category": "x" * 101}, "category"),
        ({"description": 5}, "description"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(client, raw_key, change, field):
    message = error(post(client, {**SEED, **change}, raw_key), 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: ")
    assert not ManualCost.objects.exists()


def test_a_service_outside_the_thirteen_is_not_a_404(client, raw_key):
    message = error(post(client, {**SEED, "service": "netlify"}, raw_key), 400, "VALIDATION_ERROR")
    assert "openai, anthropic, google, aws, gcp, azure, vercel" in message


def test_a_body_that_is_not_an_object_is_a_validation_error(client, raw_key):
    error(post(client, "[1, 2]", raw_key), 400, "VALIDATION_ERROR")
    error(post(client, "{not json", raw_key), 400, "VALIDATION_ERROR")
    assert not ManualCost.objects.exists()


def test_no_key_is_401(client):
    error(post(client, SEED), 401, "AUTHENTICATION_ERROR")
    assert not ManualCost.objects.exists()


def test_a_read_only_key_is_403(client, org):
    key = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    error(post(client, SEED, key), 403, "AUTHORIZATION_ERROR")
    assert not ManualCost.objects.exists()


def test_an_outsider_key_writes_to_its_own_organization_only(
    client, org, outsider_org, outsider_key
):
    data(post(client, SEED, outsider_key))
    assert ManualCost.objects.filter(organization=org).count() == 0
    assert ManualCost.objects.filter(organization=outsider_org).count() == 1


def test_a_signed_in_member_records_who_added_it(client, org, sign_in):
    user = sign_in(org, Role.MEMBER)
    data(post(client, SEED))
    assert ManualCost.objects.get(organization=org).created_by == user


def test_a_viewer_member_is_403(client, org, sign_in):
    sign_in(org, Role.VIEWER)
    error(post(client, SEED), 403, "AUTHORIZATION_ERROR")
    assert not ManualCost.objects.exists()
