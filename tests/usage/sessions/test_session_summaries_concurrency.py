"""Concurrent batches of one session do not wait on each other, and are each counted once
(PostgreSQL, real connections)."""

import threading

import pytest
from django.db import connection, transaction

from usage.models import SessionDelta, SessionSummary, UsageEvent
from usage.schemas import EventInput
from usage.services.events import events_record
from usage.sessions.summaries import session_summaries_merge

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two PostgreSQL connections; SQLite serialises the writers anyway",
    ),
]


def batch(organization, minute: int) -> None:
    event = EventInput(
        provider="openai",
        model="gpt-4o",
        input_tokens=100,
        output_tokens=10,
        occurred_at=f"2026-11-01T10:{minute:02d}:00Z",
        session_id="shared",
        developer_id=f"dev-{minute}",
    )
    # Without the daily quota: its counter row is the organization's, whatever the session.
    events_record(
        organization_id=organization.id, api_key_id=None, events=[event], count_quota=False
    )


def test_a_batch_commits_while_another_of_the_same_session_is_open(org):
    finished = threading.Event()

    def another_connection_records_a_batch():
        try:
            batch(org, 30)
            finished.set()
        finally:
            connection.close()

    with transaction.atomic():
        batch(org, 10)  # its delta is written and not yet committed
        thread = threading.Thread(target=another_connection_records_a_batch)
        thread.start()
        # Not waiting on the open transaction's rows: the other batch commits meanwhile.
        assert finished.wait(timeout=20)
        thread.join(timeout=20)
    session_summaries_merge()

    assert not SessionDelta.objects.exists()
    summary = SessionSummary.objects.get(organization=org, session_id="shared")
    assert UsageEvent.objects.filter(session_id="shared").count() == 2
    assert (summary.events, summary.input_tokens, summary.developer_id) == (2, 200, "dev-10")
    assert (summary.first_at.minute, summary.last_at.minute) == (10, 30)
