"""Token Optimizer metrics: /api/metrics/{summary,by-model,by-endpoint,trend}, /api/filters."""

import pytest
from django.db.models import Sum

from usage.models import UsageEvent

from .conftest import ECHOED_WINDOW, WINDOW

pytestmark = pytest.mark.django_db


def carbon(column="co2e_grams", **filters):
    """The stored events' estimate, summed and rounded as the responses show it."""
    in_window = UsageEvent.objects.filter(occurred_at__lt="2026-03-22T00:00:00Z")
    total = in_window.filter(**filters).aggregate(total=Sum(column))["total"]
    return float(round(total, 6)) if total is not None else 0.0


def test_summary_totals_the_window_from_rollups(api, raw_key, known_events):
    response = api.get("/api/metrics/summary", raw_key, **WINDOW)
    assert response.status_code == 200
    assert response.json() == {
        "total_spend": 0.02825,
        "total_requests": 4,
        "total_co2e_grams": carbon(),
        "total_energy_wh": carbon("energy_wh"),
        "avg_cost_per_request": 0.009417,
        "total_tokens": 5900,
        "average_latency": 2.0,
        "unpriced_requests": 1,
        "provider_breakdown": {
            "OpenAI": {
                "total_spend": 0.02225,
                "total_requests": 2,
                "total_tokens": 4500,
                "unpriced_requests": 0,
            },
            "Anthropic": {
                "total_spend": 0.006,
                "total_requests": 1,
                "total_tokens": 1200,
                "unpriced_requests": 0,
            },
            # Wholly unpriced: null, never 0.
            "Mistral": {
                "total_spend": None,
                "total_requests": 1,
                "total_tokens": 200,
                "unpriced_requests": 1,
            },
        },
        "filters": {
            "granularity": "day",
            **ECHOED_WINDOW,
            "models": [],
            "endpoints": [],
            "providers": [],
        },
    }


def test_summary_filters_by_display_name_provider_and_echoes_them(api, raw_key, known_events):
    response = api.get("/api/metrics/summary", raw_key, provider="OpenAI", **WINDOW)
    body = response.json()
    assert (body["total_requests"], body["total_spend"]) == (2, 0.02225)
    assert list(body["provider_breakdown"]) == ["OpenAI"]
    assert body["filters"]["providers"] == ["OpenAI"]


def test_repeated_model_and_endpoint_filters_combine(api, raw_key, known_events):
    response = api.get(
        "/api/metrics/summary?model=gpt-4o&model=claude-sonnet-4-5&endpoint=sql"
        "&start_date=2026-03-20&end_date=2026-03-21",
        raw_key,
    )
    body = response.json()
    assert (body["total_requests"], body["total_spend"]) == (1, 0.006)
    assert body["filters"]["models"] == ["gpt-4o", "claude-sonnet-4-5"]
    assert body["filters"]["endpoints"] == ["sql"]


def test_by_model_groups_costliest_first(api, raw_key, known_events):
    response = api.get("/api/metrics/by-model", raw_key, **WINDOW)
    assert response.status_code == 200
    assert response.json()["models"] == [
        {
            "name": "gpt-4o",
            "total_co2e_grams": carbon(model="gpt-4o"),
            "total_tokens": 4500,
            "total_cost": 0.02225,
            "average_latency": 1.5,
            "request_count": 2,
            "unpriced_requests": 0,
        },
        {
            "name": "claude-sonnet-4-5",
            "total_co2e_grams": carbon(model="claude-sonnet-4-5"),
            "total_tokens": 1200,
            "total_cost": 0.006,
            "average_latency": 3.0,
            "request_count": 1,
            "unpriced_requests": 0,
        },
        {
            "name": "mystery-model",
            "total_co2e_grams": carbon(model="mystery-model"),
            "total_tokens": 200,
            "total_cost": None,
            "average_latency": None,
            "request_count": 1,
            "unpriced_requests": 1,
        },
    ]


def test_by_endpoint_names_events_without_an_endpoint(api, raw_key, known_events):
    response = api.get("/api/metrics/by-endpoint", raw_key, **WINDOW)
    endpoints = response.json()["endpoints"]
    assert [(e["name"], e["request_count"], e["total_cost"]) for e in endpoints] == [
        ("chat", 2, 0.02225),
        ("sql", 1, 0.006),
        ("(none)", 1, None),
    ]


def test_daily_trend_has_one_point_per_day_including_empty_ones(api, raw_key, known_events):
    response = api.get(
        "/api/metrics/trend", raw_key, start_date="2026-03-19", end_date="2026-03-21"
    )
    assert carbon(occurred_at__date="2026-03-20") > 0
    assert response.json()["trends"] == [
        {
            "timestamp": "2026-03-19T00:00:00Z",
            "total_tokens": 0,
            "total_cost": 0.0,
            "total_co2e_grams": 0.0,
            "request_count": 0,
            "unpriced_requests": 0,
        },
        {
            "timestamp": "2026-03-20T00:00:00Z",
            "total_tokens": 5700,
            "total_cost": 0.02825,
            "total_co2e_grams": carbon(occurred_at__date="2026-03-20"),
            "request_count": 3,
            "unpriced_requests": 0,
        },
        {
            "timestamp": "2026-03-21T00:00:00Z",
            "total_tokens": 200,
            "total_cost": None,
            "total_co2e_grams": carbon(occurred_at__date="2026-03-21"),
            "request_count": 1,
            "unpriced_requests": 1,
        },
    ]


def test_hourly_trend_buckets_by_hour(api, raw_key, known_events):
    response = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="hour",
        start_date="2026-03-20T10:00:00Z",
        end_date="2026-03-20T12:00:00Z",
    )
    assert [
        (p["timestamp"], p["total_tokens"], p["total_cost"], p["request_count"])
        for p in response.json()["trends"]
    ] == [
        ("2026-03-20T10:00:00Z", 1500, 0.00725, 1),
        ("2026-03-20T11:00:00Z", 4200, 0.021, 2),
    ]


def test_monthly_trend_starts_buckets_on_the_first(api, raw_key, known_events):
    response = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="month",
        start_date="2026-02-15",
        end_date="2026-03-31",
    )
    trends = response.json()["trends"]
    assert [(p["timestamp"], p["request_count"]) for p in trends] == [
        ("2026-02-01T00:00:00Z", 0),
        ("2026-03-01T00:00:00Z", 5),
    ]


def test_a_window_inside_an_hour_counts_the_whole_hour_and_says_so(api, raw_key, known_events):
    response = api.get(
        "/api/metrics/summary",
        raw_key,
        start_date="2026-03-20T10:20:00Z",
        end_date="2026-03-20T10:40:00Z",
    )
    body = response.json()
    assert body["total_requests"] == 1
    assert body["filters"]["start_date"] == "2026-03-20T10:00:00Z"
    assert body["filters"]["end_date"] == "2026-03-20T11:00:00Z"


def test_default_window_follows_the_granularity(api, raw_key, known_events, settings):
    body = api.get(
        "/api/metrics/summary", raw_key, granularity="hour", end_date="2026-03-21T00:00:00Z"
    ).json()
    assert body["filters"]["start_date"] == "2026-03-20T00:00:00Z"
    assert body["total_requests"] == 3


def test_filters_lists_what_the_organization_used(api, raw_key, known_events):
    body = api.get("/api/filters", raw_key).json()
    assert body["models"] == ["claude-sonnet-4-5", "gpt-4o", "mystery-model"]
    assert body["endpoints"] == ["chat", "sql"]
    assert body["providers"] == ["Anthropic", "Mistral", "OpenAI"]
    assert body["granularities"] == ["hour", "day", "week", "month", "year"]
    assert body["example_usage"]["filter_by_granularity"] == "?granularity=month"


def test_empty_organization_gets_zeros_not_errors(api, raw_key):
    body = api.get("/api/metrics/summary", raw_key).json()
    assert (body["total_spend"], body["total_requests"], body["average_latency"]) == (0.0, 0, None)
    assert api.get("/api/metrics/by-model", raw_key).json()["models"] == []
    assert api.get("/api/filters", raw_key).json()["models"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/metrics/summary",
        "/api/metrics/by-model",
        "/api/metrics/by-endpoint",
        "/api/metrics/trend",
    ],
)
def test_an_outsider_sees_none_of_the_organizations_usage(api, outsider_key, known_events, path):
    body = api.get(path, outsider_key, **WINDOW).json()
    assert body.get("total_requests", 0) == 0
    assert body.get("models", []) == []
    assert body.get("endpoints", []) == []
    assert all(point["request_count"] == 0 for point in body.get("trends", []))


@pytest.mark.parametrize(
    "path",
    [
        "/api/filters",
        "/api/metrics/summary",
        "/api/metrics/by-model",
        "/api/metrics/by-endpoint",
        "/api/metrics/trend",
        "/api/recommendations",
        "/api/logs",
    ],
)
def test_every_endpoint_needs_a_key(api, path):
    response = api.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response.json()["error"]["message"] == "Invalid or missing API token"
    assert api.get(path, "mtt_" + "x" * 40).status_code == 401


def test_an_unknown_granularity_is_invalid_granularity(api, raw_key):
    response = api.get("/api/metrics/summary", raw_key, granularity="fortnight")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "INVALID_GRANULARITY",
            "message": "granularity must be one of hour, day, week, month, year.",
            "details": {
                "granularity": "fortnight",
                "allowed": ["hour", "day", "week", "month", "year"],
            },
        }
    }


def test_start_after_end_is_invalid_date_range(api, raw_key):
    response = api.get(
        "/api/metrics/by-model", raw_key, start_date="2024-04-01", end_date="2024-03-01"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "INVALID_DATE_RANGE",
            "message": "Start date must be before end date",
            "details": {"start_date": "2024-04-01", "end_date": "2024-03-01"},
        }
    }


def test_an_unreadable_date_is_invalid_parameters(api, raw_key):
    response = api.get("/api/metrics/trend", raw_key, start_date="last tuesday")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (
        "INVALID_PARAMETERS",
        {"start_date": "last tuesday"},
    )


def test_an_hourly_trend_over_years_is_refused(api, raw_key):
    response = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="hour",
        start_date="2020-01-01",
        end_date="2026-01-01",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_DATE_RANGE"


def test_aggregates_do_not_read_raw_events(api, raw_key, known_events, django_assert_num_queries):
    # Auth (key lookup, last-used touch) is cached after the first call; then one grouped
    # rollup query answers the whole summary.
    api.get("/api/metrics/summary", raw_key, **WINDOW)
    with django_assert_num_queries(1) as captured:
        api.get("/api/metrics/summary", raw_key, **WINDOW)
    assert all("usage_usageevent" not in q["sql"] for q in captured.captured_queries)


def test_hourly_trends_cover_at_most_two_weeks(api, raw_key):
    fortnight = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="hour",
        start_date="2026-03-01",
        end_date="2026-03-14",
    )
    assert fortnight.status_code == 200
    assert len(fortnight.json()["trends"]) == 14 * 24
    longer = api.get(
        "/api/metrics/trend",
        raw_key,
        granularity="hour",
        start_date="2026-03-01",
        end_date="2026-03-15",
    )
    assert longer.status_code == 400
    assert longer.json()["error"] == {
        "code": "INVALID_DATE_RANGE",
        "message": "Hourly series cover at most 14 days; narrow the dates or use a coarser "
        "granularity.",
        "details": {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-03-16T00:00:00Z"},
    }


@pytest.mark.parametrize("params", [{"end_date": "9999-12-31"}, {"start_date": "0001-01-01"}])
def test_dates_outside_the_supported_years_are_invalid_parameters(api, raw_key, params):
    response = api.get("/api/metrics/summary", raw_key, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETERS"
    assert error["message"].endswith("must be between 2000-01-01 and 9998-12-31.")


def test_every_token_optimizer_path_is_in_the_openapi_schema(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {
        "/api/filters",
        "/api/metrics/summary",
        "/api/metrics/by-model",
        "/api/metrics/by-endpoint",
        "/api/metrics/trend",
        "/api/recommendations",
        "/api/logs",
    } <= set(paths)
