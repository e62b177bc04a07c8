"""CodingVibez `GET /api/costs/{provider}` for a provider whose admin API is synced: the
bill counts where it is higher than our events (never both), the breakdown follows the
provider's cost lines on the days its bill counts, freshness is the last sync's, and
`reconciliation` compares the two. On the known month of tests/billing/reconciliation_data.py.
"""

import pytest

from tests.billing.reconciliation_data import NOW, march_reconciled

from .helpers import data, error

pytestmark = pytest.mark.django_db

MARCH = {"month": "3", "year": "2026"}


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def test_a_synced_provider_answers_with_its_bill_and_the_reconciliation(api, raw_key, month):
    costs = data(api.get("/api/costs/openai", raw_key, **MARCH))
    assert costs == {
        "service": "openai",
        "month": 3,
        "year": 2026,
        "currency": "USD",
        # Per day the larger side: 2.50 billed, 2.00 of events, 4.25 billed, and 3.00 of
        # events on the 5th, which the bill does not cover yet.
        "currentMonth": 11.75,
        "previousMonth": 0.4,  # billed 0.40 on 27 February against 0.10 of events
        "breakdown": {
            # Billed days (2nd, 4th): 1.20 + 0.80 + 4.00; event days (3rd, 5th): 2.00 + 3.00.
            "gpt-4o": 11.0,
            "gpt-4o-mini": 0.5,
            "(no model)": 0.25,  # the 4th's web search line; the 3rd's counts our events
            "mystery": None,
        },
        "unpricedRequests": 1,
        "unconverted": {},
        "tokenUsage": {
            "inputTokens": 4700,
            "outputTokens": 440,
            "cachedTokens": 200,
            "totalTokens": 5140,
            "requests": 6,
        },
        "lastUpdated": "2026-03-20T11:50:00Z",
        "dataFreshness": "fresh",  # synced 10 minutes ago
        "reconciliation": {
            "billed": 8.25,
            "tracked": 5.0,
            "untracked": 3.75,
            "overReported": 0.5,
            "unconverted": {},
            "syncedDays": 4,
            "notSyncedDays": 16,
            "lastSync": "2026-03-20T11:50:00Z",
        },
    }
    assert sum(value for value in costs["breakdown"].values() if value) == 11.75


def test_freshness_is_the_last_syncs(api, raw_key, month):
    costs = data(api.get("/api/costs/anthropic", raw_key, **MARCH))
    assert (costs["currentMonth"], costs["breakdown"]) == (1.25, {"claude-sonnet-4-0": 1.25})
    assert (costs["lastUpdated"], costs["dataFreshness"]) == ("2026-03-20T11:00:00Z", "stale")
    assert costs["reconciliation"] == {
        "billed": 1.25,
        "tracked": 1.0,
        "untracked": 0.25,
        "overReported": 0.0,
        "unconverted": {},
        "syncedDays": 2,
        "notSyncedDays": 18,
        "lastSync": "2026-03-20T11:00:00Z",
    }


def test_a_service_with_no_synced_provider_has_no_reconciliation(api, raw_key, month):
    costs = data(api.get("/api/costs/google", raw_key, **MARCH))
    assert costs["reconciliation"] is None
    # Freshness stays the latest event's (the 5th's).
    assert (costs["lastUpdated"], costs["dataFreshness"]) == ("2026-03-05T10:00:00Z", "very_stale")


def test_all_costs_count_each_bill_once(api, raw_key, month):
    costs = data(api.get("/api/costs/all", raw_key, **MARCH))
    assert (costs["total"], costs["byProvider"]) == (
        13.0,
        {"openai": 11.75, "anthropic": 1.25},
    )


def test_another_organization_sees_its_own_bill_only(api, outsider_key, month):
    costs = data(api.get("/api/costs/openai", outsider_key, **MARCH))
    assert (costs["currentMonth"], costs["breakdown"]) == (500.0, {"gpt-4o": 500.0})
    assert costs["reconciliation"]["billed"] == 500.0
    assert costs["reconciliation"]["tracked"] == 100.0


def test_no_key_is_401_and_a_bad_month_400(api, raw_key, month):
    assert error(api.get("/api/costs/openai", **MARCH), 401, "AUTHENTICATION_ERROR")
    assert error(api.get("/api/costs/openai", raw_key, month="13"), 400, "VALIDATION_ERROR")


def test_a_synced_read_costs_a_fixed_number_of_queries(
    api, raw_key, month, record, org, django_assert_num_queries
):
    api.get("/api/costs/openai", raw_key, **MARCH)  # warm the key and currency caches
    # The month's reconciliation (integrations, provider days, first billed days, lines with
    # no rate); its split by model (provider days, cost lines, rollups); its manual costs,
    # expenses and usage by model; the month before's four sources; the tokens.
    with django_assert_num_queries(QUERIES):
        data(api.get("/api/costs/openai", raw_key, **MARCH))
    record(
        *(
            {"occurred_at": f"2026-03-{day:02d}T10:00:00Z", "model": f"m-{day}"}
            for day in range(6, 20)
        ),
        organization=org,
    )
    with django_assert_num_queries(QUERIES):
        data(api.get("/api/costs/openai", raw_key, **MARCH))


QUERIES = 15
