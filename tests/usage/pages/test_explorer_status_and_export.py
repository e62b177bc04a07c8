"""The explorer's status breakdown and filter, and the extra columns of its CSV export
(which /api/logs's CSV does not have)."""

import csv
import io
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from tokentracker.models import Role
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}

STATUS_EVENTS = [
    {"occurred_at": "2026-03-20T13:00:00Z", "input_tokens": 100, "status": "timeout"},
    {"occurred_at": "2026-03-20T14:00:00Z", "input_tokens": 300, "status": "timeout"},
    {"occurred_at": "2026-03-21T10:00:00Z", "input_tokens": 50, "status": "ok"},
]


@pytest.fixture
def status_events(page_events, record):
    record(*STATUS_EVENTS)


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_status_breakdown_adds_up_to_the_raw_events(client, sign_in, org, status_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    breakdowns = {b.dimension: b.rows for b in response.context["breakdowns"]}
    raw = {
        row["status"]: (row["events"], row["tokens"])
        for row in UsageEvent.objects.values("status")
        .filter(occurred_at__gte="2026-03-20T00:00:00Z")
        .annotate(events=Count("id"), tokens=Sum("total_tokens"))
    }
    shown = {value: (t.events, t.total_tokens) for value, t in breakdowns["status"]}
    assert shown == raw == {"timeout": (2, 400), "ok": (1, 50), "": (5, 7000)}
    content = response.content.decode()
    assert 'href="?start_date=2026-03-20&amp;end_date=2026-03-21&amp;status=timeout"' in content


def test_the_status_filter_narrows_every_part_of_the_page(client, sign_in, org, status_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "status": ["timeout", "ok"]})
    totals = response.context["totals"]
    assert (totals.events, totals.total_tokens) == (3, 450)
    assert response.context["logs"].paginator.count == 3
    assert sum(t.events for _, t in response.context["points"]) == 3
    assert response.context["query"].selected["status"] == ("timeout", "ok")
    only = client.get("/o/acme/explorer/", {**WINDOW, "status": "timeout"}).context["totals"]
    assert (only.events, only.total_tokens) == (2, 400)


def test_a_status_with_a_nul_is_a_message_and_is_dropped(client, sign_in, org, status_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "status": ["ok", "a\x00b"]})
    assert response.status_code == 200
    assert "status must not contain NUL characters." in response.context["query"].problems
    assert response.context["totals"].events == 1
    export = client.get("/o/acme/explorer/export.csv", {**WINDOW, "status": "a\x00b"})
    assert export.status_code == 400


EXPORT_HEADER = (
    "timestamp,model,endpoint,prompt_tokens,completion_tokens,total_tokens,"
    "input_cost,output_cost,total_cost,latency_ms,api_provider,"
    "project,developer,session,customer,status,cache_read_tokens,cache_write_tokens,"
    "co2e_grams,event_id"
)


def test_the_export_has_the_api_columns_then_the_explorers_own(client, sign_in, org, record):
    record(
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "occurred_at": "2026-03-20T10:15:00Z",
            "input_tokens": 1000,
            "cache_read_tokens": 200,
            "cache_write_tokens": 100,
            "output_tokens": 500,
            "latency_ms": 1200,
            "endpoint": "chat",
            "project": "alpha",
            "developer_id": "dev-7",
            "session_id": "sess-42",
            "tenant_id": "=HYPERLINK(1)",
            "status": "ok",
        }
    )
    event = UsageEvent.objects.get()
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/export.csv", WINDOW)
    body = b"".join(response.streaming_content).decode()
    header, line = body.splitlines()
    assert header == EXPORT_HEADER
    assert event.co2e_grams == Decimal("0.318066651")  # the carbon book's estimate
    # Anthropic's input leaves the cache out: prompt = 1,000 + 200 + 100. Costs at $3
    # input, $0.30 cache read, $3.75 cache write, $15 output per Mtok.
    assert line == (
        '"2026-03-20T10:15:00Z","claude-sonnet-4-5","chat",1300,500,1800,'
        '0.003435,0.007500,0.010935,1200,"Anthropic",'
        f'"alpha","dev-7","sess-42","\'=HYPERLINK(1)","ok",200,100,'
        f'0.318066651,"{event.uuid}"'
    )


def test_the_api_csv_keeps_its_columns(api, raw_key, status_events):
    body = b"".join(api.get("/api/logs", raw_key, **WINDOW, format="csv").streaming_content)
    assert body.decode().splitlines()[0] == EXPORT_HEADER.split(",project")[0]
