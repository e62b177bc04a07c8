"""GET /api/tokens/timeseries: tokens and cost per UTC day, from the rollups."""

import pytest

from .helpers import data, error

URL = "/api/tokens/timeseries"
pytestmark = pytest.mark.django_db


def test_every_day_of_the_window_with_its_tokens_and_cost(api, raw_key, january):
    timeseries = data(api.get(URL, raw_key, startDate="2026-01-04", endDate="2026-01-06"))
    assert timeseries["series"] == [
        {"date": "2026-01-04", "totalTokens": 0, "cost": 0.0},
        {"date": "2026-01-05", "totalTokens": 3500, "cost": 3.0},
        {"date": "2026-01-06", "totalTokens": 200, "cost": 0.25},
    ]
    assert timeseries["aggregations"] == {
        "totalTokens": 3700,
        "totalCost": 3.25,
        "requests": 3,
        "unpricedRequests": 0,
        "days": 3,
        "daysElapsed": 3,
        "averageDailyTokens": 1233.333333,
        "averageDailyCost": 1.083333333333,
        "peakDay": {"date": "2026-01-05", "totalTokens": 3500, "cost": 3.0},
    }
    assert timeseries["period"]["end"] == "2026-01-07T00:00:00Z"
    assert timeseries["dataFreshness"] == "very_stale"


def test_a_day_of_only_unpriced_calls_has_no_cost_rather_than_zero(api, raw_key, january):
    timeseries = data(api.get(URL, raw_key, startDate="2026-01-10", endDate="2026-01-10"))
    assert timeseries["series"] == [{"date": "2026-01-10", "totalTokens": 300, "cost": None}]
    assert timeseries["aggregations"]["unpricedRequests"] == 1
    assert timeseries["aggregations"]["peakDay"] is None


def test_without_dates_it_is_the_last_30_days_today_included(api, org, raw_key, record, freeze):
    freeze("2026-03-17T08:00:00Z")
    record(
        {"occurred_at": "2026-03-17T07:00:00Z", "input_tokens": 5, "total_cost": 1},
        {"occurred_at": "2026-02-16T23:00:00Z", "input_tokens": 5, "total_cost": 1},
        organization=org,
    )
    timeseries = data(api.get(URL, raw_key))
    assert len(timeseries["series"]) == 30
    assert timeseries["series"][0]["date"] == "2026-02-16"
    assert timeseries["series"][-1] == {"date": "2026-03-17", "totalTokens": 5, "cost": 1.0}
    assert timeseries["aggregations"]["totalCost"] == 2.0


def test_another_organizations_key_sees_only_its_own(api, outsider_key, january):
    timeseries = data(api.get(URL, outsider_key, startDate="2026-01-05", endDate="2026-01-06"))
    assert [point["cost"] for point in timeseries["series"]] == [100.0, 0.0]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"startDate": "2026-13-01"}, "startDate: "),
        ({"endDate": "soon"}, "endDate: "),
        ({"startDate": "2026-01-07", "endDate": "2026-01-06"}, "startDate: "),
        ({"startDate": "2026-01-06T12:00:00Z", "endDate": "2026-01-06T11:00:00Z"}, "startDate: "),
        ({"startDate": "2000-01-01", "endDate": "2040-01-01"}, "startDate: "),  # 14,611 days
    ],
)
def test_bad_dates_are_a_400_naming_them(api, raw_key, query, named):
    assert error(api.get(URL, raw_key, **query), 400, "VALIDATION_ERROR").startswith(named)


def test_daily_averages_divide_by_the_days_that_have_started(api, org, raw_key, record, freeze):
    freeze("2026-03-17T08:00:00Z")
    record(
        {"occurred_at": "2026-03-16T10:00:00Z", "input_tokens": 600, "total_cost": 0.6},
        {"occurred_at": "2026-03-17T07:00:00Z", "input_tokens": 300, "total_cost": 0.3},
        organization=org,
    )
    timeseries = data(api.get(URL, raw_key, startDate="2026-03-16", endDate="2026-03-20"))
    aggregations = timeseries["aggregations"]
    # Five days asked for, two begun (today, 8 hours in, counts whole): 900 / 2, not / 5.
    assert (aggregations["days"], aggregations["daysElapsed"]) == (5, 2)
    assert aggregations["averageDailyTokens"] == 450.0
    assert aggregations["averageDailyCost"] == 0.45
