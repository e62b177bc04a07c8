"""GET /api/v1/data/community: the k-anonymous community rows, as MyTokenTracker publishes."""

from datetime import date

import pytest

from opendata.services import community_refresh
from tests.opendata.reference import (
    assert_rows_match_schema,
    assert_wrapper_matches,
    csv_rows,
    reference_csv_header,
)
from tests.opendata.test_community_refresh import organizations, record
from usage.rollups import rollups_merge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_community")]
URL = "/api/v1/data/community"


@pytest.fixture
def community(settings):
    settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS = 3
    members = organizations(3)
    for org in members:
        org.quality_scale = "0-1"  # their quality scores count in quality_avg
        org.save(update_fields=["quality_scale"])
        record(org, day=date(2026, 3, 9), platform="cursor", latency_ms=120)
        record(org, day=date(2026, 3, 10), platform="cursor", quality_score=0.8, success=True)
    record(
        members[0],
        day=date(2026, 3, 10),
        provider="anthropic",
        model="claude-sonnet-4-5",
        platform="cursor",
    )
    for org in organizations(3, opted_in=False, prefix="private"):
        record(org, day=date(2026, 3, 10), provider="anthropic", model="claude-sonnet-4-5")
    rollups_merge()
    community_refresh(today=date(2026, 3, 11))


def test_the_rows_validate_against_the_reference(client, community):
    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert_wrapper_matches("community", body)
    assert_rows_match_schema("community", body["rows"])
    # 03-09: all five dimensions. 03-10: anthropic has one organization, so it is dropped,
    # and openai/gpt-4o with it (the total minus openai would be that organization's usage).
    assert body["count"] == 8
    assert not [
        r for r in body["rows"] if r["date"] == "2026-03-10" and r["dimension"] == "provider"
    ]
    assert body["rows"][0] == {
        "date": "2026-03-09",
        "dimension": "model",
        "dimension_value": "gpt-4o",
        "events": 3,
        "tokens": 360,
        "cost": 0.3,
        "contributors": 3,
        "success": 0,
        "quality_avg": None,
        "latency_avg_ms": 120,
    }
    total = [r for r in body["rows"] if r["dimension"] == "total" and r["date"] == "2026-03-10"]
    # The total has the member's anthropic event too (4 events), never the private ones.
    assert total == [
        {
            "date": "2026-03-10",
            "dimension": "total",
            "dimension_value": "all",
            "events": 4,
            "tokens": 480,
            "cost": 0.4,
            "contributors": 3,
            "success": 3,
            "quality_avg": 0.8,
            "latency_avg_ms": None,
        }
    ]


def test_csv_has_the_reference_header_and_empty_cells_for_null(client, community):
    response = client.get(URL, {"dimension": "total", "format": "csv"})

    rows = csv_rows(response.content)
    assert rows[0] == reference_csv_header("community")
    assert rows[1:] == [
        ["2026-03-09", "total", "all", "3", "360", "0.3", "3", "0", "", "120"],
        ["2026-03-10", "total", "all", "4", "480", "0.4", "3", "3", "0.8", ""],
    ]


def test_dimension_window_and_limit_narrow_the_rows(client, community):
    body = client.get(URL, {"dimension": "provider", "from": "2026-03-09", "to": "2026-03-09"})
    limited = client.get(URL, {"limit": "3"}).json()

    assert [(r["date"], r["dimension_value"]) for r in body.json()["rows"]] == [
        ("2026-03-09", "openai")
    ]
    assert limited["count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dimension": "country"}, "dimension"),
        ({"from": "10/03/2026"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"limit": "-1"}, "limit"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_a_bad_parameter_is_a_422_with_a_clear_message(client, community, params, field):
    response = client.get(URL, params)

    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(field)


def test_the_rows_are_read_in_two_queries(client, community, django_assert_num_queries):
    with django_assert_num_queries(2):  # freshness, rows
        client.get(URL)
