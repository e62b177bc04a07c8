"""Issue 13, numbers add up on Tokenwise (seed 003): one call per provider convention and
an unknown model.

A request's `inputTokens` is the whole prompt (Anthropic reports cache reads and writes
apart from its input count), so `totalTokens = inputTokens + outputTokens` for every
provider; its `cost` is nullable in the seed, so an unpriced request's is null. The
metrics' costs are plain numbers in the seed: the priced part, `unpricedRequests` beside.
"""

import pytest

from tests.api.numbers import (
    COST,
    EVENTS,
    EXPECTED,
    NOW,
    PRICED_COST,
    UNPRICED,
    assert_parts_add_up,
)
from tokentracker import services

from .conftest import observe


@pytest.fixture
def calls(record, freeze):
    freeze(NOW)
    record(*EVENTS)


def test_request_rows_add_up_per_provider(api, tw_key, calls):
    rows = api.get("/api/v1/public/requests", tw_key).json()["data"]
    assert {
        row["model"]: (row["inputTokens"], row["outputTokens"], row["totalTokens"], row["cost"])
        for row in rows
    } == {
        model: (parts["input"], parts["output"], parts["total"], COST[model])
        for model, parts in EXPECTED.items()
    }
    for row in rows:
        assert_parts_add_up(row["inputTokens"], row["outputTokens"], 0, row["totalTokens"])


def test_an_observed_anthropic_call_answers_with_the_whole_prompt(api, tw_key):
    response = observe(
        api,
        tw_key,
        provider="anthropic",
        model="claude-sonnet-4-5",
        inputTokens=800,
        cachedInputTokens=8_000,
        cacheCreationTokens=2_000,
        outputTokens=2_000,
    )
    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["inputTokens"], row["outputTokens"], row["totalTokens"], row["cost"]) == (
        10_800,
        2_000,
        12_800,
        COST["claude-sonnet-4-5"],
    )


def test_metrics_cost_is_the_priced_part_with_the_unpriced_count(api, tw_key, calls):
    metrics = api.get("/api/v1/public/metrics", tw_key).json()
    assert (metrics["totalRequests"], metrics["totalCost"], metrics["unpricedRequests"]) == (
        4,
        PRICED_COST,
        UNPRICED,
    )
    assert metrics["byModel"] == [
        {
            "model": "claude-sonnet-4-5",
            "requests": 1,
            "cost": COST["claude-sonnet-4-5"],
            "unpricedRequests": 0,
        },
        {"model": "gpt-4o", "requests": 1, "cost": COST["gpt-4o"], "unpricedRequests": 0},
        {
            "model": "gemini-2.5-flash",
            "requests": 1,
            "cost": COST["gemini-2.5-flash"],
            "unpricedRequests": 0,
        },
        # The seed demands a number: 0 priced, and the one request it leaves out beside it.
        {"model": "mystery-model", "requests": 1, "cost": 0.0, "unpricedRequests": 1},
    ]


def test_an_outsider_sees_none_of_it(api, outsider_org, calls):
    key = services.api_key_create(organization=outsider_org, name="o", prefix="tw_api_").raw_key
    metrics = api.get("/api/v1/public/metrics", key).json()
    assert (metrics["totalCost"], metrics["unpricedRequests"], metrics["byModel"]) == (0.0, 0, [])
    assert api.get("/api/v1/public/requests", key).json()["data"] == []
