"""GET /api/tracking-health: the pending aggregation buffer, freshness, tracking problems."""

import pytest

from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

from .helpers import data

URL = "/api/tracking-health"
pytestmark = pytest.mark.django_db


def unmerged(organization, count=1):
    """Record events and leave them in the buffer, as between two merges."""
    event = EventInput(provider="openai", model="gpt-4o", input_tokens=1, output_tokens=1)
    events_record(organization_id=organization.id, api_key_id=None, events=[event] * count)


def test_a_new_organization_is_healthy_with_no_data(api, raw_key, freeze):
    freeze("2026-01-05T12:00:00Z")
    health = data(api.get(URL, raw_key))
    assert health == {
        "status": "healthy",
        "buffer": {"size": 0, "lastFlush": None, "lagSeconds": 0.0},
        "dataFreshness": "no_data",
        "lastUpdated": None,
        "errors": [],
    }


def test_events_waiting_for_a_recent_merge_are_the_buffer(api, org, outsider_org, raw_key, freeze):
    freeze("2026-01-05T12:00:00Z")
    rollups_merge()
    freeze("2026-01-05T12:04:00Z")
    unmerged(org, 3)
    unmerged(outsider_org, 5)
    health = data(api.get(URL, raw_key))
    assert health == {
        "status": "healthy",
        # Pending since the 12:00 merge (the outsider's too): four minutes, under five.
        "buffer": {"size": 3, "lastFlush": "2026-01-05T12:00:00Z", "lagSeconds": 240.0},
        "dataFreshness": "fresh",
        "lastUpdated": "2026-01-05T12:04:00Z",
        "errors": [],
    }


def test_a_merge_empties_the_buffer_and_is_the_last_flush(api, org, raw_key, freeze):
    freeze("2026-01-05T12:00:00Z")
    unmerged(org, 2)
    freeze("2026-01-05T12:01:00Z")
    rollups_merge()
    health = data(api.get(URL, raw_key))
    assert health["buffer"] == {"size": 0, "lastFlush": "2026-01-05T12:01:00Z", "lagSeconds": 0.0}


def test_pending_events_with_no_merge_for_five_minutes_are_an_error(api, org, raw_key, freeze):
    freeze("2026-01-05T12:00:00Z")
    rollups_merge()
    unmerged(org, 2)
    freeze("2026-01-05T12:05:01Z")
    health = data(api.get(URL, raw_key))
    assert health["status"] == "unhealthy"
    assert [problem["code"] for problem in health["errors"]] == ["AGGREGATION_STALLED"]
    assert (health["buffer"]["size"], health["buffer"]["lagSeconds"]) == (2, 301.0)


def test_pending_events_and_no_merge_on_record_are_an_error(api, org, raw_key):
    unmerged(org)
    health = data(api.get(URL, raw_key))
    assert (health["status"], health["buffer"]["lastFlush"], health["buffer"]["lagSeconds"]) == (
        "unhealthy",
        None,
        None,
    )


def test_the_lag_is_everyone_s_but_only_an_organization_s_own_pending_events_are_its_error(
    api, org, outsider_org, raw_key, freeze
):
    freeze("2026-01-05T12:00:00Z")
    rollups_merge()
    unmerged(outsider_org, 4)
    freeze("2026-01-05T12:10:00Z")
    health = data(api.get(URL, raw_key))
    assert health["buffer"] == {
        "size": 0,
        "lastFlush": "2026-01-05T12:00:00Z",
        "lagSeconds": 600.0,
    }
    assert (health["status"], health["errors"]) == ("healthy", [])


def test_the_stall_threshold_is_the_health_setting(api, org, raw_key, freeze, settings):
    settings.HEALTH_ROLLUP_LAG_SECONDS = 60
    freeze("2026-01-05T12:00:00Z")
    rollups_merge()
    unmerged(org)
    freeze("2026-01-05T12:01:01Z")
    health = data(api.get(URL, raw_key))
    assert [problem["message"] for problem in health["errors"]] == [
        "1 recorded events are not in the aggregates yet and no merge has run in the last "
        "60 s; check the Celery worker and beat."
    ]


def test_stale_data_is_degraded(api, org, raw_key, record, freeze):
    freeze("2026-01-05T12:00:00Z")
    record({"occurred_at": "2026-01-05T11:40:00Z", "input_tokens": 1}, organization=org)
    health = data(api.get(URL, raw_key))
    assert (health["status"], health["dataFreshness"], health["errors"]) == (
        "degraded",
        "stale",
        [],
    )
