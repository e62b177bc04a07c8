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
        "periodsElapsed": 5,
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


@pytest.fixture
def today_until_nine(org, record, freeze):
    """9 requests by 09:30 UTC on 2026-03-17, one in each hour from midnight."""
    freeze("2026-03-17T09:30:00Z")
    record(
        *(
            {"occurred_at": f"2026-03-17T{hour:02d}:10:00Z", "input_tokens": 100, "total_cost": 0.5}
            for hour in range(9)
        ),
        organization=org,
    )


def test_hourly_averages_count_only_the_hours_begun_today(api, raw_key, today_until_nine):
    analytics = data(
        api.get(URL, raw_key, groupBy="hour", startDate="2026-03-17", endDate="2026-03-17")
    )
    # The series still shows all 24 hours; the averages divide by the 10 hours begun
    # (00:00 to 09:00, the current hour counted whole), not by 24.
    assert len(analytics["series"]) == 24
    assert analytics["series"][23] == {
        "date": "2026-03-17T23:00:00Z",
        "cost": 0.0,
        "tokens": 0,
        "requests": 0,
    }
    assert analytics["averages"] == {
        "costPerRequest": 0.5,
        "tokensPerRequest": 100.0,
        "costPerPeriod": 0.45,
        "tokensPerPeriod": 90.0,
        "requestsPerPeriod": 0.9,
        "periodsElapsed": 10,
    }


@pytest.mark.parametrize(
    ("group_by", "dates", "buckets", "elapsed", "per_period"),
    [
        # 2026-03-17 is a Tuesday; the window runs to the end of the month.
        ("day", {"startDate": "2026-03-15", "endDate": "2026-03-31"}, 17, 3, 3.0),
        ("week", {"startDate": "2026-03-01", "endDate": "2026-03-31"}, 6, 4, 2.25),
        ("month", {"startDate": "2026-01-01", "endDate": "2026-12-31"}, 12, 3, 3.0),
    ],
)
def test_day_week_and_month_averages_leave_out_the_periods_ahead(
    api, raw_key, today_until_nine, group_by, dates, buckets, elapsed, per_period
):
    analytics = data(api.get(URL, raw_key, groupBy=group_by, **dates))
    assert len(analytics["series"]) == buckets
    assert analytics["averages"]["periodsElapsed"] == elapsed
    assert analytics["averages"]["requestsPerPeriod"] == per_period


def test_a_window_wholly_ahead_has_no_elapsed_period_and_zero_averages(
    api, raw_key, today_until_nine
):
    analytics = data(api.get(URL, raw_key, startDate="2026-04-01", endDate="2026-04-30"))
    assert len(analytics["series"]) == 30
    assert analytics["averages"] == {
        "costPerRequest": 0.0,
        "tokensPerRequest": 0.0,
        "costPerPeriod": 0.0,
        "tokensPerPeriod": 0.0,
        "requestsPerPeriod": 0.0,
        "periodsElapsed": 0,
    }


def test_an_hour_ahead_that_already_holds_usage_is_counted(api, org, raw_key, record, freeze):
    freeze("2026-03-17T09:30:00Z")
    # Ingest accepts events dated up to a day ahead (a client clock running fast).
    record(
        {"occurred_at": "2026-03-17T08:10:00Z", "input_tokens": 100},
        {"occurred_at": "2026-03-17T20:10:00Z", "input_tokens": 100},
        organization=org,
    )
    analytics = data(
        api.get(URL, raw_key, groupBy="hour", startDate="2026-03-17", endDate="2026-03-17")
    )
    assert analytics["averages"]["periodsElapsed"] == 11
    assert analytics["averages"]["tokensPerPeriod"] == 18.181818


def test_elapsed_periods_need_a_key(api, today_until_nine):
    response = api.get(URL, groupBy="hour")
    assert error(response, 401, "AUTHENTICATION_ERROR")


def test_an_outsider_counts_elapsed_periods_over_its_own_usage_only(
    api, outsider_key, today_until_nine
):
    analytics = data(
        api.get(URL, outsider_key, groupBy="hour", startDate="2026-03-17", endDate="2026-03-17")
    )
    assert analytics["totals"]["requests"] == 0
    assert analytics["averages"]["periodsElapsed"] == 10
    assert analytics["averages"]["requestsPerPeriod"] == 0.0


def test_by_hour_without_dates_is_today_averaged_over_the_hours_begun(
    api, raw_key, today_until_nine
):
    # The request as a client sends it: no dates, 9 requests by 09:30.
    analytics = data(api.get(URL, raw_key, groupBy="hour"))
    assert analytics["period"]["startDate"] == "2026-03-17"
    assert [point["date"] for point in analytics["series"][::23]] == [
        "2026-03-17T00:00:00Z",
        "2026-03-17T23:00:00Z",
    ]
    assert analytics["totals"]["requests"] == 9
    assert analytics["averages"]["periodsElapsed"] == 10
    assert analytics["averages"]["requestsPerPeriod"] == 0.9  # not 9 / 24
