from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.request_context import request_id_current
from usage.dates import iso_z

from ..base import PublicView
from ..health import health_report

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["healthy", "degraded", "unhealthy"]),
        "timestamp": serializers.DateTimeField(),
        "version": serializers.CharField(),
        "success": serializers.BooleanField(),
        "data": serializers.DictField(),
        "requestId": serializers.CharField(),
    },
)


class HealthView(PublicView):
    """Answers Token Optimizer's and CodingVibez's health checks with one body."""

    @extend_schema(
        summary="Health check",
        description=(
            "Token Optimizer's `status/timestamp/version` and CodingVibez's "
            "`success/data.status/data.database/data.services` in one body. `healthy` "
            "(200) when every check passes; `unhealthy` (503) when the database does not "
            "answer; `degraded` (503) when another check fails: the cache or the broker "
            "does not answer, no Celery worker heartbeat for HEALTH_WORKER_STALE_SECONDS, "
            "rollup deltas waiting longer than HEALTH_ROLLUP_LAG_SECONDS, or the static "
            "files manifest missing. `data.problems` says which, in words. Without "
            "REDIS_URL tasks run in-process and there is no worker to watch. For a "
            "liveness probe use `/api/health/live`."
        ),
        responses={(200, "application/json"): HEALTH, (503, "application/json"): HEALTH},
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        report = health_report()
        return Response(
            {
                "status": report.status,
                "timestamp": iso_z(timezone.now()),
                "version": settings.TOKENTRACKER_VERSION,
                "success": report.status == "healthy",
                "data": {
                    "status": report.status,
                    "database": report.database,
                    "services": report.services,
                    "problems": report.problems,
                },
                "requestId": request_id_current(),
            },
            status=report.http_status,
        )
