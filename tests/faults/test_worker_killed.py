"""The Celery worker is killed (SIGKILL, as the OOM killer does it) under ingest, and started
again by its supervisor: nothing acknowledged is lost or counted twice."""

import threading

import pytest

from tokentracker import services as tenancy
from usage.models import PendingTrack

from .conftest import Ingest, rollups_converged, stored_event_ids, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

HOUR = "2026-11-28T22:10:00Z"
LATER = "2026-11-29T01:40:00Z"
TRACK = {
    "tenant_id": "client-acme",
    "model": "gpt-4o",
    "prompt_tokens": 100,
    "completion_tokens": 50,
}


def test_a_worker_killed_under_ingest_and_restarted_loses_and_doubles_nothing(parts):
    ingest = Ingest(parts)
    track_key = tenancy.api_key_create(
        organization=parts.organization, name="isv test", prefix="isv_test_sk_"
    ).raw_key
    # Batches keep coming while the worker dies: each queues a merge 1 s ahead, so the
    # SIGKILL finds merges queued, held or running.
    errors: list[BaseException] = []

    def keep_ingesting():
        try:
            for n in range(12):
                ingest.send(f"steady-{n}", 20, HOUR if n % 2 else LATER)
        except BaseException as exc:  # reported by the main thread's assertion
            errors.append(exc)

    sender = threading.Thread(target=keep_ingesting)
    sender.start()
    wait_until(lambda: len(ingest.acknowledged) >= 60, 20, 0.05, "three batches to land")
    parts.worker.kill()
    # While no worker runs, carbon-llm's /api/v1/track still answers 202: its pending row
    # is committed and its task waits in Redis for the next worker.
    tracked = [parts.web.post("/api/v1/track", TRACK, track_key) for n in range(3)]
    sender.join(timeout=40)
    parts.worker.start()
    ingest.send("after-restart", 5, HOUR)
    # Responses lost on the way back: the client sends the same requests again.
    replays = [ingest.resend("steady-0"), ingest.resend("after-restart")]

    wait_until(lambda: not PendingTrack.objects.exists(), 30, 0.5, "tracked events written")
    state = rollups_converged(parts.organization_id, timeout=30)

    assert not sender.is_alive() and errors == []
    assert [status for status, _, _ in tracked] == [202, 202, 202]
    track_ids = sorted(body["event_id"] for _, body, _ in tracked)
    assert stored_event_ids(parts.organization_id) == sorted(ingest.acknowledged + track_ids)
    assert len(ingest.acknowledged) == 12 * 20 + 5
    assert [
        (status, body["created"], headers["Idempotent-Replayed"])
        for status, body, headers in replays
    ] == [
        (201, 20, "true"),
        (201, 5, "true"),
    ]
    assert state["pending_deltas"] == 0
    assert sum(row["events"] for row in state["hourly"]) == 12 * 20 + 5 + 3
    assert state["hourly"] == state["raw_hourly"]
    assert state["daily"] == state["raw_daily"]
