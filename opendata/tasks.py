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
    """Daily (Celery beat): rebuild the cost index and community datasets. Each rebuild
    replaces its table in one transaction, so a retry or a second run is harmless."""
    return datasets_refresh()
