"""The Celery worker's heartbeat: proof, for /api/health, that queued work gets done.

Beat queues `worker_heartbeat_task` every HEALTH_WORKER_HEARTBEAT_SECONDS and a worker
runs it, writing the time to the cache (Redis, which web and worker share); a worker also
writes one when it starts. So a recent heartbeat means beat, the broker and a worker all
work; none for HEALTH_WORKER_STALE_SECONDS means one of them does not. Kept in the cache,
not the database: it is rewritten every few seconds and worthless once old.
"""

from datetime import datetime

from django.utils import timezone

from .cache import cache_call, cache_set

HEARTBEAT_CACHE_KEY = "worker-heartbeat"


def worker_heartbeat_record(*, at: datetime | None = None) -> None:
    # No expiry: an old heartbeat is the evidence of how long the worker has been gone.
    cache_set(HEARTBEAT_CACHE_KEY, at or timezone.now(), None)


def worker_heartbeat_last() -> datetime | None:
    """When a worker last beat; None if never (or since the cache was emptied).
    Raises CacheUnavailable when the cache cannot be read: then nobody knows."""
    return cache_call("get", HEARTBEAT_CACHE_KEY)
