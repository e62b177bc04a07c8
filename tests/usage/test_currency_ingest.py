"""Costs in other currencies through the one ingest service: kept as sent, converted to the
organization's reporting currency at the rate of the event's day, or left unconverted."""

from decimal import Decimal

import pytest

from tests.money import rates_load
from usage.models import CostSource, HourlyRollup, UsageEvent

pytestmark = pytest.mark.django_db
FRIDAY = "2024-05-03T12:00:00Z"


def event(**fields):
    return {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 0,
        "occurred_at": FRIDAY,
        **fields,
    }


def test_a_euro_cost_is_kept_as_sent_and_converted_to_dollars(api, org, raw_key, freeze):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    response = api.post("/api/v1/events", event(total_cost=2.5, currency="EUR"), key=raw_key)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "success": True,
        "created": 1,
        "total_cost": 2.68625,
        "duplicates": 0,
        "unpriced": 0,
        "rejected": 0,
        "errors": [],
    }
    stored = UsageEvent.objects.get(organization=org)
    assert stored.total_cost == Decimal("2.686250000000")  # 2.50 EUR * 1.0745
    assert (stored.reported_amount, stored.reported_currency) == (Decimal("2.5"), "EUR")
    assert (stored.currency, stored.cost_source) == ("USD", CostSource.REPORTED)


def test_a_lower_case_code_is_read_as_upper_case(api, org, raw_key, freeze):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    api.post("/api/v1/events", event(total_cost=1, currency="gbp"), key=raw_key)
    stored = UsageEvent.objects.get(organization=org)
    assert stored.reported_currency == "GBP"
    assert stored.total_cost == Decimal("1.253894717188")  # 1 GBP * 1.0745 / 0.85693


@pytest.mark.parametrize("currency", ["EURO", "XYZ", "", 5])
def test_a_currency_that_is_not_iso_4217_is_a_422_naming_the_field(api, raw_key, currency):
    response = api.post("/api/v1/events", event(total_cost=1, currency=currency), key=raw_key)
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [error["field"] for error in errors] == ["currency"]
    if isinstance(currency, str):
        assert errors[0]["message"] == "must be an ISO 4217 currency code, e.g. EUR"
    assert not UsageEvent.objects.exists()


def test_a_batch_names_the_event_with_the_bad_currency_and_keeps_the_others(api, org, raw_key):
    body = {"events": [event(total_cost=1), event(total_cost=1, currency="EUROS")]}
    response = api.post("/api/v1/events", body, key=raw_key)
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["rejected"]) == (1, 1)
    assert response.json()["errors"] == [
        {"index": 1, "field": "currency", "message": "must be an ISO 4217 currency code, e.g. EUR"}
    ]
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.reported_currency) == (Decimal("1.000000000000"), "USD")


def test_a_cost_without_a_rate_is_unconverted_never_zero(api, org, raw_key, record, freeze):
    freeze("2024-05-04T00:00:00Z")
    response = api.post("/api/v1/events", event(total_cost=12.3, currency="EUR"), key=raw_key)
    assert response.json()["total_cost"] == 0.0
    assert response.json()["unpriced"] == 1
    stored = UsageEvent.objects.get(organization=org)
    assert stored.total_cost is None
    assert stored.cost_source == CostSource.UNCONVERTED
    assert (stored.reported_amount, stored.reported_currency) == (Decimal("12.3"), "EUR")
    record(event(total_cost=1.0))  # a USD cost in the same hour, and merges the rollups
    rollup = HourlyRollup.objects.get(organization=org)
    assert (rollup.events, rollup.priced_events, rollup.unpriced_events) == (2, 1, 1)
    assert rollup.cost == Decimal("1")


def test_a_dollar_cost_of_a_dollar_organization_needs_no_rate(org, record):
    record(event(total_cost=0.5))
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.currency, stored.reported_currency) == (
        Decimal("0.5"),
        "USD",
        "USD",
    )


def test_catalog_prices_are_converted_for_a_euro_organization(org, record, freeze):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    org.reporting_currency = "EUR"
    org.save()
    # gpt-4o: 1,000 input tokens at $2.50/Mtok = $0.0025; 100 output at $10/Mtok = $0.001.
    record(event(output_tokens=100))
    stored = UsageEvent.objects.get(organization=org)
    assert stored.cost_source == CostSource.CATALOG
    assert stored.currency == "EUR"
    assert stored.catalog_cost_usd == Decimal("0.0035")
    assert stored.input_cost == Decimal("0.002326663564")  # 0.0025 / 1.0745
    assert stored.output_cost == Decimal("0.000930665426")  # 0.001 / 1.0745
    assert stored.total_cost == Decimal("0.003257328990")  # the parts' sum
    assert stored.reported_amount is None
    assert HourlyRollup.objects.get(organization=org).cost == Decimal("0.003257328990")


def test_a_euro_cost_of_a_euro_organization_is_kept_exactly(org, record):
    org.reporting_currency = "EUR"
    org.save()
    record(event(total_cost=12.3, currency="EUR"))
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.currency, stored.cost_source) == (
        Decimal("12.3"),
        "EUR",
        CostSource.REPORTED,
    )


def test_an_unknown_model_stays_unpriced_in_any_currency(org, record, freeze):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    org.reporting_currency = "EUR"
    org.save()
    record(event(model="no-such-model"))
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.cost_source, stored.catalog_cost_usd) == (
        None,
        CostSource.UNPRICED,
        None,
    )


def test_the_events_api_shows_the_cost_as_reported_and_as_converted(
    api, org, raw_key, outsider_key, freeze
):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    api.post("/api/v1/events", event(total_cost=2.5, currency="EUR"), key=raw_key)
    (shown,) = api.get("/api/v1/events", key=raw_key).json()["results"]
    assert {
        name: shown[name]
        for name in (
            "total_cost",
            "currency",
            "cost_source",
            "reported_amount",
            "reported_currency",
        )
    } == {
        "total_cost": 2.68625,
        "currency": "USD",
        "cost_source": "reported",
        "reported_amount": 2.5,
        "reported_currency": "EUR",
    }
    assert api.get("/api/v1/events", key=outsider_key).json()["results"] == []
    assert api.get("/api/v1/events").status_code == 401


def test_codingvibez_track_takes_a_currency(api, org, raw_key, freeze):
    freeze("2024-05-03T12:00:00Z")
    rates_load()
    body = {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 5}
    response = api.post("/api/tokens/track", {**body, "cost": 2.5, "currency": "eur"}, raw_key)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["cost"] == 2.68625
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.reported_amount, stored.reported_currency) == (Decimal("2.5"), "EUR")


def test_codingvibez_refuses_a_bad_currency_in_its_envelope(api, raw_key):
    body = {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 5}
    response = api.post("/api/tokens/track", {**body, "cost": 1, "currency": "EURO"}, raw_key)
    assert response.status_code == 400
    assert response.json()["error"] == "currency: must be an ISO 4217 currency code, e.g. EUR"
    ingest = {"type": "cost", "service": "openai", "data": [{"amount": 1, "currency": "XX"}]}
    response = api.post("/api/ingest", ingest, raw_key)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "data[0].currency: must be an ISO 4217 currency code, e.g. EUR"
    )
    assert not UsageEvent.objects.exists()


def test_codingvibez_ingest_keeps_each_records_currency(api, org, raw_key, freeze):
    freeze("2024-05-03T12:00:00Z")
    rates_load()
    ingest = {
        "type": "cost",
        "service": "openai",
        "data": [{"amount": 10, "currency": "GBP"}, {"amount": 1}],
    }
    response = api.post("/api/ingest", ingest, raw_key)
    assert response.status_code == 200, response.content
    assert sorted(
        UsageEvent.objects.filter(organization=org).values_list("reported_currency", "total_cost")
    ) == [("GBP", Decimal("12.538947171881")), ("USD", Decimal("1"))]
