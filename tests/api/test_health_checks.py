"""/api/health tells the truth: the worker's heartbeat, the rollup lag, the broker and cache,
the static files manifest; `degraded` with 503 when one of them fails. And the liveness
path, which only says the process answers.

Broker mode (REDIS_URL set, a worker expected) runs against a redis-server of our own, so
these tests need neither the shared Redis nor REDIS_URL; they skip without redis-server.
"""

import shutil
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.db import DatabaseError

from tests.faults.conftest import RedisServer
from tokentracker.heartbeat import worker_heartbeat_record
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

NOW = "2026-01-05T12:00:00Z"
EVENT = EventInput(provider="openai", model="gpt-4o", input_tokens=1, output_tokens=1)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def broker_mode(settings, redis_server):
    """Production's shape: tasks go to a broker and a worker should be taking them."""
    if not redis_server.alive():
        redis_server.start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": settings.CACHE_REDIS_OPTIONS,
        }
    }
    from django.core.cache import cache

    cache.clear()
    return redis_server


def health(client):
    response = client.get("/api/health")
    return response.status_code, response.json()


def test_on_the_embedded_defaults_there_is_no_worker_to_watch_and_all_is_healthy(client):
    status, body = health(client)
    assert status == 200
    assert (body["status"], body["success"], body["data"]["problems"]) == ("healthy", True, [])
    services = body["data"]["services"]
    assert services["task_queue"] == {"mode": "eager"}
    assert services["worker"] == {
        "healthy": True,
        "mode": "in-process",
        "detail": "No worker to watch: without REDIS_URL tasks run in-process, in the "
        "request that queues them.",
    }
    assert services["static_files"] == {"healthy": True, "manifest": "not used"}


# --- the worker's heartbeat ---------------------------------------------------------------


def test_a_fresh_heartbeat_and_a_reachable_broker_are_healthy(client, broker_mode, freeze):
    freeze(NOW)
    worker_heartbeat_record(at=at(NOW) - timedelta(seconds=30))
    status, body = health(client)
    assert status == 200, body
    services = body["data"]["services"]
    assert services["worker"] == {
        "healthy": True,
        "last_heartbeat": "2026-01-05T11:59:30Z",
        "age_seconds": 30.0,
        "stale_after_seconds": 120,
    }
    assert services["task_queue"]["mode"] == "broker"
    assert services["task_queue"]["healthy"] is True
    assert services["cache"] == {"healthy": True}
    assert (body["status"], body["data"]["status"], body["success"]) == ("healthy",) * 2 + (True,)


def test_a_heartbeat_just_at_the_threshold_is_still_healthy(client, broker_mode, freeze):
    freeze(NOW)
    worker_heartbeat_record(at=at(NOW) - timedelta(seconds=120))
    status, body = health(client)
    assert (status, body["data"]["services"]["worker"]["healthy"]) == (200, True)


def test_a_stale_heartbeat_is_degraded_with_503(client, broker_mode, freeze, settings):
    freeze(NOW)
    worker_heartbeat_record(at=at(NOW) - timedelta(seconds=121))
    status, body = health(client)
    assert status == 503
    assert (body["status"], body["success"], body["data"]["status"]) == (
        "degraded",
        False,
        "degraded",
    )
    assert body["data"]["services"]["worker"] == {
        "healthy": False,
        "last_heartbeat": "2026-01-05T11:57:59Z",
        "age_seconds": 121.0,
        "stale_after_seconds": 120,
    }
    assert body["data"]["problems"] == [
        {
            "check": "worker",
            "message": "No Celery worker heartbeat for 120 s: the worker or beat is not running.",
        }
    ]
    # The database is fine: degraded, not unhealthy, and the seed fields are all there.
    assert body["data"]["database"]["healthy"] is True
    assert body["version"] == "0.1.0" and body["timestamp"].endswith("Z")


def test_the_threshold_is_a_setting(client, broker_mode, freeze, settings):
    settings.HEALTH_WORKER_STALE_SECONDS = 600
    freeze(NOW)
    worker_heartbeat_record(at=at(NOW) - timedelta(seconds=500))
    status, body = health(client)
    assert status == 200
    assert body["data"]["services"]["worker"]["stale_after_seconds"] == 600


def test_a_worker_that_never_beat_is_degraded(client, broker_mode):
    status, body = health(client)
    assert status == 503
    assert body["data"]["services"]["worker"] == {
        "healthy": False,
        "last_heartbeat": None,
        "stale_after_seconds": 120,
    }
    assert [problem["check"] for problem in body["data"]["problems"]] == ["worker"]


def test_the_heartbeat_task_records_the_time_it_ran(client, broker_mode, freeze):
    from tokentracker.tasks import worker_heartbeat_task

    freeze(NOW)
    worker_heartbeat_task.apply()
    assert health(client)[1]["data"]["services"]["worker"]["last_heartbeat"] == NOW


def test_beat_queues_the_heartbeat_and_drops_one_no_worker_took_in_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry == {
        "task": "tokentracker.tasks.worker_heartbeat_task",
        "schedule": 30.0,
        "options": {"expires": 30},
    }


def test_with_redis_down_the_cache_broker_and_worker_are_reported_and_degraded(client, broker_mode):
    worker_heartbeat_record()
    broker_mode.kill()
    status, body = health(client)
    assert status == 503
    services = body["data"]["services"]
    assert services["cache"] == {"healthy": False, "error": "CacheUnavailable"}
    assert services["task_queue"]["healthy"] is False
    assert services["worker"] == {"healthy": False, "error": "CacheUnavailable"}
    assert [problem["check"] for problem in body["data"]["problems"]] == [
        "cache",
        "task_queue",
        "worker",
    ]
    assert body["status"] == "degraded"


# --- the rollup lag -----------------------------------------------------------------------


def unmerged(org, count=1):
    """Events recorded and left pending, as between two merges (the test's transaction
    never commits, so the merge queued on commit does not run)."""
    events_record(organization_id=org.id, api_key_id=None, events=[EVENT] * count)


def test_rollups_merged_and_nothing_pending_are_healthy(client, org, freeze):
    freeze(NOW)
    unmerged(org)
    rollups_merge()
    rollups = health(client)[1]["data"]["services"]["rollups"]
    assert rollups == {
        "healthy": True,
        "pending": False,
        "lag_seconds": 0.0,
        "stale_after_seconds": 300,
        "set_aside_events": 0,
    }


def test_deltas_pending_since_the_last_merge_count_from_its_start(client, org, freeze):
    freeze(NOW)
    rollups_merge()
    freeze("2026-01-05T12:05:00Z")
    unmerged(org, 3)
    status, body = health(client)
    assert status == 200
    assert body["data"]["services"]["rollups"] == {
        "healthy": True,
        "pending": True,
        "lag_seconds": 300.0,
        "stale_after_seconds": 300,
        "set_aside_events": 0,
    }


def test_rollups_stale_past_the_threshold_are_degraded(client, org, freeze):
    freeze(NOW)
    rollups_merge()
    unmerged(org, 2)
    freeze("2026-01-05T12:05:01Z")
    status, body = health(client)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["data"]["services"]["rollups"]["lag_seconds"] == 301.0
    assert body["data"]["problems"] == [
        {
            "check": "rollups",
            "message": "Rollup deltas have waited more than 300 s to be merged (or no merge "
            "is on record): dashboards and aggregates are stale.",
        }
    ]


def test_pending_deltas_and_no_merge_on_record_are_degraded(client, org):
    unmerged(org)
    status, body = health(client)
    assert status == 503
    rollups = body["data"]["services"]["rollups"]
    assert (rollups["healthy"], rollups["pending"], rollups["lag_seconds"]) == (False, True, None)


def test_a_merge_catches_the_rollups_up_again(client, org, freeze):
    freeze(NOW)
    rollups_merge()
    unmerged(org)
    freeze("2026-01-05T13:00:00Z")
    assert health(client)[0] == 503
    rollups_merge()
    assert health(client)[0] == 200


def test_the_rollup_threshold_is_a_setting(client, org, freeze, settings):
    settings.HEALTH_ROLLUP_LAG_SECONDS = 3600
    freeze(NOW)
    rollups_merge()
    unmerged(org)
    freeze("2026-01-05T12:30:00Z")
    status, body = health(client)
    assert (status, body["data"]["services"]["rollups"]["stale_after_seconds"]) == (200, 3600)


# --- static files ---------------------------------------------------------------------------


@pytest.fixture
def manifest_storage(settings, tmp_path):
    """Production's manifest storage over a STATIC_ROOT that `collectstatic` never filled."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": settings.PRODUCTION_STATICFILES_STORAGE},
    }
    return tmp_path


def test_a_missing_static_manifest_is_degraded(client, manifest_storage):
    status, body = health(client)
    assert status == 503
    assert body["data"]["services"]["static_files"] == {
        "healthy": False,
        "manifest": "missing",
        "error": "ManifestMissing",
    }
    assert body["data"]["problems"] == [
        {
            "check": "static_files",
            "message": "The static files manifest is missing: pages cannot render. Run "
            "`manage.py collectstatic --noinput`, then restart the web processes.",
        }
    ]


def test_a_manifest_collected_after_the_process_started_asks_for_a_restart(
    client, manifest_storage
):
    assert health(client)[0] == 503  # the process's storage loaded no manifest
    # What collectstatic leaves behind, written by Django's own manifest writer.
    written = ManifestStaticFilesStorage(location=manifest_storage)
    written.hashed_files = {"css/app.css": "css/app.0123456789ab.css"}
    written.save_manifest()
    status, body = health(client)
    assert status == 503
    assert body["data"]["services"]["static_files"] == {
        "healthy": False,
        "manifest": "not loaded",
        "error": "ManifestNotLoaded",
    }


# --- the database, and the liveness path ----------------------------------------------------


def test_with_the_database_down_health_is_unhealthy_and_says_only_that(client):
    with mock.patch("tokentracker.api.health.connection.cursor", side_effect=DatabaseError):
        status, body = health(client)
    assert status == 503
    assert (body["status"], body["success"]) == ("unhealthy", False)
    assert body["data"]["database"] == {"healthy": False, "error": "DatabaseError"}
    assert body["data"]["services"]["rollups"] == {
        "healthy": False,
        "error": "DatabaseUnavailable",
    }
    assert [problem["check"] for problem in body["data"]["problems"]] == ["database"]


def test_liveness_answers_while_the_process_does_whatever_else_is_down(client, broker_mode):
    broker_mode.kill()
    with mock.patch("tokentracker.api.health.connection.cursor", side_effect=DatabaseError):
        response = client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_liveness_touches_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/api/health/live").status_code == 200


@pytest.mark.parametrize("path", ["/api/health", "/api/health/live"])
def test_health_paths_answer_a_load_balancer_over_plain_http(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code == 200
    assert client.get(path + "/").status_code == 301
