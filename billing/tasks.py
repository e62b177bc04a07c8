from celery import Task, shared_task

from .services.deliveries import alert_deliveries_sweep, alert_delivery_attempt


# The service counts the attempts in the database and gives up after
# ALERT_DELIVERY_MAX_ATTEMPTS, so Celery's own retry count is not a limit (max_retries=None):
# a task queued again by the sweep starts it from 0. One attempt waits at most
# ALERT_DELIVERY_TIMEOUT_SECONDS per HTTP phase or EMAIL_TIMEOUT; the soft limit stops a
# receiver that trickles its answer, and is logged as a failed attempt.
@shared_task(bind=True, acks_late=True, max_retries=None, soft_time_limit=60, time_limit=90)
def alert_delivery_task(self: Task, delivery_id: int, attempts_done: int = 0) -> str:
    outcome = alert_delivery_attempt(delivery_id=delivery_id, attempts_done=attempts_done)
    # With no broker (the embedded default) there is no worker to come back later: the
    # attempts follow one another here, without the wait. (Celery's own eager retry raises
    # Retry to the caller instead, with task_eager_propagates.)
    while outcome.retry_in is not None and self.request.is_eager:
        outcome = alert_delivery_attempt(delivery_id=delivery_id, attempts_done=outcome.attempts)
    if outcome.retry_in is not None:
        raise self.retry(args=(delivery_id, outcome.attempts), countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def alert_deliveries_sweep_task() -> int:
    return alert_deliveries_sweep()
