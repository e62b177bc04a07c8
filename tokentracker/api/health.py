"""What the health checks look at, and the liveness path.

Written here rather than with django-health-check: its views answer in its own body, and
/api/health must answer in Token Optimizer's and CodingVibez's at once (seed 001 and 004),
and it has no check for a Celery heartbeat in the cache or for our rollup lag; each check
below is a few lines over code the project already has (the cache and broker breakers,
the rollup selectors).

Each check returns its part of the body, `healthy` first; `health_report` judges them:
the database down is `unhealthy`, any other check failing is `degraded`, both 503.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pybreaker
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.broker import broker_breaker
from tokentracker.cache import CacheUnavailable, cache_call
from tokentracker.heartbeat import worker_heartbeat_last
from usage.dates import iso_z
from usage.selectors.usage import rollup_lag, rollups_set_aside

from .base import PublicView


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def database_check() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {"healthy": True, "latency_ms": _elapsed_ms(started)}


def cache_check() -> dict[str, Any]:
    # Through the breaker like every cache call: while it is open this reports the cache
    # down without paying a timeout (CacheUnavailable), as the requests see it.
    try:
        cache_call("set", "health:ping", 1, 10)
        healthy = cache_call("get", "health:ping") == 1
    except CacheUnavailable as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {"healthy": healthy}


def _broker_ping() -> None:
    from tokentracker.celery import app

    with app.connection_for_write(url=settings.CELERY_BROKER_URL) as broker:
        # Redis is the only broker we configure (REDIS_URL); PING answers or raises.
        broker.default_channel.client.ping()


def task_queue_check() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    started = time.perf_counter()
    try:
        # The publishes' breaker: open, the broker is reported down without a timeout.
        broker_breaker.call(_broker_ping)
    except pybreaker.CircuitBreakerError:
        return {"mode": "broker", "healthy": False, "error": "BrokerUnavailable"}
    except Exception as exc:  # each broker client raises its own connection errors
        return {"mode": "broker", "healthy": False, "error": exc.__class__.__name__}
    return {"mode": "broker", "healthy": True, "latency_ms": _elapsed_ms(started)}


def worker_check(now: datetime) -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {
            "healthy": True,
            "mode": "in-process",
            "detail": "No worker to watch: without REDIS_URL tasks run in-process, in the "
            "request that queues them.",
        }
    stale_after = settings.HEALTH_WORKER_STALE_SECONDS
    try:
        last = worker_heartbeat_last()
    except CacheUnavailable as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    if last is None:
        return {"healthy": False, "last_heartbeat": None, "stale_after_seconds": stale_after}
    age = max(0.0, (now - last).total_seconds())
    return {
        "healthy": age <= stale_after,
        "last_heartbeat": iso_z(last),
        "age_seconds": round(age, 1),
        "stale_after_seconds": stale_after,
    }


def rollups_check(now: datetime) -> dict[str, Any]:
    """The rollup lag, and deltas set aside. A set-aside delta is one organization's data
    that needs an administrator (Django admin, "Set aside deltas"; rebuild_rollups --org),
    not a fault of the service: the others' aggregates flow, so it does not degrade."""
    stale_after = settings.HEALTH_ROLLUP_LAG_SECONDS
    try:
        lag = rollup_lag(now)
        set_aside = rollups_set_aside()
    except DatabaseError as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {
        "healthy": lag.seconds is not None and lag.seconds <= stale_after,
        "pending": lag.pending,
        "lag_seconds": None if lag.seconds is None else round(lag.seconds, 1),
        "stale_after_seconds": stale_after,
        "set_aside_events": set_aside,
    }


def static_files_check() -> dict[str, Any]:
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return {"healthy": True, "manifest": "not used"}
    # The manifest this process loaded when it started is what pages resolve names with:
    # collected after the start, it is on disk and still missing here.
    if storage.hashed_files:
        return {"healthy": True, "manifest": "loaded", "files": len(storage.hashed_files)}
    if storage.manifest_storage.exists(storage.manifest_name):
        return {"healthy": False, "manifest": "not loaded", "error": "ManifestNotLoaded"}
    return {"healthy": False, "manifest": "missing", "error": "ManifestMissing"}


PROBLEMS = {
    "database": "The database does not answer.",
    "cache": "The cache (Redis) does not answer.",
    "task_queue": "The Celery broker (Redis) does not answer: follow-up work is done in "
    "requests, and periodic work waits.",
    "worker": "No Celery worker heartbeat for {stale} s: the worker or beat is not running.",
    "rollups": "Rollup deltas have waited more than {lag} s to be merged (or no merge is on "
    "record): dashboards and aggregates are stale.",
    "static_files": "The static files manifest is {state}: pages cannot render. Run "
    "`manage.py collectstatic --noinput`, then restart the web processes.",
}


@dataclass
class HealthReport:
    status: str
    database: dict[str, Any]
    services: dict[str, dict[str, Any]]
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def http_status(self) -> int:
        return 200 if self.status == "healthy" else 503


def health_report() -> HealthReport:
    now = timezone.now()
    database = database_check()
    services = {
        "cache": cache_check(),
        "task_queue": task_queue_check(),
        "worker": worker_check(now),
        "rollups": rollups_check(now)
        if database["healthy"]
        else {"healthy": False, "error": "DatabaseUnavailable"},
        "static_files": static_files_check(),
    }
    failing = [name for name, check in services.items() if check.get("healthy") is False]
    if not database["healthy"]:
        # The rollups were not looked at: the database problem is the one to report.
        failing = ["database", *(name for name in failing if name != "rollups")]
    problems = [
        {
            "check": name,
            "message": PROBLEMS[name].format(
                stale=settings.HEALTH_WORKER_STALE_SECONDS,
                lag=settings.HEALTH_ROLLUP_LAG_SECONDS,
                state=services["static_files"].get("manifest"),
            ),
        }
        for name in failing
    ]
    if not database["healthy"]:
        status = "unhealthy"
    elif failing:
        status = "degraded"
    else:
        status = "healthy"
    return HealthReport(status, database, services, problems)


class LivenessView(PublicView):
    """Answers as long as the process does: what a supervisor or load balancer restarts
    or routes on. It touches nothing else, so a database or Redis outage never makes
    every web process look dead at once."""

    @extend_schema(
        summary="Liveness: the process answers",
        description="Always 200 while the web process serves requests; checks nothing "
        "else (that is `/api/health`).",
        responses={
            200: inline_serializer(
                "Liveness", {"status": serializers.CharField(help_text="Always `alive`.")}
            )
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "alive"})
