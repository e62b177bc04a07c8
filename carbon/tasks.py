from celery import shared_task

from .services import pending_track_persist, pending_tracks_sweep


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=25,
    time_limit=30,
)
def pending_track_persist_task(pending_id: int) -> bool:
    return pending_track_persist(pending_id=pending_id)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def pending_tracks_sweep_task() -> int:
    return pending_tracks_sweep()
