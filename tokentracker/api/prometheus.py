"""GET /metrics: Prometheus's text exposition, for a scraper holding METRICS_TOKEN.

Not public: without METRICS_TOKEN set it is a 404, and with it a request must carry
`Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). The counters of tokentracker.metrics
come from this process, or, with PROMETHEUS_MULTIPROC_DIR set, from the files every web
and worker process wrote there, summed. The gauges are read here at each scrape.
"""

import hmac
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tokentracker.cache import CacheUnavailable
from tokentracker.heartbeat import worker_heartbeat_last
from usage.selectors.usage import rollup_lag, rollups_set_aside


class HealthGauges(Collector):
    """What /api/health judges, as numbers to alert on; a gauge that cannot be read (the
    database or cache down) is left out of the scrape rather than failing it."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        try:
            lag = rollup_lag(now)
            set_aside = rollups_set_aside()
        except DatabaseError:
            pass
        else:
            yield GaugeMetricFamily(
                "tokentracker_rollup_pending",
                "1 while rollup deltas wait to be merged into the aggregates, else 0.",
                value=int(lag.pending),
            )
            if lag.seconds is not None:
                yield GaugeMetricFamily(
                    "tokentracker_rollup_lag_seconds",
                    "Age of the oldest pending rollup delta, at most (0: nothing pending); "
                    "absent while deltas are pending and no merge is on record.",
                    value=lag.seconds,
                )
            yield GaugeMetricFamily(
                "tokentracker_rollup_set_aside_events",
                "Events whose rollup sums the merge set aside (an administrator must look).",
                value=set_aside,
            )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return  # no worker: tasks run in-process
        try:
            last = worker_heartbeat_last()
        except CacheUnavailable:
            return
        if last is not None:
            yield GaugeMetricFamily(
                "tokentracker_worker_heartbeat_age_seconds",
                "Seconds since a Celery worker last ran the heartbeat task.",
                value=max(0.0, (now - last).total_seconds()),
            )


_gauges = CollectorRegistry(auto_describe=False)
_gauges.register(HealthGauges())


def metrics_exposition() -> bytes:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted, path=directory)
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(_gauges)


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("No metrics here.")
    if not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        response = HttpResponse("A valid metrics token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)
