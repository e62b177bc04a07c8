import time
import uuid

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.cache import CacheUnavailable, cache_call
from usage.dates import iso_z
from usage.selectors.usage import rollups_set_aside

from ..base import PublicView


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {"healthy": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_cache() -> dict:
    # Through the breaker like every cache call: while it is open this reports the cache
    # down without paying a timeout (CacheUnavailable), as the requests see it.
    try:
        cache_call("set", "health:ping", 1, 10)
        healthy = cache_call("get", "health:ping") == 1
    except CacheUnavailable as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {"healthy": healthy}


def _check_rollups() -> dict:
    # Deltas the merge set aside: every other organization's aggregates still flow, but
    # someone must look (Django admin, "Set aside deltas"; rebuild_rollups --org).
    try:
        set_aside = rollups_set_aside()
    except DatabaseError as exc:
        return {"healthy": False, "error": exc.__class__.__name__}
    return {"healthy": set_aside == 0, "set_aside_events": set_aside}


class HealthView(PublicView):
    """Answers Token Optimizer's and CodingVibez's health checks with one body."""

    @extend_schema(
        summary="Health check",
        description=(
            "Token Optimizer's `status/timestamp/version` and CodingVibez's "
            "`success/data.status/data.database` in one body. 503 when the database is down."
        ),
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(["healthy", "unhealthy"]),
                    "timestamp": serializers.DateTimeField(),
                    "version": serializers.CharField(),
                    "success": serializers.BooleanField(),
                    "data": serializers.DictField(),
                },
            )
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        database = _check_database()
        cache_state = _check_cache()
        rollups = _check_rollups() if database["healthy"] else {"healthy": False}
        status_text = "healthy" if database["healthy"] else "unhealthy"
        timestamp = iso_z(timezone.now())
        return Response(
            {
                "status": status_text,
                "timestamp": timestamp,
                "version": settings.TOKENTRACKER_VERSION,
                "success": database["healthy"],
                "data": {
                    "status": status_text,
                    "database": database,
                    "services": {
                        "cache": cache_state,
                        "rollups": rollups,
                        "task_queue": {
                            "mode": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "broker"
                        },
                    },
                },
                "requestId": f"req_{uuid.uuid4().hex}",
            },
            status=200 if database["healthy"] else 503,
        )
