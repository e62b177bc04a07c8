"""GET /api/analytics: cost, tokens and requests per UTC bucket, totals and averages."""

import pytest

from .helpers import data, error

URL = "/api/analytics"
pytestmark = pytest.mark.django_db

JANUARY = {"startDate": "2026-01-01", "endDate": "2026-01-31"}


def test_weekly_buckets_with_totals_and_averages(api, raw_key, january):
    analytics = data(api.get(URL, raw_key, groupBy="week", **JANUARY))
    # Weeks start on Monday: 2026-01-01 is a Thursday, so the first bucket starts in 2025.
    assert analytics["series"] == [
        {"date": "2025-12-29", "cost": 0.0, "tokens": 0, "requests": 0},
        {"date": "2026-01-05", "cost": 3.25, "tokens": 4000, "requests": 4},
        {"date": "2026-01-12", "cost": 0.0, "tokens": 0, "requests": 0},
        {"date": "2026-01-19", "cost": 0.0, "tokens": 0, "requests": 0},
        {"date": "2026-01-26", "cost": 0.05, "tokens": 20, "requests": 1},
    ]
    assert analytics["totals"] == {
        "cost": 3.3,
        "tokens": 4020,
        "requests": 5,
        "inputTokens": 3410,
        "outputTokens": 610,
        "cachedTokens": 500,
        "unpricedRequests": 1,
    }
    assert analytics["averages"] == {
        "costPerRequest": 0.825,  # over the 4 priced requests
        "tokensPerRequest": 804.0,
        "costPerPeriod": 0.66,
        "tokensPerPeriod": 804.0,
        "requestsPerPeriod": 1.0,
    }
    assert analytics["groupBy"] == "week"
    assert analytics["period"]["startDate"] == "2026-01-01"


def test_by_day_is_the_default_and_counts_every_day(api, raw_key, january):
    analytics = data(api.get(URL, raw_key, **JANUARY))
    assert analytics["groupBy"] == "day"
    assert len(analytics["series"]) == 31
    assert analytics["series"][9] == {
        "date": "2026-01-10",
        "cost": None,
        "tokens": 300,
        "requests": 1,
    }


def test_by_month_and_by_hour(api, raw_key, january):
    monthly = data(api.get(URL, raw_key, groupBy="month", **JANUARY))
    assert monthly["series"] == [{"date": "2026-01-01", "cost": 3.3, "tokens": 4020, "requests": 5}]
    hourly = data(
        api.get(URL, raw_key, groupBy="hour", startDate="2026-01-05", endDate="2026-01-05")
    )
    assert len(hourly["series"]) == 24
    assert hourly["series"][10] == {
        "date": "2026-01-05T10:00:00Z",
        "cost": 1.0,
        "tokens": 1500,
        "requests": 1,
    }


def test_another_organizations_key_sees_only_its_own(api, outsider_key, january):
    analytics = data(api.get(URL, outsider_key, groupBy="month", **JANUARY))
    assert analytics["totals"]["cost"] == 100.0
    assert analytics["totals"]["requests"] == 1


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"groupBy": "fortnight"}, "groupBy: "),
        ({"groupBy": "hour", "startDate": "2020-01-01", "endDate": "2026-01-01"}, "startDate: "),
        ({"groupBy": "hour", "startDate": "2026-01-01", "endDate": "2026-01-15"}, "startDate: "),
        ({"startDate": "2026-01-02", "endDate": "2026-01-01"}, "startDate: "),
        ({"startDate": "01/02/2026"}, "startDate: "),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, raw_key, query, named):
    assert error(api.get(URL, raw_key, **query), 400, "VALIDATION_ERROR").startswith(named)
