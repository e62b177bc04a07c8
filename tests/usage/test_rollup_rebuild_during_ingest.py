"""rebuild_rollups is safe while ingest commits batches (PostgreSQL, real connections)."""

import threading

import pytest
from django.db import connection

from usage import rollup_rebuild, rollups
from usage.models import DailyRollup, HourlyRollup, RollupDelta, UsageEvent
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two PostgreSQL connections; SQLite serialises the writers anyway",
    ),
]


def batch(organization):
    event = EventInput(
        provider="openai",
        model="gpt-4o",
        input_tokens=100,
        output_tokens=10,
        occurred_at="2026-11-01T10:30:00Z",
    )
    events_record(organization_id=organization.id, api_key_id=None, events=[event])


def test_a_batch_committed_in_the_middle_of_a_rebuild_is_counted_once(org, monkeypatch):
    # Merges run only when this test says so, not on each batch's commit.
    monkeypatch.setattr("usage.services.events.rollups_merge_soon", lambda: None)
    batch(org)
    discard = rollup_rebuild.pending_discard

    def discard_then_a_batch_commits(*, organization_id):
        discard(organization_id=organization_id)

        def another_connection_commits_a_batch():
            try:
                batch(org)
            finally:
                connection.close()

        # Another connection commits a batch after the rebuild dropped the pending deltas
        # and before it counts the raw events.
        thread = threading.Thread(target=another_connection_commits_a_batch)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()

    monkeypatch.setattr(rollup_rebuild, "pending_discard", discard_then_a_batch_commits)
    rollup_rebuild.rollups_rebuild(organization_id=org.id)
    monkeypatch.undo()
    rollups.rollups_merge()

    assert UsageEvent.objects.count() == 2
    assert not RollupDelta.objects.exists()
    hourly = HourlyRollup.objects.get(organization=org)
    assert (hourly.events, hourly.input_tokens) == (2, 200)
    daily = DailyRollup.objects.get(organization=org)
    assert (daily.events, daily.input_tokens) == (2, 200)
