"""Issue 13, numbers add up on Token Optimizer (seed 001): one call per provider convention
and an unknown model, on every field that renders a cost or a token count.

Token Optimizer's `total_tokens` is the whole prompt plus output, the log's
`prompt_tokens` the whole prompt; a cost of only unpriced requests is null, never 0, and
every cost has `unpriced_requests` beside it.
"""

import pytest

from tests.api.numbers import (
    COST,
    DAY,
    EVENTS,
    EXPECTED,
    NOW,
    PRICED_COST,
    TOTAL,
    UNPRICED,
    assert_parts_add_up,
)

WINDOW = {"start_date": DAY, "end_date": DAY}


@pytest.fixture
def calls(record, freeze):
    freeze(NOW)
    record(*EVENTS)


def test_summary_spend_is_the_priced_part_with_the_unpriced_count(api, raw_key, calls):
    body = api.get("/api/metrics/summary", raw_key, **WINDOW).json()
    assert body["total_spend"] == PRICED_COST
    assert body["unpriced_requests"] == UNPRICED
    assert body["total_requests"] == 4
    assert body["avg_cost_per_request"] == round(PRICED_COST / 3, 6)  # over priced requests
    assert body["total_tokens"] == TOTAL["total"]


def test_provider_breakdown_of_an_unknown_model_is_null_not_zero(api, raw_key, calls):
    breakdown = api.get("/api/metrics/summary", raw_key, **WINDOW).json()["provider_breakdown"]
    assert breakdown == {
        "Anthropic": {
            "total_spend": COST["claude-sonnet-4-5"],
            "total_requests": 1,
            "total_tokens": EXPECTED["claude-sonnet-4-5"]["total"],
            "unpriced_requests": 0,
        },
        "OpenAI": {
            "total_spend": COST["gpt-4o"],
            "total_requests": 1,
            "total_tokens": EXPECTED["gpt-4o"]["total"],
            "unpriced_requests": 0,
        },
        "Google": {
            "total_spend": COST["gemini-2.5-flash"],
            "total_requests": 1,
            "total_tokens": EXPECTED["gemini-2.5-flash"]["total"],
            "unpriced_requests": 0,
        },
        "Mistral": {
            "total_spend": None,
            "total_requests": 1,
            "total_tokens": 400,
            "unpriced_requests": 1,
        },
    }


def test_by_model_totals_hold_the_whole_prompt_and_null_for_unpriced(api, raw_key, calls):
    models = api.get("/api/metrics/by-model", raw_key, **WINDOW).json()["models"]
    assert [
        (m["name"], m["total_tokens"], m["total_cost"], m["unpriced_requests"]) for m in models
    ] == [
        ("claude-sonnet-4-5", 12_800, COST["claude-sonnet-4-5"], 0),
        ("gpt-4o", 11_000, COST["gpt-4o"], 0),
        ("gemini-2.5-flash", 6_100, COST["gemini-2.5-flash"], 0),
        ("mystery-model", 400, None, 1),
    ]


def test_by_endpoint_of_an_unknown_model_is_null_not_zero(api, raw_key, calls):
    endpoints = api.get("/api/metrics/by-endpoint", raw_key, **WINDOW).json()["endpoints"]
    assert {e["name"]: (e["total_cost"], e["unpriced_requests"]) for e in endpoints} == {
        "code": (COST["claude-sonnet-4-5"], 0),
        "chat": (COST["gpt-4o"], 0),
        "search": (COST["gemini-2.5-flash"], 0),
        "batch": (None, 1),
    }


def test_hourly_trend_points_null_for_unpriced_zero_for_empty(api, raw_key, calls):
    trends = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="hour",
        start_date="2026-03-20T10:00:00Z",
        end_date="2026-03-20T15:00:00Z",
    ).json()["trends"]
    assert [
        (p["timestamp"][11:16], p["total_tokens"], p["total_cost"], p["unpriced_requests"])
        for p in trends
    ] == [
        ("10:00", 11_000, COST["gpt-4o"], 0),
        ("11:00", 12_800, COST["claude-sonnet-4-5"], 0),
        ("12:00", 6_100, COST["gemini-2.5-flash"], 0),
        ("13:00", 400, None, 1),
        ("14:00", 0, 0.0, 0),  # no requests: nothing unpriced, a true zero
    ]


def test_log_rows_add_up_per_provider(api, raw_key, calls):
    logs = api.get("/api/logs", raw_key, **WINDOW).json()["logs"]
    assert len(logs) == 4
    for row in logs:
        expected = EXPECTED[row["model"]]
        assert (row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (
            expected["input"],
            expected["output"],
            expected["total"],
        )
        assert_parts_add_up(row["prompt_tokens"], row["completion_tokens"], 0, row["total_tokens"])
        assert row["total_cost"] == COST[row["model"]]


def test_log_csv_rows_add_up_and_leave_unpriced_costs_empty(api, raw_key, calls):
    response = api.get("/api/logs", raw_key, format="csv", **WINDOW)
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = {line.split(",")[1].strip('"'): line.split(",") for line in lines[1:]}
    assert rows["claude-sonnet-4-5"][3:6] == ["10800", "2000", "12800"]
    assert rows["mystery-model"][3:9] == ["300", "100", "400", "", "", ""]


def test_an_outsider_sees_none_of_it(api, outsider_key, calls):
    body = api.get("/api/metrics/summary", outsider_key, **WINDOW).json()
    assert (body["total_spend"], body["unpriced_requests"], body["total_tokens"]) == (0.0, 0, 0)
    assert body["provider_breakdown"] == {}
