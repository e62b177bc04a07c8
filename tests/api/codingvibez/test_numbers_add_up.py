"""Issue 13, numbers add up on CodingVibez (seed 004): one call per provider convention
and an unknown model, on `/api/tokens`, `/api/tokens/timeseries`, `/api/tokens/burn-rate`,
`/api/analytics` and `/api/costs/*`.

`inputTokens` is the whole prompt (uncached + cache read + cache write), `cachedTokens`
the cache reads within it, and every total is input + output: before, OpenAI's cached
tokens were counted twice and Anthropic's cache writes nowhere. A cost of only unpriced
requests is null; any other is the priced part with `unpricedRequests` beside it.
"""

import pytest

from tests.api.numbers import (
    COST,
    DAY,
    EVENTS,
    EXPECTED,
    NOW,
    PRICED_COST,
    REPORTED_INPUT,
    TOTAL,
    UNPRICED,
    assert_parts_add_up,
)

from .helpers import data

pytestmark = pytest.mark.django_db

ONE_DAY = {"startDate": DAY, "endDate": DAY}


@pytest.fixture
def calls(record, freeze):
    freeze(NOW)
    record(*EVENTS)


def test_tokens_entries_add_up_per_provider(api, raw_key, calls):
    usage = data(api.get("/api/tokens", raw_key, billingStartDate=DAY, billingEndDate=DAY))
    entries = {entry["model"]: entry for entry in usage["tokens"]}
    for model, parts in EXPECTED.items():
        entry = entries[model]
        assert (
            entry["inputTokens"],
            entry["outputTokens"],
            entry["cachedTokens"],
            entry["totalTokens"],
            entry["cost"],
        ) == (parts["input"], parts["output"], parts["cached"], parts["total"], COST[model])
        assert_parts_add_up(
            entry["inputTokens"], entry["outputTokens"], entry["cachedTokens"], entry["totalTokens"]
        )
    assert (entries["mystery-model"]["cost"], entries["mystery-model"]["unpricedRequests"]) == (
        None,
        1,
    )


def test_analytics_totals_add_up_with_the_priced_part_and_the_unpriced_count(api, raw_key, calls):
    analytics = data(api.get("/api/analytics", raw_key, **ONE_DAY))
    totals = analytics["totals"]
    assert totals == {
        "cost": PRICED_COST,
        "tokens": TOTAL["total"],
        "requests": 4,
        "inputTokens": TOTAL["input"],  # 26,100, not the 16,100 reported
        "outputTokens": TOTAL["output"],
        "cachedTokens": TOTAL["cached"],
        "unpricedRequests": UNPRICED,
    }
    assert totals["inputTokens"] != REPORTED_INPUT
    assert_parts_add_up(
        totals["inputTokens"], totals["outputTokens"], totals["cachedTokens"], totals["tokens"]
    )
    assert analytics["averages"]["costPerRequest"] == round(PRICED_COST / 3, 12)


def test_analytics_hourly_points_are_null_when_wholly_unpriced(api, raw_key, calls):
    analytics = data(api.get("/api/analytics", raw_key, groupBy="hour", **ONE_DAY))
    points = {point["date"][11:16]: point for point in analytics["series"]}
    assert points["11:00"] == {
        "date": "2026-03-20T11:00:00Z",
        "cost": COST["claude-sonnet-4-5"],
        "tokens": 12_800,
        "requests": 1,
    }
    assert points["13:00"]["cost"] is None
    assert points["14:00"]["cost"] == 0.0  # no requests at all


def test_a_wholly_unpriced_window_has_null_costs_not_zero(api, raw_key, record, freeze):
    freeze(NOW)
    record(EVENTS[-1])
    analytics = data(api.get("/api/analytics", raw_key, **ONE_DAY))
    assert (analytics["totals"]["cost"], analytics["totals"]["unpricedRequests"]) == (None, 1)
    assert analytics["averages"]["costPerRequest"] is None
    assert analytics["averages"]["costPerPeriod"] is None
    timeseries = data(api.get("/api/tokens/timeseries", raw_key, **ONE_DAY))
    aggregations = timeseries["aggregations"]
    assert (aggregations["totalCost"], aggregations["averageDailyCost"]) == (None, None)
    assert aggregations["unpricedRequests"] == 1
    burn = data(api.get("/api/tokens/burn-rate", raw_key, hours=24))
    assert burn["burnRate"] == {
        "tokensPerHour": round(400 / 24, 6),
        "costPerHour": None,
        "tokensPerDay": 400.0,
        "costPerDay": None,
        "unpricedRequests": 1,
    }
    assert burn["byService"]["mistral"]["totalCost"] is None


def test_timeseries_and_burn_rate_cost_the_priced_part(api, raw_key, calls):
    timeseries = data(api.get("/api/tokens/timeseries", raw_key, **ONE_DAY))
    assert timeseries["series"] == [
        {"date": DAY, "totalTokens": TOTAL["total"], "cost": PRICED_COST}
    ]
    aggregations = timeseries["aggregations"]
    assert (aggregations["totalCost"], aggregations["unpricedRequests"]) == (PRICED_COST, 1)
    burn = data(api.get("/api/tokens/burn-rate", raw_key, hours=24))
    assert burn["burnRate"]["costPerDay"] == PRICED_COST
    assert burn["burnRate"]["unpricedRequests"] == UNPRICED
    assert {
        service: (rate["totalTokens"], rate["totalCost"], rate["unpricedRequests"])
        for service, rate in burn["byService"].items()
    } == {
        "anthropic": (12_800, COST["claude-sonnet-4-5"], 0),
        "openai": (11_000, COST["gpt-4o"], 0),
        "google": (6_100, COST["gemini-2.5-flash"], 0),
        "mistral": (400, None, 1),
    }


def test_an_outsider_sees_none_of_it(api, outsider_key, calls):
    totals = data(api.get("/api/analytics", outsider_key, **ONE_DAY))["totals"]
    assert (totals["cost"], totals["tokens"], totals["unpricedRequests"]) == (0.0, 0, 0)


def test_costs_token_usage_and_breakdown_add_up_per_service(api, raw_key, calls):
    month = {"month": DAY[5:7], "year": DAY[:4]}
    for service, model in (
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5"),
        ("google", "gemini-2.5-flash"),
    ):
        costs = data(api.get(f"/api/costs/{service}", raw_key, **month))
        parts = EXPECTED[model]
        assert costs["tokenUsage"] == {
            "inputTokens": parts["input"],
            "outputTokens": parts["output"],
            "cachedTokens": parts["cached"],
            "totalTokens": parts["total"],
            "requests": 1,
        }
        usage = costs["tokenUsage"]
        assert_parts_add_up(
            usage["inputTokens"], usage["outputTokens"], usage["cachedTokens"], usage["totalTokens"]
        )
        assert (costs["currentMonth"], costs["breakdown"]) == (COST[model], {model: COST[model]})
    every = data(api.get("/api/costs/all", raw_key, **month))
    assert (every["total"], every["unpricedRequests"]) == (PRICED_COST, UNPRICED)
    assert every["byProvider"]["mistral"] is None  # outside the 13, wholly unpriced
