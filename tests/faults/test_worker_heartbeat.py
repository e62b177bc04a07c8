"""A real Celery worker and beat keep /api/health healthy with their heartbeat; once the
worker is killed, health turns degraded (503) within the stale window."""

import pytest
from django.core.cache import cache

from tokentracker.heartbeat import HEARTBEAT_CACHE_KEY

from .conftest import Beat, RedisServer, Worker, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

BEAT_EVERY = 1  # seconds: beat queues a heartbeat this often
STALE_AFTER = 4  # seconds without one: the worker is gone


@pytest.fixture
def worker_and_beat(tmp_path, settings):
    redis = RedisServer(tmp_path)
    worker = Worker(tmp_path, redis)
    beat = Beat(tmp_path, redis)
    timing = {
        "HEALTH_WORKER_HEARTBEAT_SECONDS": str(BEAT_EVERY),
        "HEALTH_WORKER_STALE_SECONDS": str(STALE_AFTER),
    }
    worker.env.update(timing)
    beat.env.update(timing)
    started = []
    try:
        redis.start()
        started.append(redis)
        for process in (worker, beat):
            started.append(process)
            process.launch()
        for process in (worker, beat):
            process.wait_ready()
        # This process reads what the worker writes: the same Redis, cache key prefix and
        # thresholds, and a worker expected (no in-process tasks).
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = redis.url
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis.url,
                "KEY_PREFIX": "tt",
                "OPTIONS": settings.CACHE_REDIS_OPTIONS,
            }
        }
        settings.HEALTH_WORKER_HEARTBEAT_SECONDS = BEAT_EVERY
        settings.HEALTH_WORKER_STALE_SECONDS = STALE_AFTER
        yield worker
    finally:
        for process in reversed(started):
            process.kill()
        for process in started:
            print(process.tail())


def test_a_running_worker_is_healthy_and_a_killed_one_degrades_health(worker_and_beat, client):
    first = wait_until(lambda: cache.get(HEARTBEAT_CACHE_KEY), 10, 0.1, "a first heartbeat")
    response = client.get("/api/health")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "healthy"
    worker = body["data"]["services"]["worker"]
    assert (worker["healthy"], worker["stale_after_seconds"]) == (True, STALE_AFTER)
    assert body["data"]["services"]["task_queue"]["healthy"] is True

    # Beat keeps it beating: a later heartbeat than the worker's first one.
    wait_until(lambda: cache.get(HEARTBEAT_CACHE_KEY) > first, 10, 0.2, "beat's heartbeat")

    worker_and_beat.kill()
    wait_until(lambda: client.get("/api/health").status_code == 503, 15, 0.5, "degraded")
    body = client.get("/api/health").json()
    assert (body["status"], body["success"]) == ("degraded", False)
    worker = body["data"]["services"]["worker"]
    assert worker["healthy"] is False and worker["age_seconds"] > STALE_AFTER
    assert [problem["check"] for problem in body["data"]["problems"]] == ["worker"]
