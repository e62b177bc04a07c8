"""Stripe's webhook events: each stored once by its id, then processed by a task that claims
it, reads from Stripe the current state of what it names, and applies that
(`billing.services.subscriptions`).

Stripe delivers events at least once and in no particular order, so an event is only a
prompt: the subscription and invoice it names are retrieved again, and what Stripe says
now is applied. Processing an event twice, or an old one late, changes nothing more.

A network error or a 5xx from Stripe leaves the event pending and the task tries again with
a growing delay, up to MAX_ATTEMPTS; anything else fails it at once with the reason (Django
admin lists failed events and processes them again on request). An event the task never
reached (the broker lost it) is queued again by a sweep.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import stripe
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from stripe import StripeClient

from billing.models import BillingAccount, StripeEvent, StripeEventStatus
from billing.payments.client import BillingNotConfigured, stripe_client
from billing.payments.objects import (
    StripeObjectMalformed,
    SubscriptionFacts,
    checkout_facts,
    invoice_facts,
    subscription_facts,
)
from tokentracker.broker import task_queued
from tokentracker.models import Organization

from .subscriptions import invoice_record, subscription_apply

logger = logging.getLogger(__name__)

# A claim older than this belongs to a task that died: longer than the task's hard time
# limit (billing.tasks.stripe_event_process), so a live task is never overtaken.
CLAIM_SECONDS = 120
# Stripe outages are short: five attempts over about eight minutes (30 s, 1, 2, 4 min).
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
# Pending this long after its last attempt (or its arrival), an event lost its task.
SWEEP_AFTER = timedelta(minutes=30)
SWEEP_BATCH = 100
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class Handled:
    status: str  # PROCESSED, or IGNORED with a note saying why
    organization_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class StripeEventOutcome:
    status: str | None  # None: no such event
    retry_in: int | None = None  # seconds until the next attempt, when one is due


def _without_nul(value: Any) -> Any:
    """A copy of a parsed JSON value with every NUL character taken out of its strings and
    keys. PostgreSQL's jsonb refuses the character, which JSON text may carry as \\u0000: a
    metadata value holding one must not make a signed event unstorable (Stripe would send
    it again for three days, a 500 each time). A loop, not recursion, whatever the depth."""
    root: list[Any] = [None]
    pending: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while pending:
        item, parent, key = pending.pop()
        if isinstance(item, str):
            parent[key] = item.replace("\x00", "")
        elif isinstance(item, dict):
            copy: dict[str, Any] = {}
            parent[key] = copy
            for name, child in item.items():
                clean = name.replace("\x00", "")
                copy[clean] = None  # keeps the keys' order
                pending.append((child, copy, clean))
        elif isinstance(item, list):
            parent[key] = items = [None] * len(item)
            pending.extend((child, items, index) for index, child in enumerate(item))
        else:
            parent[key] = item
    return root[0]


def stripe_event_record(*, payload: Mapping[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event (`billing.payments.signatures`) once by its id, True if new,
    and queue its processing at commit. A redelivered event finds its row and changes
    nothing; if it is still pending or processing (its task may be lost: the claim keeps a
    live one from running twice), it is queued again."""
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            stripe_event_id=payload["id"],
            defaults={
                "event_type": payload["type"],
                "stripe_created": datetime.fromtimestamp(payload["created"], tz=UTC),
                "payload": _without_nul(payload),
            },
        )
        if created or event.status in (StripeEventStatus.PENDING, StripeEventStatus.PROCESSING):
            # Robust: the webhook answers 200 once the event is stored, whatever happens to
            # its processing (which, with no broker, runs here).
            transaction.on_commit(partial(stripe_event_process_soon, event.pk), robust=True)
    return event, created


def stripe_event_process_soon(event_id: int) -> None:
    """After the commit: queue the processing, or process here (no broker configured, the
    embedded default, or the broker cannot be reached)."""
    from billing.tasks import stripe_event_process

    if task_queued(stripe_event_process, event_id):
        return
    try:
        stripe_event_apply(event_id=event_id)
    except Exception:
        # The event stays pending or processing: the sweep, or Django admin, takes it up.
        logger.exception("Stripe event %s not processed", event_id)


def stripe_event_apply(*, event_id: int, now: datetime | None = None) -> StripeEventOutcome:
    """Claim one event and process it; the task's body. An event already processed, or
    claimed by another run, is left alone. Database outages propagate (the task retries)."""
    now = now or timezone.now()
    claimed = (
        StripeEvent.objects.filter(pk=event_id)
        .filter(
            Q(status=StripeEventStatus.PENDING)
            | Q(
                status=StripeEventStatus.PROCESSING,
                claimed_at__lt=now - timedelta(seconds=CLAIM_SECONDS),
            )
        )
        .update(status=StripeEventStatus.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
    )
    event = StripeEvent.objects.filter(pk=event_id).first()
    if event is None or not claimed:
        return StripeEventOutcome(event.status if event is not None else None)
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        return _finish(
            event, Handled(StripeEventStatus.IGNORED, note="Not an event TokenTracker acts on.")
        )
    try:
        with transaction.atomic():
            handled = handler(_event_object(event.payload), event.stripe_created, now)
            return _finish(event, handled)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if _is_transient(error):
            return _retry_later(event, _reason(error))
        if not isinstance(error, (stripe.StripeError, StripeObjectMalformed, BillingNotConfigured)):
            logger.exception("Stripe event %s (%s) failed", event.stripe_event_id, event.event_type)
        return _finish(event, Handled(StripeEventStatus.FAILED, note=_reason(error)))


def _is_transient(error: Exception) -> bool:
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError, SoftTimeLimitExceeded)):
        return True
    if isinstance(error, stripe.StripeError):
        return isinstance(error, stripe.APIError) or (error.http_status or 0) >= 500
    return False


def _reason(error: Exception) -> str:
    if isinstance(error, stripe.StripeError):
        return f"Stripe answered: {error.user_message or error}"
    if isinstance(error, SoftTimeLimitExceeded):
        return "Processing took longer than its time limit."
    if isinstance(error, (StripeObjectMalformed, BillingNotConfigured)):
        return str(error)
    return f"Processing failed ({error.__class__.__name__}); the logs have the details."


def _finish(event: StripeEvent, handled: Handled) -> StripeEventOutcome:
    StripeEvent.objects.filter(pk=event.pk, status=StripeEventStatus.PROCESSING).update(
        status=handled.status,
        organization_id=handled.organization_id or event.organization_id,
        error=handled.note[:NOTE_LIMIT],
        processed_at=timezone.now(),
    )
    return StripeEventOutcome(handled.status)


def _retry_later(event: StripeEvent, reason: str) -> StripeEventOutcome:
    attempts = StripeEvent.objects.filter(pk=event.pk).values_list("attempts", flat=True).get()
    if attempts >= MAX_ATTEMPTS:
        return _finish(
            event,
            Handled(StripeEventStatus.FAILED, note=f"{reason} (gave up after {attempts} tries)"),
        )
    StripeEvent.objects.filter(pk=event.pk, status=StripeEventStatus.PROCESSING).update(
        status=StripeEventStatus.PENDING, error=reason[:NOTE_LIMIT]
    )
    return StripeEventOutcome(StripeEventStatus.PENDING, RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def _event_object(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = payload.get("data")
    found = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(found, Mapping):
        raise StripeObjectMalformed("The event has no `data.object`.")
    return found


def _account_locked(customer_id: str) -> BillingAccount | None:
    return (
        BillingAccount.objects.select_for_update()
        .select_related("organization")
        .filter(stripe_customer_id=customer_id)
        .first()
    )


def _unknown_customer(customer_id: str) -> Handled:
    return Handled(
        StripeEventStatus.IGNORED, note=f"No organization has the Stripe customer {customer_id}."
    )


def _subscription_retrieve(client: StripeClient, subscription_id: str) -> SubscriptionFacts | None:
    """The subscription as Stripe has it now; None if Stripe no longer has it."""
    try:
        found = client.v1.subscriptions.retrieve(subscription_id)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise
    return subscription_facts(found.to_dict())


def subscription_changed(
    subscription: Mapping[str, Any], event_created: datetime, now: datetime
) -> Handled:
    """customer.subscription.created, .updated and .deleted."""
    snapshot = subscription_facts(subscription)
    account = _account_locked(snapshot.customer_id)
    if account is None:
        return _unknown_customer(snapshot.customer_id)
    current = _subscription_retrieve(stripe_client(), snapshot.id)
    note = subscription_apply(
        account=account,
        subscription=current or snapshot,
        event_created=event_created,
        now=now,
        current=current is not None,
    )
    status = StripeEventStatus.IGNORED if note else StripeEventStatus.PROCESSED
    return Handled(status, account.organization_id, note)


def invoice_changed(invoice: Mapping[str, Any], event_created: datetime, now: datetime) -> Handled:
    """invoice.paid, invoice.payment_succeeded and invoice.payment_failed: the invoice is
    recorded, and its subscription (now past due, or active again) applied."""
    snapshot = invoice_facts(invoice)
    account = _account_locked(snapshot.customer_id)
    if account is None:
        return _unknown_customer(snapshot.customer_id)
    client = stripe_client()
    try:
        current = invoice_facts(client.v1.invoices.retrieve(snapshot.id).to_dict())
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
        current = snapshot  # deleted since (a draft): the event's copy is all there is
    invoice_record(account=account, invoice=current)
    note = ""
    if current.subscription_id:
        subscription = _subscription_retrieve(client, current.subscription_id)
        if subscription is not None:
            note = subscription_apply(
                account=account,
                subscription=subscription,
                event_created=event_created,
                now=now,
                current=True,
            )
    # The invoice was recorded either way; the note says why the subscription was not.
    return Handled(StripeEventStatus.PROCESSED, account.organization_id, note)


def _organization_of_reference(reference: str | None) -> Organization | None:
    # Checkout sessions carry the organization's uuid as `client_reference_id`.
    try:
        uuid = UUID(reference or "")
    except ValueError:
        return None
    return Organization.objects.filter(uuid=uuid).first()


def checkout_completed(
    session: Mapping[str, Any], event_created: datetime, now: datetime
) -> Handled:
    """checkout.session.completed: the subscription the customer just paid for."""
    facts = checkout_facts(session)
    if facts.mode != "subscription" or facts.subscription_id is None:
        return Handled(StripeEventStatus.IGNORED, note="Not a subscription checkout.")
    subscription = _subscription_retrieve(stripe_client(), facts.subscription_id)
    if subscription is None:
        raise StripeObjectMalformed(f"Stripe has no subscription {facts.subscription_id}.")
    customer_id = facts.customer_id or subscription.customer_id
    account = _account_locked(customer_id)
    if account is None:
        organization = _organization_of_reference(facts.client_reference_id)
        if organization is None:
            return _unknown_customer(customer_id)
        # Made by our checkout, the customer has its account already; a session made
        # elsewhere (a payment link naming the organization) gets one here.
        BillingAccount.objects.get_or_create(
            organization=organization, defaults={"stripe_customer_id": customer_id}
        )
        account = (
            BillingAccount.objects.select_for_update()
            .select_related("organization")
            .get(organization=organization)
        )
    note = subscription_apply(
        account=account,
        subscription=subscription,
        event_created=event_created,
        now=now,
        current=True,
    )
    status = StripeEventStatus.IGNORED if note else StripeEventStatus.PROCESSED
    return Handled(status, account.organization_id, note)


HANDLERS: dict[str, Callable[[Mapping[str, Any], datetime, datetime], Handled]] = {
    "checkout.session.completed": checkout_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "invoice.paid": invoice_changed,
    "invoice.payment_succeeded": invoice_changed,
    "invoice.payment_failed": invoice_changed,
}


def stripe_events_sweep(*, now: datetime | None = None) -> int:
    """Queue again the events whose task was lost (beat); returns how many."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    event_ids = list(
        StripeEvent.objects.filter(
            status__in=[StripeEventStatus.PENDING, StripeEventStatus.PROCESSING]
        )
        .filter(Q(claimed_at__isnull=True, received_at__lt=cutoff) | Q(claimed_at__lt=cutoff))
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for event_id in event_ids:
        stripe_event_process_soon(event_id)
    return len(event_ids)


RETRYABLE_STATUSES = (
    StripeEventStatus.FAILED,
    StripeEventStatus.IGNORED,
    StripeEventStatus.PENDING,
)


def stripe_events_retry(*, event_ids: Iterable[int]) -> int:
    """Process failed, ignored or stuck events again, with a fresh count of attempts (Django
    admin's "process again": after a Stripe outage, a missing price added, ...). Safe for
    any of them: processing applies what Stripe says now. Returns how many were queued."""
    with transaction.atomic():
        retried = list(
            StripeEvent.objects.select_for_update()
            .filter(pk__in=list(event_ids), status__in=RETRYABLE_STATUSES)
            .values_list("pk", flat=True)
        )
        StripeEvent.objects.filter(pk__in=retried).update(
            status=StripeEventStatus.PENDING, attempts=0, error="", claimed_at=None
        )
        for event_id in retried:
            transaction.on_commit(partial(stripe_event_process_soon, event_id), robust=True)
    return len(retried)
