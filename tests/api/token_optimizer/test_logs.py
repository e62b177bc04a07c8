"""Token Optimizer /api/logs: JSON pages, sorting, and the CSV download."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from usage.models import UsageEvent

from .conftest import WINDOW

pytestmark = pytest.mark.django_db
HEADER = (
    "timestamp,model,endpoint,prompt_tokens,completion_tokens,total_tokens,"
    "input_cost,output_cost,total_cost,latency_ms,api_provider"
)


def test_logs_list_newest_first_with_seed_fields(api, raw_key, known_events):
    response = api.get("/api/logs", raw_key, **WINDOW)
    assert response.status_code == 200
    body = response.json()
    assert [log["timestamp"] for log in body["logs"]] == [
        "2026-03-21T09:00:00Z",
        "2026-03-20T11:45:00Z",
        "2026-03-20T11:30:00Z",
        "2026-03-20T10:15:00Z",
    ]
    assert body["logs"][3] == {
        "timestamp": "2026-03-20T10:15:00Z",
        "model": "gpt-4o",
        "endpoint": "chat",
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
        "input_cost": 0.00225,
        "output_cost": 0.005,
        "total_cost": 0.00725,
        "latency_ms": 2000,
        "api_provider": "OpenAI",
    }
    unpriced = body["logs"][0]
    assert (unpriced["input_cost"], unpriced["total_cost"], unpriced["latency_ms"]) == (
        None,
        None,
        None,
    )
    assert body["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_items": 4,
        "per_page": 50,
    }
    assert body["filters"]["granularity"] == "day"


def test_logs_sort_by_any_log_field_either_way(api, raw_key, known_events):
    by_cost = api.get("/api/logs", raw_key, sort_by="total_cost", sort_desc="false", **WINDOW)
    assert [log["total_cost"] for log in by_cost.json()["logs"]] == [0.006, 0.00725, 0.015, None]
    by_prompt = api.get("/api/logs", raw_key, sort_by="prompt_tokens", **WINDOW)
    assert [log["prompt_tokens"] for log in by_prompt.json()["logs"]] == [2000, 1000, 1000, 100]


def test_logs_paginate_and_report_pages(api, raw_key, known_events):
    body = api.get("/api/logs", raw_key, per_page=3, page=2, **WINDOW).json()
    assert [log["timestamp"] for log in body["logs"]] == ["2026-03-20T10:15:00Z"]
    assert body["pagination"] == {
        "current_page": 2,
        "total_pages": 2,
        "total_items": 4,
        "per_page": 3,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "two"},
        {"per_page": "101"},
        {"per_page": "0"},
        {"page": "3", "per_page": "3"},
    ],
)
def test_bad_pagination_is_invalid_page(api, raw_key, known_events, params):
    response = api.get("/api/logs", raw_key, **WINDOW, **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_PAGE"


def test_an_empty_window_is_page_one_of_zero(api, raw_key):
    body = api.get("/api/logs", raw_key).json()
    assert body["logs"] == []
    assert body["pagination"]["total_items"] == 0


def test_an_unknown_sort_field_is_invalid_sort(api, raw_key):
    response = api.get("/api/logs", raw_key, sort_by="password")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_SORT"
    assert response.json()["error"]["details"]["sort_by"] == "password"


def test_an_unknown_format_is_invalid_parameters(api, raw_key):
    response = api.get("/api/logs", raw_key, format="xml")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_PARAMETERS"


def test_an_outsider_lists_no_logs(api, outsider_key, known_events):
    assert api.get("/api/logs", outsider_key, **WINDOW).json()["logs"] == []
    csv_body = b"".join(
        api.get("/api/logs", outsider_key, format="csv", **WINDOW).streaming_content
    )
    assert csv_body.decode() == HEADER + "\n"


def test_csv_download_matches_the_seed_format(api, raw_key, record):
    record(
        {
            "provider": "openai",
            "model": "gpt-4o",
            "occurred_at": "2026-03-20T12:34:56Z",
            "input_tokens": 100,
            "output_tokens": 50,
            "total_cost": "0.15",
            "latency_ms": 2100,
            "endpoint": "chat-assistant, v2",
        }
    )
    response = api.get("/api/logs", raw_key, format="csv", **WINDOW)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    today = datetime.now(UTC).date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="token_logs_{today}.csv"'
    assert b"".join(response.streaming_content).decode() == (
        HEADER + "\n"
        '"2026-03-20T12:34:56Z","gpt-4o","chat-assistant, v2",'
        '100,50,150,,,0.150000,2100,"OpenAI"\n'
    )


def test_csv_neutralises_spreadsheet_formulas(api, raw_key, record):
    for text in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"):
        record(
            {
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": 1,
                "output_tokens": 1,
                "endpoint": text,
                "occurred_at": "2026-03-20T00:00:00Z",
            }
        )
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    api.get("/api/logs", raw_key, format="csv", **WINDOW).streaming_content
                ).decode()
            )
        )
    )
    assert sorted(row[2] for row in rows[1:]) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)"]
    )


def test_a_thousand_row_csv_matches_the_events_field_by_field(api, raw_key, record):
    start = datetime(2026, 3, 20, tzinfo=UTC)
    events = [
        {
            "provider": ("openai", "anthropic", "google")[i % 3],
            "model": ("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro")[i % 3],
            "occurred_at": (start + timedelta(seconds=61 * i)).isoformat(),
            "input_tokens": 1000 + i,
            "cache_read_tokens": i % 7 * 10,
            "output_tokens": 10 + i % 50,
            "latency_ms": None if i % 10 == 0 else 100 + i,
            "endpoint": f"endpoint-{i % 4}",
        }
        for i in range(1000)
    ]
    record(*events[:500])
    record(*events[500:])
    response = api.get(
        "/api/logs",
        raw_key,
        format="csv",
        sort_desc="false",
        start_date="2026-03-20",
        end_date="2026-03-21",
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ",".join(rows[0]) == HEADER
    stored = list(UsageEvent.objects.order_by("occurred_at", "id"))
    assert len(rows) - 1 == len(stored) == 1000
    six = Decimal("0.000001")
    for row, event in zip(rows[1:], stored, strict=True):
        prompt = event.uncached_input_tokens + event.cache_read_tokens + event.cache_write_tokens
        input_cost = event.input_cost + event.cache_read_cost + event.cache_write_cost
        output_cost = event.output_cost + event.reasoning_cost
        assert row == [
            event.occurred_at.isoformat().replace("+00:00", "Z"),
            event.model,
            event.endpoint,
            str(prompt),
            str(event.output_tokens),
            str(event.total_tokens),
            str(input_cost.quantize(six, ROUND_HALF_UP)),
            str(output_cost.quantize(six, ROUND_HALF_UP)),
            str(event.total_cost.quantize(six, ROUND_HALF_UP)),
            "" if event.latency_ms is None else str(event.latency_ms),
            {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google"}[event.provider],
        ]


def test_csv_guards_model_and_provider_and_keeps_microseconds(api, raw_key, record):
    record(
        {
            "provider": "-prov",
            "model": "@model",
            "input_tokens": 1,
            "output_tokens": 1,
            "occurred_at": "2026-03-20T01:02:03.456789Z",
        }
    )
    body = b"".join(api.get("/api/logs", raw_key, format="csv", **WINDOW).streaming_content)
    assert body.decode().splitlines()[1] == (
        '"2026-03-20T01:02:03.456789Z","\'@model","",1,1,2,,,,,"\'-prov"'
    )
