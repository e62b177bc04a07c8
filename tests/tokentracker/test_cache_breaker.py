"""With Redis down, requests skip the cache for a few seconds instead of paying a connection
attempt on every cache call (tokentracker.cache), and stop publishing to the broker
(tokentracker.broker); then one call tries again."""

import socket
import time
from unittest import mock

import pytest
import redis.connection
from django.conf import settings
from django.test import override_settings
from kombu.exceptions import OperationalError

from tokentracker.api import health
from tokentracker.broker import broker_breaker
from tokentracker.cache import cache_breaker, cache_get, cache_set
from tokentracker.ratelimit import rate_limit_hit
from usage import tasks
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db

EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 0}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down():
    """The cache is a RedisCache configured as in production, on a port nobody listens on."""
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/5",
            "OPTIONS": settings.CACHE_REDIS_OPTIONS,
        }
    }
    with override_settings(CACHES=down):
        yield


@pytest.fixture
def connect_attempts(monkeypatch):
    attempts: list[int] = []
    original = redis.connection.AbstractConnection.connect

    def counted(self):
        attempts.append(self.port)
        return original(self)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counted)
    return attempts


@pytest.fixture
def short_window():
    """A 50 ms breaker window, so a test can wait it out."""
    cache_breaker.reset_timeout = 0.05
    yield 0.05
    cache_breaker.reset_timeout = settings.REDIS_BREAKER_SECONDS


def test_ingest_answers_201_and_tries_a_down_cache_once_in_the_breaker_window(
    api, org, raw_key, redis_down, connect_attempts
):
    statuses = [api.post("/api/v1/events", EVENT, raw_key).status_code for _ in range(5)]

    assert statuses == [201, 201, 201, 201, 201]
    assert UsageEvent.objects.count() == 5
    # The first cache call of the first request failed; every later one was skipped.
    assert len(connect_attempts) == 1


def test_the_rate_limiter_lets_requests_through_without_retrying_a_down_cache(
    redis_down, connect_attempts
):
    usages = [rate_limit_hit(scope="api", subject="7", limit=1) for _ in range(4)]

    assert [(usage.count, usage.exceeded, usage.remaining) for usage in usages] == [
        (None, False, 1)
    ] * 4
    assert len(connect_attempts) == 1


def test_the_health_check_reports_the_skipped_cache_down_without_trying_it(
    redis_down, connect_attempts
):
    assert cache_get("anything") is None
    assert health.cache_check() == {"healthy": False, "error": "CacheUnavailable"}
    assert len(connect_attempts) == 1


def test_after_the_window_one_successful_call_closes_the_breaker(
    redis_down, connect_attempts, short_window
):
    cache_set("plan", 3, 60)
    assert cache_breaker.current_state == "open"

    with override_settings(CACHES=LOCMEM):  # Redis is back
        cache_set("plan", 4, 60)  # inside the window: skipped
        assert cache_breaker.current_state == "open"
        time.sleep(short_window * 2)
        cache_set("plan", 5, 60)
        assert cache_breaker.current_state == "closed"
        assert cache_get("plan") == 5
    assert len(connect_attempts) == 1


def test_after_the_window_a_failed_try_opens_the_breaker_for_another_window(
    redis_down, connect_attempts, short_window
):
    assert cache_get("plan") is None
    time.sleep(short_window * 2)
    assert cache_get("plan") is None  # the half-open try, against the still-down Redis
    assert cache_get("plan") is None  # skipped again
    assert cache_breaker.current_state == "open"
    assert len(connect_attempts) == 2


def test_ingest_stops_publishing_merges_to_a_down_broker_and_leaves_them_to_beat(
    api, org, raw_key, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(tasks.rollups_merge_task, "apply_async", side_effect=down) as publish,
        mock.patch.object(tasks, "cache_add", return_value=None),  # the cache is down too
    ):
        statuses = []
        for _ in range(4):
            with django_capture_on_commit_callbacks(execute=True):
                statuses.append(api.post("/api/v1/events", EVENT, raw_key).status_code)

    assert statuses == [201, 201, 201, 201]
    assert UsageEvent.objects.count() == 4
    assert publish.call_count == 1
    assert broker_breaker.current_state == "open"


def test_a_queued_merge_is_published_while_the_broker_is_up(
    api, org, raw_key, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(tasks.rollups_merge_task, "apply_async") as publish,
        mock.patch.object(tasks, "cache_add", return_value=None),
    ):
        statuses = []
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                statuses.append(api.post("/api/v1/events", EVENT, raw_key).status_code)

    assert statuses == [201, 201, 201]
    assert publish.call_count == 3
    assert publish.call_args == mock.call(args=(), kwargs={}, countdown=tasks.MERGE_DELAY_SECONDS)
    assert broker_breaker.current_state == "closed"


def test_bad_input_and_unknown_keys_are_still_refused_while_the_cache_is_down(
    api, org, raw_key, redis_down, connect_attempts
):
    bad = api.post("/api/v1/events", {**EVENT, "input_tokens": -1}, raw_key)
    unknown = api.post("/api/v1/events", EVENT, raw_key[:-4] + "abcd")
    missing = api.post("/api/v1/events", EVENT)

    assert (bad.status_code, unknown.status_code, missing.status_code) == (422, 401, 401)
    assert UsageEvent.objects.count() == 0
    assert len(connect_attempts) == 1
