"""GET /api/tokens: per provider/model totals over a billing period, from the rollups."""

import pytest

from .helpers import data, error

URL = "/api/tokens"
pytestmark = pytest.mark.django_db

JANUARY = {"billingStartDate": "2026-01-01", "billingEndDate": "2026-01-31"}


def test_each_entry_is_a_provider_and_models_totals_costliest_first(api, raw_key, january):
    usage = data(api.get(URL, raw_key, **JANUARY))
    assert usage["tokens"] == [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "inputTokens": 3000,
            "outputTokens": 500,
            "cachedTokens": 500,
            "totalTokens": 3500,
            "cost": 3.0,
            "requests": 2,
            "unpricedRequests": 0,
        },
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "inputTokens": 100,
            "outputTokens": 100,
            "cachedTokens": 0,
            "totalTokens": 200,
            "cost": 0.25,
            "requests": 1,
            "unpricedRequests": 0,
        },
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "inputTokens": 10,
            "outputTokens": 10,
            "cachedTokens": 0,
            "totalTokens": 20,
            "cost": 0.05,
            "requests": 1,
            "unpricedRequests": 0,
        },
        {
            "provider": "openai",
            "model": "mystery",
            "inputTokens": 300,
            "outputTokens": 0,
            "cachedTokens": 0,
            "totalTokens": 300,
            "cost": None,
            "requests": 1,
            "unpricedRequests": 1,
        },
    ]
    assert usage["billingPeriod"] == {
        "startDate": "2026-01-01",
        "endDate": "2026-01-31",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-02-01T00:00:00Z",
    }
    assert usage["lastUpdated"] == "2026-02-01T00:00:00Z"
    assert usage["dataFreshness"] == "very_stale"


def test_datetimes_are_widened_to_the_hours_they_touch_and_echoed(api, raw_key, january):
    usage = data(
        api.get(
            URL,
            raw_key,
            billingStartDate="2026-01-05T10:30:00Z",
            billingEndDate="2026-01-05T23:30:00Z",
        )
    )
    assert [(t["model"], t["requests"], t["cost"]) for t in usage["tokens"]] == [("gpt-4o", 2, 3.0)]
    assert usage["billingPeriod"] == {
        "startDate": "2026-01-05",
        "endDate": "2026-01-05",
        "start": "2026-01-05T10:00:00Z",
        "end": "2026-01-06T00:00:00Z",
    }


def test_a_start_alone_is_a_month_long_cycle(api, raw_key, january):
    usage = data(api.get(URL, raw_key, billingStartDate="2026-01-15"))
    assert usage["billingPeriod"]["startDate"] == "2026-01-15"
    assert usage["billingPeriod"]["endDate"] == "2026-02-14"
    assert sorted((t["model"], t["cost"]) for t in usage["tokens"]) == [
        ("gpt-4o", 9.0),
        ("gpt-4o-mini", 0.05),
    ]


def test_an_end_alone_is_the_month_long_cycle_up_to_it(api, raw_key, january):
    usage = data(api.get(URL, raw_key, billingEndDate="2026-01-31"))
    assert usage["billingPeriod"]["startDate"] == "2026-01-01"
    assert len(usage["tokens"]) == 4


def test_without_dates_the_period_is_the_current_month(api, org, raw_key, record, freeze):
    freeze("2026-03-17T08:00:00Z")
    record(
        {"occurred_at": "2026-03-17T07:58:00Z", "input_tokens": 5, "total_cost": 0.5},
        organization=org,
    )
    record(
        {"occurred_at": "2026-02-28T23:00:00Z", "input_tokens": 5, "total_cost": 7},
        organization=org,
    )
    usage = data(api.get(URL, raw_key))
    assert usage["billingPeriod"] == {
        "startDate": "2026-03-01",
        "endDate": "2026-03-31",
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-04-01T00:00:00Z",
    }
    assert [(t["requests"], t["cost"]) for t in usage["tokens"]] == [(1, 0.5)]
    assert (usage["lastUpdated"], usage["dataFreshness"]) == ("2026-03-17T07:58:00Z", "fresh")


def test_without_events_there_is_no_data(api, raw_key):
    usage = data(api.get(URL, raw_key, **JANUARY))
    assert (usage["tokens"], usage["lastUpdated"], usage["dataFreshness"]) == ([], None, "no_data")


def test_another_organizations_key_sees_only_its_own(api, outsider_key, january):
    usage = data(api.get(URL, outsider_key, **JANUARY))
    assert [(t["model"], t["cost"]) for t in usage["tokens"]] == [("gpt-4o", 100.0)]
    assert usage["lastUpdated"] == "2026-01-05T12:00:00Z"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"billingStartDate": "2026-02-30"}, "billingStartDate: "),
        ({"billingEndDate": "last month"}, "billingEndDate: "),
        ({"billingStartDate": "2026-02-01", "billingEndDate": "2026-01-31"}, "billingStartDate: "),
        ({"billingStartDate": "1999-12-31"}, "billingStartDate: "),
    ],
)
def test_bad_billing_dates_are_a_400_naming_them(api, raw_key, query, named):
    assert error(api.get(URL, raw_key, **query), 400, "VALIDATION_ERROR").startswith(named)
