"""Budget evaluation: after rollup merges (throttled per organization) and every five
minutes by beat. Evaluating twice fires nothing twice (billing.services.alerts).
Alert delivery: one task per delivery attempt, and a sweep for lost ones.
Receipt reading: one task per uploaded receipt, and a sweep for lost ones.
Provider sync: one task per integration, queued hourly for every connected one.
Stripe: one task per webhook event, a sweep for lost ones, and the hourly end of past-due
grace periods."""

import logging
from functools import partial

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from tokentracker.broker import task_publish, task_queued
from tokentracker.cache import cache_add

from .models import ProviderIntegration, SyncTrigger
from .selectors.budgets import organizations_with_budgets
from .selectors.sync import integrations_due_for_sync
from .services import stripe_events, subscriptions
from .services.alerts import budgets_evaluate
from .services.deliveries import alert_deliveries_sweep, alert_delivery_attempt
from .services.receipts import receipt_read, receipts_read_sweep
from .services.sync import integration_sync

logger = logging.getLogger(__name__)

# After a merge, an organization's budgets are evaluated at most once per this many
# seconds: the evaluation is queued this long ahead, so the spend merged meanwhile is in it.
EVALUATE_DELAY_SECONDS = 60


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def budgets_evaluate_task(organization_id: int) -> int:
    return len(budgets_evaluate(organization_id, now=timezone.now()))


@shared_task(acks_late=True, soft_time_limit=100, time_limit=120)
def budgets_evaluate_all_task() -> int:
    """Queue one evaluation per organization with budgets (one failing or slow
    organization holds back no other); in-process when no broker is reachable."""
    organization_ids = organizations_with_budgets()
    for organization_id in organization_ids:
        if settings.CELERY_TASK_ALWAYS_EAGER or not task_publish(
            budgets_evaluate_task, organization_id
        ):
            _evaluate_here(organization_id)
    return len(organization_ids)


def _evaluate_here(organization_id: int) -> None:
    try:
        budgets_evaluate(organization_id, now=timezone.now())
    except Exception:
        # Beat's next round tries again; the other organizations go on.
        logger.exception("budgets of organization %s not evaluated", organization_id)


def budgets_evaluate_soon(organization_id: int, *, throttled: bool = False) -> None:
    """Evaluate the organization's budgets shortly: now, or when `throttled` (after rollup
    merges, which come every second under load) at most once per EVALUATE_DELAY_SECONDS.

    With no broker (the embedded default) it runs here; with the broker down it is left to
    beat's round, which runs every five minutes once the broker is back.
    """
    key = f"budgets-evaluate-queued:{organization_id}"
    if throttled and cache_add(key, 1, EVALUATE_DELAY_SECONDS) is False:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _evaluate_here(organization_id)
        return
    countdown = EVALUATE_DELAY_SECONDS if throttled else None
    task_publish(budgets_evaluate_task, organization_id, countdown=countdown)


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


# Only the database's own outages are retried: what the reading itself raises fails the
# receipt (billing.services.receipts), and reading it again would fail the same way. A
# 20-page scanned PDF (the most an upload may have) read in 11.5 s on the dev machine; the
# limit leaves room for a slower, busier one.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=150,
    time_limit=180,
)
def receipt_read_task(receipt_id: int) -> str | None:
    receipt = receipt_read(receipt_id)
    return receipt.status if receipt is not None else None


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def receipts_read_sweep_task() -> int:
    return receipts_read_sweep()


# A sync makes at most a few requests per stream, each waiting at most the read timeout,
# with at most PROVIDER_SYNC_MAX_WAIT_SECONDS of waits between retries (billing.sync.http);
# the soft limit ends a sync that still runs over, recorded as not synced
# (billing.services.sync), the hard limit is under its claim (CLAIM_SECONDS). Provider
# failures are never raised (a refused key least of all: it waits for a new key), so only
# the database's own outages are retried.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def integration_sync_task(
    integration_id: int, trigger: str = SyncTrigger.SCHEDULE, force: bool = False
) -> str | None:
    try:
        return integration_sync(integration_id, trigger=trigger, force=force).status
    except ProviderIntegration.DoesNotExist:
        return None  # removed since it was queued


def _sync_here(integration_id: int, trigger: str, force: bool) -> None:
    try:
        integration_sync(integration_id, trigger=trigger, force=force)
    except ProviderIntegration.DoesNotExist:
        pass
    except Exception:
        # One organization's failing sync holds back no other; the next hour tries again.
        logger.exception("integration %s not synced", integration_id)


@shared_task(acks_late=True, soft_time_limit=100, time_limit=120)
def integrations_sync_all() -> int:
    """Queue one sync per connected integration (those with a refused key wait for a new
    one); in-process, one after the other, when no broker is configured or reachable."""
    integration_ids = integrations_due_for_sync()
    for integration_id in integration_ids:
        if settings.CELERY_TASK_ALWAYS_EAGER or not task_publish(
            integration_sync_task, integration_id, SyncTrigger.SCHEDULE.value, False
        ):
            _sync_here(integration_id, SyncTrigger.SCHEDULE.value, False)
    return len(integration_ids)


def integration_sync_queue(integration_id: int, *, trigger: str, force: bool = False) -> None:
    """Sync the integration once the current transaction commits: in a worker, or here
    when there is no broker (the embedded default) or it cannot be reached."""
    transaction.on_commit(partial(_sync_queued, integration_id, str(trigger), force))


def _sync_queued(integration_id: int, trigger: str, force: bool) -> None:
    if not task_queued(integration_sync_task, integration_id, trigger, force):
        _sync_here(integration_id, trigger, force)


# One event makes at most three Stripe requests, each given up after 10 s and two retries
# (billing.payments.client); the soft limit leaves the event pending for another try, the
# hard limit is under the claim (stripe_events.CLAIM_SECONDS). Stripe's own outages are
# retried with the service's delays and count of attempts, the database's by Celery.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=stripe_events.MAX_ATTEMPTS,
    soft_time_limit=90,
    time_limit=100,
)
def stripe_event_process(self: Task, event_pk: int) -> str | None:
    outcome = stripe_events.stripe_event_apply(event_id=event_pk)
    # With no broker (the embedded default) nothing could come back later: the event stays
    # pending, for a redelivery, the sweep or Django admin to take up.
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def stripe_events_sweep_task() -> int:
    return stripe_events.stripe_events_sweep()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=100,
    time_limit=120,
)
def subscriptions_enforce() -> int:
    """Past-due subscriptions whose grace period ended: their organizations to the default
    plan (hourly, beat)."""
    return subscriptions.subscriptions_enforce(now=timezone.now())
