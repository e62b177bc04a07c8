"""CodingVibez `GET /api/costs/{provider}` and `GET /api/costs/all`: API usage priced from
the catalog plus manual costs, per service and calendar month.

Catalog prices (the pinned genai-prices snapshot, per Mtok): gpt-4o $2.50 input, $1.25
cached, $10 output; claude-sonnet-4-5 and gemini-2.5-flash as in tests/api/numbers.py.
"""

import pytest

from billing.models import Service
from billing.services.manual_costs import manual_cost_create
from tests.api.numbers import ANTHROPIC, GOOGLE, OPENAI
from tokentracker.models import ApiKeyScope
from tokentracker.services import api_key_create

from .helpers import data, error

pytestmark = pytest.mark.django_db

NOW = "2026-03-20T18:00:00Z"
MARCH = {"month": "3", "year": "2026"}


def manual(organization, service, amount, month, **fields):
    manual_cost_create(
        organization_id=organization.id,
        service=service,
        amount=amount,
        month=month,
        year=fields.pop("year", 2026),
        **fields,
    )


@pytest.fixture
def march(org, outsider_org, record, freeze):
    freeze(NOW)
    record(
        OPENAI,  # gpt-4o: 2,000 x 2.50 + 8,000 x 1.25 + 1,000 x 10 per Mtok = $0.025
        # gpt-4o: 100,000 x 2.50 + 10,000 x 10 per Mtok = $0.35, on the month's first moment.
        {"occurred_at": "2026-03-01T00:00:00Z", "input_tokens": 100_000, "output_tokens": 10_000},
        # No catalog price: counted, not valued. The latest event: 10 minutes old.
        {
            "occurred_at": "2026-03-20T17:50:00Z",
            "model": "gpt-mystery",
            "input_tokens": 300,
            "output_tokens": 100,
        },
        ANTHROPIC,  # $0.0423
        GOOGLE,  # $0.00398
        # Bedrock is billed by AWS; a reported cost.
        {
            "occurred_at": "2026-03-10T08:00:00Z",
            "provider": "bedrock",
            "model": "amazon.nova-lite-v1:0",
            "total_cost": 1.5,
        },
        # February: 200,000 x 2.50 per Mtok = $0.50, on its last moment.
        {"occurred_at": "2026-02-28T23:59:59Z", "input_tokens": 200_000},
        organization=org,
    )
    manual(org, "OpenAI", 50, 3, category="Seats", description="ChatGPT Team")
    manual(org, "openai", 20, 3, currency="EUR")  # no EUR rate: unconverted
    manual(org, "cursor", 40, 3)
    manual(org, "openai", 30, 2)
    manual(org, "openai", 999, 4)  # another month
    manual(org, "openai", 888, 3, year=2025)  # another year
    # Another organization's spend, in the same month and services.
    record(
        {"occurred_at": "2026-03-05T12:00:00Z", "input_tokens": 1_000_000},
        organization=outsider_org,
    )
    manual(outsider_org, "openai", 777, 3)
    manual(outsider_org, "cursor", 666, 3)


def test_one_service_adds_catalog_priced_usage_and_manual_costs(api, raw_key, march):
    costs = data(api.get("/api/costs/openai", raw_key, **MARCH))
    assert costs == {
        "service": "openai",
        "month": 3,
        "year": 2026,
        "currency": "USD",
        # 50 by hand + 0.375 of gpt-4o; the EUR cost and the unpriced call left apart.
        "currentMonth": 50.375,
        "previousMonth": 30.5,
        "breakdown": {"(no model)": 50.0, "gpt-4o": 0.375, "gpt-mystery": None},
        "unpricedRequests": 1,
        "unconverted": {"EUR": 20.0},
        "tokenUsage": {
            "inputTokens": 110_300,
            "outputTokens": 11_100,
            "cachedTokens": 8_000,
            "totalTokens": 121_400,
            "requests": 3,
        },
        "lastUpdated": "2026-03-20T17:50:00Z",
        "dataFreshness": "fresh",
        "reconciliation": None,  # no provider synced: see test_costs_reconciled.py
    }
    assert list(costs["breakdown"]) == ["(no model)", "gpt-4o", "gpt-mystery"]


def test_the_service_is_matched_in_any_case_and_providers_map_to_their_service(api, raw_key, march):
    openai = data(api.get("/api/costs/OpenAI", raw_key, **MARCH))
    assert (openai["service"], openai["currentMonth"]) == ("openai", 50.375)
    aws = data(api.get("/api/costs/aws", raw_key, **MARCH))
    assert (aws["currentMonth"], aws["breakdown"], aws["tokenUsage"]["requests"]) == (
        1.5,
        {"amazon.nova-lite-v1:0": 1.5},
        1,
    )
    cursor = data(api.get("/api/costs/cursor", raw_key, **MARCH))
    assert (cursor["currentMonth"], cursor["previousMonth"], cursor["breakdown"]) == (
        40.0,
        0.0,
        {"(no model)": 40.0},
    )
    assert cursor["tokenUsage"] == {
        "inputTokens": 0,
        "outputTokens": 0,
        "cachedTokens": 0,
        "totalTokens": 0,
        "requests": 0,
    }


def test_all_services_with_the_total_and_the_change_against_last_month(api, raw_key, march):
    costs = data(api.get("/api/costs/all", raw_key, **MARCH))
    assert costs == {
        "month": 3,
        "year": 2026,
        "currency": "USD",
        # 50.375 + 40 + 1.5 + 0.0423 + 0.00398
        "total": 91.92128,
        "byProvider": {
            "openai": 50.375,
            "cursor": 40.0,
            "aws": 1.5,
            "anthropic": 0.0423,
            "google": 0.00398,
        },
        "unpricedRequests": 1,
        "unconverted": {"EUR": 20.0},
        # (91.92128 - 30.5) / 30.5 = +201.38%
        "comparison": {"previousMonth": 30.5, "changePercent": 201.38},
    }
    assert list(costs["byProvider"]) == ["openai", "cursor", "aws", "anthropic", "google"]


def test_without_month_and_year_it_is_the_current_utc_month(api, raw_key, march):
    assert data(api.get("/api/costs/all", raw_key))["total"] == 91.92128
    assert data(api.get("/api/costs/openai", raw_key, month="3"))["currentMonth"] == 50.375
    february = data(api.get("/api/costs/all", raw_key, month="2"))
    assert (february["month"], february["year"], february["total"]) == (2, 2026, 30.5)
    # January had nothing: no change to compare against.
    assert february["comparison"] == {"previousMonth": 0.0, "changePercent": None}


def test_a_month_without_spend_is_zero_not_null(api, raw_key, march):
    costs = data(api.get("/api/costs/anthropic", raw_key, month="6", year="2025"))
    assert (costs["currentMonth"], costs["previousMonth"], costs["breakdown"]) == (0.0, 0.0, {})
    assert (costs["unpricedRequests"], costs["unconverted"]) == (0, {})
    every = data(api.get("/api/costs/all", raw_key, month="6", year="2025"))
    assert (every["total"], every["byProvider"], every["comparison"]) == (
        0.0,
        {},
        {"previousMonth": 0.0, "changePercent": None},
    )


def test_spend_that_could_not_be_valued_is_null_never_zero(api, org, raw_key, record, freeze):
    freeze(NOW)
    record({"occurred_at": "2026-01-10T00:00:00Z", "model": "gpt-mystery", "input_tokens": 5})
    manual(org, "vercel", 12, 1, currency="SEK")
    manual(org, "openai", 8, 2)
    openai = data(api.get("/api/costs/openai", raw_key, month="1"))
    assert (openai["currentMonth"], openai["breakdown"], openai["unpricedRequests"]) == (
        None,
        {"gpt-mystery": None},
        1,
    )
    vercel = data(api.get("/api/costs/vercel", raw_key, month="1"))
    assert (vercel["currentMonth"], vercel["breakdown"], vercel["unconverted"]) == (
        None,
        {"(no model)": None},
        {"SEK": 12.0},
    )
    january = data(api.get("/api/costs/all", raw_key, month="1"))
    assert (january["total"], january["byProvider"]) == (None, {"openai": None, "vercel": None})
    february = data(api.get("/api/costs/all", raw_key, month="2"))
    assert february["comparison"] == {"previousMonth": None, "changePercent": None}
    openai_february = data(api.get("/api/costs/openai", raw_key, month="2"))
    assert (openai_february["currentMonth"], openai_february["previousMonth"]) == (8.0, None)


def test_a_fall_to_nothing_priced_has_no_change_percent(api, org, raw_key, record, freeze):
    freeze(NOW)
    manual(org, "aws", 10, 1)
    record({"occurred_at": "2026-02-10T00:00:00Z", "model": "gpt-mystery", "input_tokens": 5})
    assert data(api.get("/api/costs/all", raw_key, month="2"))["comparison"] == {
        "previousMonth": 10.0,
        "changePercent": None,
    }
    manual(org, "aws", 7.5, 2)
    assert data(api.get("/api/costs/all", raw_key, month="2"))["comparison"] == {
        "previousMonth": 10.0,
        "changePercent": -25.0,
    }


@pytest.mark.parametrize("service", Service.values)
def test_each_of_the_thirteen_services_is_served(api, raw_key, service):
    assert len(Service.values) == 13
    costs = data(api.get(f"/api/costs/{service.upper()}", raw_key, **MARCH))
    assert (costs["service"], costs["currentMonth"], costs["dataFreshness"]) == (
        service,
        0.0,
        "no_data",
    )


@pytest.mark.parametrize("path", ["/api/costs/netlify", "/api/costs/mistral", "/api/costs/total"])
def test_a_service_outside_the_thirteen_is_a_validation_error_not_a_404(api, raw_key, path):
    # `other` (expenses with another vendor) is served too: tests/billing/test_expense_spend.py
    message = error(api.get(path, raw_key), 400, "VALIDATION_ERROR")
    assert message == (
        "provider: must be one of openai, anthropic, google, aws, gcp, azure, vercel, "
        "supabase, cursor, github, lovable, kiro, replit, or other"
    )


@pytest.mark.parametrize("path", ["/api/costs/openai", "/api/costs/all"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"month": "13"}, "month"),
        ({"month": "0"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "-1"}, "month"),
        ({"month": "3.0"}, "month"),
        ({"year": "1999"}, "year"),
        ({"year": "2101"}, "year"),
        ({"year": "26e2"}, "year"),
    ],
)
def test_a_bad_month_or_year_is_a_validation_error_naming_it(api, raw_key, path, query, field):
    message = error(api.get(path, raw_key, **query), 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: must be a whole number from ")


def test_fixed_paths_are_not_taken_for_services(api, raw_key):
    # /api/costs/manual takes POST only; it is not the service "manual".
    response = api.get("/api/costs/manual", raw_key)
    assert response.status_code == 405
    assert data(api.get("/api/costs/all", raw_key))["byProvider"] == {}


@pytest.mark.parametrize("path", ["/api/costs/openai", "/api/costs/all"])
def test_no_key_is_an_authentication_error(api, path):
    error(api.get(path, **MARCH), 401, "AUTHENTICATION_ERROR")
    error(api.get(path, "isv_live_sk_" + "x" * 40, **MARCH), 401, "AUTHENTICATION_ERROR")


def test_another_organizations_key_sees_only_its_own_costs(api, outsider_key, march):
    openai = data(api.get("/api/costs/openai", outsider_key, **MARCH))
    # 1,000,000 x $2.50 per Mtok + 777 by hand; none of acme's.
    assert (openai["currentMonth"], openai["breakdown"], openai["unconverted"]) == (
        779.5,
        {"(no model)": 777.0, "gpt-4o": 2.5},
        {},
    )
    assert openai["tokenUsage"]["inputTokens"] == 1_000_000
    every = data(api.get("/api/costs/all", outsider_key, **MARCH))
    assert (every["total"], every["byProvider"]) == (1445.5, {"openai": 779.5, "cursor": 666.0})


def test_a_read_only_key_and_a_viewer_can_read(api, org, march, viewer_client):
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert data(api.get("/api/costs/all", read_only, **MARCH))["total"] == 91.92128
    assert data(viewer_client.get("/api/costs/openai", MARCH))["currentMonth"] == 50.375


# Usage, manual costs, expenses and untracked spend (synced providers' bills beyond the
# events) of the month and of the month before (8), the service's tokens and the latest event
# for its freshness; for openai, whether its provider is synced (its integrations: none).
@pytest.mark.parametrize(("path", "queries"), [("/api/costs/openai", 11), ("/api/costs/all", 8)])
def test_a_read_costs_a_fixed_number_of_queries(
    api, org, raw_key, record, path, queries, django_assert_num_queries
):
    record(*({"model": f"model-{n}", "input_tokens": n} for n in range(20)), organization=org)
    for month in range(1, 13):
        manual(org, "openai", month, month)
    api.get(path, raw_key)  # warm the key and currency caches
    with django_assert_num_queries(queries):
        data(api.get(path, raw_key))


def test_the_endpoints_are_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    provider = schema["paths"]["/api/costs/{provider}"]["get"]
    assert {p["name"] for p in provider["parameters"]} == {"provider", "month", "year"}
    assert set(provider["responses"]) >= {"200", "400", "401", "403"}
    every = schema["paths"]["/api/costs/all"]["get"]
    assert {p["name"] for p in every["parameters"]} == {"month", "year"}
    published = client.get("/public/openapi.json").json()
    assert {"/api/costs/{provider}", "/api/costs/all"} <= set(published["paths"])
