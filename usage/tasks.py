from collections.abc import Callable

from celery import Task, shared_task
from django.conf import settings

from tokentracker.broker import task_publish
from tokentracker.cache import cache_add

from .rollups import rollups_merge
from .sessions.summaries import session_summaries_merge

# Ingest asks for a merge after every batch; at most one is queued per this many seconds,
# so 60 batches a second cost one merge a second, and rollups trail events by about that.
MERGE_DELAY_SECONDS = 1


# Both merges: idempotent (a delta is deleted in the transaction that adds it), retried on
# a database error, done well within beat's period.
MERGE_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "max_retries": 5,
    "soft_time_limit": 50,
    "time_limit": 60,
}


@shared_task(**MERGE_TASK_OPTIONS)
def rollups_merge_task() -> int:
    return rollups_merge()


@shared_task(**MERGE_TASK_OPTIONS)
def session_summaries_merge_task() -> int:
    return session_summaries_merge()


def _merge_soon(merge: Callable[[], int], task: Task, queued_key: str) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        merge()  # no worker: the embedded default merges in-process, right away
        return
    # With the cache down (None) every batch queues a merge, unless the broker is down too
    # (the same Redis): then task_publish skips it, and since the deltas are committed,
    # beat's periodic merge picks them up when the broker is back.
    if cache_add(queued_key, 1, MERGE_DELAY_SECONDS) is False:
        return
    task_publish(task, countdown=MERGE_DELAY_SECONDS)


def rollups_merge_soon() -> None:
    """Fold pending rollup deltas in shortly; called after an ingest commits."""
    _merge_soon(rollups_merge, rollups_merge_task, "rollups-merge-queued")


def session_summaries_merge_soon() -> None:
    """Fold pending session deltas in shortly; called after an ingest commits. Queued at
    most once per MERGE_DELAY_SECONDS, like the rollups' merge (beat merges too)."""
    _merge_soon(
        session_summaries_merge, session_summaries_merge_task, "session-summaries-merge-queued"
    )


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=25,
    time_limit=30,
)
def pending_track_persist_task(pending_id: int) -> bool:
    # Imported here: the ingest service imports this module to queue merges.
    from .services.tracks import pending_track_persist

    return pending_track_persist(pending_id=pending_id)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def pending_tracks_sweep_task() -> int:
    from .services.tracks import pending_tracks_sweep

    return pending_tracks_sweep()


# A large organization's events take minutes to convert again; each batch is small.
@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3000,
    time_limit=3600,
)
def events_reconvert_task(organization_id: int) -> int:
    from .services.conversions import events_reconvert

    return events_reconvert(organization_id=organization_id)


@shared_task(acks_late=True, soft_time_limit=3000, time_limit=3600)
def unconverted_events_convert_task() -> int:
    from .services.conversions import unconverted_events_convert

    return unconverted_events_convert()


# Nightly (settings.CELERY_BEAT_SCHEDULE): its own time budget stops it well before the
# hard limit, so a run that cannot finish leaves the rest for the next night.
@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def events_retention_purge_task() -> int:
    from .services.retention import events_retention_purge

    purges = events_retention_purge(time_budget_seconds=settings.EVENT_RETENTION_RUN_SECONDS)
    return sum(purge.events for purge in purges)


# Recounting an organization's tags reads its raw events: minutes for the largest ones.
@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1700,
    time_limit=1800,
)
def dimension_rollups_rebuild_task(organization_id: int) -> int:
    """Idempotent: each run recomputes the organization's dimension rollups from scratch."""
    from .rollup_rebuild import dimension_rollups_rebuild

    return dimension_rollups_rebuild(organization_id=organization_id)
