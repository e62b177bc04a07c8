"""Prometheus metrics every process counts: ingest doors, Celery tasks, alert deliveries.

Counters live in the process that counts. Under gunicorn's several workers and Celery's
prefork pool, PROMETHEUS_MULTIPROC_DIR (set before the process starts, one directory for
web and worker) makes each process write its counts to a file there, and `/metrics`
(tokentracker.api.prometheus) sums the files. Gauges read at scrape time (rollup lag,
worker heartbeat) are computed by that view, not kept here.
"""

from typing import Any

from prometheus_client import Counter, Histogram, disable_created_metrics

# No `_created` series beside each counter: a timestamp per label set that doubles the
# series a scrape stores and that no alert or graph here uses.
disable_created_metrics()

# Every door events come in by; the latency histogram and request counts are kept for
# POSTs to these paths (tokentracker.middleware), events per door by the ingest services.
DOOR_EVENTS = "/api/v1/events"
DOOR_TRACK = "/api/v1/track"
DOOR_OBSERVE = "/api/v1/observe"
DOOR_TOKENS_TRACK = "/api/tokens/track"
DOOR_INGEST = "/api/ingest"
INGEST_DOORS = frozenset({DOOR_EVENTS, DOOR_TRACK, DOOR_OBSERVE, DOOR_TOKENS_TRACK, DOOR_INGEST})

INGEST_EVENTS = Counter(
    "tokentracker_ingest_events",
    "Events an ingest door judged: accepted (written or queued), duplicate (an event id "
    "already recorded), refused (invalid, or past the organization's quota).",
    ["door", "outcome"],
)
INGEST_REQUESTS = Counter(
    "tokentracker_ingest_requests",
    "POST requests to an ingest door, by HTTP status (401, 413, 429... are requests "
    "refused before any event was judged).",
    ["door", "status"],
)
INGEST_DURATION = Histogram(
    "tokentracker_ingest_request_duration_seconds",
    "Time from a POST reaching an ingest door to its response being ready.",
    ["door"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASK_FAILURES = Counter(
    "tokentracker_celery_task_failures",
    "Celery tasks that failed for good (after their retries), by task.",
    ["task"],
)
TASK_RETRIES = Counter(
    "tokentracker_celery_task_retries",
    "Celery task retries scheduled, by task.",
    ["task"],
)
ALERT_DELIVERY_ATTEMPTS = Counter(
    "tokentracker_alert_delivery_attempts",
    "Budget alert delivery attempts by channel and outcome: delivered, retry (failed, "
    "another attempt is due), failed (failed for good).",
    ["channel", "outcome"],
)

ALL_METRICS = (
    INGEST_EVENTS,
    INGEST_REQUESTS,
    INGEST_DURATION,
    TASK_FAILURES,
    TASK_RETRIES,
    ALERT_DELIVERY_ATTEMPTS,
)


def ingest_events_counted(
    *, door: str, accepted: int = 0, duplicate: int = 0, refused: int = 0
) -> None:
    """Count the events a door judged; a call from no door (an importer, a task) is not."""
    if not door:
        return
    for outcome, count in (("accepted", accepted), ("duplicate", duplicate), ("refused", refused)):
        if count:
            INGEST_EVENTS.labels(door=door, outcome=outcome).inc(count)


def ingest_request_observed(*, door: str, status: int, seconds: float) -> None:
    INGEST_REQUESTS.labels(door=door, status=str(status)).inc()
    INGEST_DURATION.labels(door=door).observe(seconds)


def alert_delivery_counted(*, channel: str, outcome: str) -> None:
    ALERT_DELIVERY_ATTEMPTS.labels(channel=channel, outcome=outcome).inc()


def task_failure_counted(sender: Any = None, **kwargs: Any) -> None:
    """Celery's task_failure signal (connected in tokentracker.celery)."""
    TASK_FAILURES.labels(task=getattr(sender, "name", str(sender))).inc()


def task_retry_counted(sender: Any = None, **kwargs: Any) -> None:
    """Celery's task_retry signal (connected in tokentracker.celery)."""
    TASK_RETRIES.labels(task=getattr(sender, "name", str(sender))).inc()
