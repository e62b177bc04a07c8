"""PostgreSQL connections are cut in the middle of their statements and transactions (the web
server's, the worker's when caught mid-merge; pg_terminate_backend, as a failover does it):
clients retry with their Idempotency-Key and every acknowledged event is stored once."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from usage.models import HourlyRollup

from .conftest import Ingest, fault_database_url, rollups_converged, stored_event_ids

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

HOURS = ["2026-11-28T21:05:00Z", "2026-11-28T22:15:00Z", "2026-11-29T02:45:00Z"]
CUTS_WANTED = 4

TERMINATE_IN_TRANSACTION = """
    SELECT application_name, left(query, 60), pg_terminate_backend(pid)
    FROM pg_stat_activity
    WHERE datname = current_database()
      AND pid <> pg_backend_pid()
      AND application_name = ANY(%s)
      AND state IN ('active', 'idle in transaction')
"""


def cuts(cut: list[tuple], role: str) -> int:
    return sum(1 for application, _, _ in cut if application == f"tokentracker-{role}")


def test_connections_cut_mid_transaction_lose_and_double_nothing(parts):
    ingest = Ingest(parts)
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_ingesting():
        try:
            n = 0
            while not done.is_set() and n < 60:
                ingest.send(f"batch-{n}", 150, HOURS[n % 3])
                n += 1
        except BaseException as exc:  # reported by the main thread's assertion
            errors.append(exc)

    # The worker's merge is one quick statement, rarely caught running. Another connection
    # holds a lock the merge must wait for, so the worker sits inside its statement until
    # it is cut; the lock goes as soon as it is (ingest itself only appends deltas).
    holder = psycopg.connect(fault_database_url())
    holder.execute(f'LOCK TABLE "{HourlyRollup._meta.db_table}" IN SHARE ROW EXCLUSIVE MODE')
    sender = threading.Thread(target=keep_ingesting)
    sender.start()
    cut: list[tuple] = []
    try:
        # Cut only connections inside a statement or a transaction: an idle one would just
        # be reopened by the next request's health check, which proves nothing.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sender.is_alive():
            # A few of the web's (more would fail every retry too) and one of the worker's.
            targets = [
                f"tokentracker-{role}"
                for role, wanted in (("web", CUTS_WANTED), ("worker", 1))
                if cuts(cut, role) < wanted
            ]
            if not targets:
                break
            with connection.cursor() as cursor:
                cursor.execute(TERMINATE_IN_TRANSACTION, [targets])
                cut += [row for row in cursor.fetchall() if row[2]]
            if cuts(cut, "worker") and not holder.closed:
                holder.close()
            time.sleep(0.02)
    finally:
        holder.close()
        done.set()
        sender.join(timeout=60)
    ingest.send("after-the-cuts", 10, HOURS[0])

    state = rollups_converged(parts.organization_id, timeout=40)

    assert not sender.is_alive() and errors == []
    assert (cuts(cut, "web") >= CUTS_WANTED, cuts(cut, "worker") >= 1) == (True, True), cut
    # The cuts were felt: some requests failed and were answered only on a retry.
    assert any(status is None or status >= 500 for status in ingest.answers), ingest.answers
    assert stored_event_ids(parts.organization_id) == sorted(ingest.acknowledged)
    assert len(ingest.acknowledged) % 150 == 10
    assert state["pending_deltas"] == 0
    assert state["hourly"] == state["raw_hourly"]
    assert state["daily"] == state["raw_daily"]
    assert sum(row["events"] for row in state["daily"]) == len(ingest.acknowledged)
