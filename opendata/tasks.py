from celery import shared_task

from .services import datasets_refresh


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=300,
)
def opendata_refresh_task() -> dict[str, int]:
    """Daily (Celery beat): rebuild the cost index, append yesterday's community rows. Each
    runs in one transaction and the community refresh skips published days, so a retry or
    a second run is harmless (and a day's work, not the whole history's)."""
    return datasets_refresh()
