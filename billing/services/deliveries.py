"""Delivering budget alerts: one `AlertDelivery` per target (each admin's and owner's
address, each active endpoint), each tried by a Celery task until it is delivered, given
up, or out of attempts; every attempt is logged as a `DeliveryAttempt`.

Retries: a non-2xx answer, a network error or a mail server error is a failed attempt,
tried again after BACKOFF * 4**(n-1) seconds (settings.ALERT_DELIVERY_*), up to
ALERT_DELIVERY_MAX_ATTEMPTS. A 4xx other than 408 (timeout) and 429 (rate limited) says the
receiver refuses this request as it is, so it is not retried: the delivery fails at once.
So does a host that resolves to an address webhooks may not post to
(`billing.webhook_targets`): nothing is sent to it, and retrying would change nothing.
"""

import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx2
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from standardwebhooks import Webhook

from billing.alert_messages import (
    alert_email,
    alert_event_type,
    alert_slack_body,
    alert_webhook_body,
    slack_test_body,
    webhook_test_body,
)
from billing.models import (
    AlertDelivery,
    AlertEventType,
    BudgetAlert,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    WebhookEndpoint,
    WebhookKind,
)
from billing.selectors.deliveries import alert_recipient_addresses
from billing.signals import alert_fired
from billing.webhook_targets import TargetRefused, TargetUnresolved, target_addresses
from tokentracker.broker import task_publish
from tokentracker.crypto import DecryptionFailed
from tokentracker.metrics import alert_delivery_counted

from .actors import Actor
from .webhooks import WebhookEndpointNotFound, url_shown, webhook_check_may_edit

logger = logging.getLogger(__name__)

USER_AGENT = "TokenTracker-Webhooks/1.0"
# A claimed attempt holds the delivery this long; past it, a worker killed mid-send has its
# attempt taken up by the sweep. Longer than the task's hard time limit (billing.tasks).
CLAIM_SECONDS = 120
# The sweep leaves a delivery this long to the message queued for it before queueing another.
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 500
ERROR_LENGTH = 500


@dataclass(frozen=True)
class AttemptOutcome:
    status: str  # delivered | failed | pending (a retry is due in `retry_in`) | skipped
    attempts: int
    retry_in: float | None = None


@dataclass(frozen=True)
class _Answer:
    response_status: int | None = None
    error: str = ""
    permanent: bool = False

    @property
    def succeeded(self) -> bool:
        return not self.error and (
            self.response_status is None or 200 <= self.response_status < 300
        )


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): exponential, base 4."""
    return settings.ALERT_DELIVERY_BACKOFF_SECONDS * 4 ** (attempt - 1)


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


# --- making deliveries --------------------------------------------------------------------


@receiver(alert_fired)
def deliver_fired_alert(*, alert_id: int, **kwargs: Any) -> None:
    """alert_fired is sent once the alert is committed; deliver it on every channel."""
    alert_deliveries_create(alert_id=alert_id)


def _create_once(**fields: Any) -> AlertDelivery | None:
    """The delivery, or None if this alert already has one for that target (alert_fired
    reached us twice, or two workers raced): the unique constraints decide."""
    try:
        with transaction.atomic():
            return AlertDelivery.objects.create(message_id=_message_id(), **fields)
    except IntegrityError:
        return None


def alert_deliveries_create(*, alert_id: int) -> list[int]:
    """Make the alert's deliveries (an email to each admin and owner, a post to each active
    endpoint) and queue them once committed; returns the ids of those made now."""
    alert = BudgetAlert.objects.select_related("budget", "organization").filter(pk=alert_id).first()
    if alert is None:
        return []
    event_type = alert_event_type(alert)
    common = {"organization_id": alert.organization_id, "alert": alert, "event_type": event_type}
    email = alert_email(alert)
    made: list[AlertDelivery | None] = []
    with transaction.atomic():
        for address in alert_recipient_addresses(organization_id=alert.organization_id):
            made.append(
                _create_once(
                    **common,
                    channel=DeliveryChannel.EMAIL,
                    recipient=address,
                    target=address,
                    payload=email,
                )
            )
        endpoints = WebhookEndpoint.objects.filter(
            organization_id=alert.organization_id, active=True
        ).order_by("id")
        for endpoint in endpoints:
            slack = endpoint.kind == WebhookKind.SLACK
            made.append(
                _create_once(
                    **common,
                    channel=DeliveryChannel.SLACK if slack else DeliveryChannel.WEBHOOK,
                    endpoint=endpoint,
                    target=endpoint.url_shown,
                    payload=alert_slack_body(alert) if slack else alert_webhook_body(alert),
                )
            )
        ids = [delivery.pk for delivery in made if delivery is not None]
        transaction.on_commit(partial(alert_deliveries_queue, ids))
    return ids


def webhook_test_send(*, organization_id: int, endpoint_id: int, actor: Actor) -> AlertDelivery:
    """Send a `webhook.test` event to one endpoint (active or not), delivered and logged
    like an alert. Raises `WebhookPermissionDenied` unless `actor` is one of the
    organization's admins or owners (a test posts to a URL and logs how it answered), or
    `WebhookEndpointNotFound`."""
    webhook_check_may_edit(actor, organization_id)
    endpoint = WebhookEndpoint.objects.filter(
        organization_id=organization_id, pk=endpoint_id
    ).first()
    if endpoint is None:
        raise WebhookEndpointNotFound("No such webhook.")
    slack = endpoint.kind == WebhookKind.SLACK
    with transaction.atomic():
        delivery = AlertDelivery.objects.create(
            organization_id=organization_id,
            alert=None,
            event_type=AlertEventType.TEST,
            channel=DeliveryChannel.SLACK if slack else DeliveryChannel.WEBHOOK,
            endpoint=endpoint,
            target=endpoint.url_shown,
            message_id=_message_id(),
            payload=(
                slack_test_body(endpoint)
                if slack
                else webhook_test_body(endpoint, sent_at=timezone.now())
            ),
        )
        transaction.on_commit(partial(alert_deliveries_queue, [delivery.pk]))
    return delivery


def alert_deliveries_queue(delivery_ids: list[int]) -> None:
    """After commit: queue one task per delivery. With no broker configured the task runs
    here (the embedded default; its retries follow at once, there is no worker to wait).
    When the broker cannot be reached the deliveries wait for the sweep, which beat runs
    every minute, rather than holding up whoever fired the alert with network calls."""
    from billing.tasks import alert_delivery_task

    for delivery_id in delivery_ids:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                alert_delivery_task.delay(delivery_id, 0)
            except Exception:
                # One delivery's bug must not stop the others, nor the evaluation that fired.
                logger.exception("alert delivery %s failed in-process", delivery_id)
        elif not task_publish(alert_delivery_task, delivery_id, 0):
            logger.warning("alert delivery %s not queued: the sweep will queue it", delivery_id)


# --- attempts -----------------------------------------------------------------------------


def alert_delivery_attempt(*, delivery_id: int, attempts_done: int) -> AttemptOutcome:
    """Make attempt `attempts_done + 1` of a delivery, if it is still pending and nobody
    made that attempt yet; log it, and say whether and when to retry.

    The conditional UPDATE from `attempts_done` claims the attempt: a task that runs twice,
    late, or beside another finds nothing to claim and sends nothing, so a delivered alert
    is never sent again. An attempt that a dead worker left unfinished is logged as cut off
    when the next one is claimed.
    """
    maximum = settings.ALERT_DELIVERY_MAX_ATTEMPTS
    if attempts_done >= maximum:
        return AttemptOutcome("skipped", attempts_done)
    number = attempts_done + 1
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            AlertDelivery.objects.filter(
                pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempts_done
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(
                attempts=number,
                locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                updated_at=now,
            )
        )
        if not claimed:
            return AttemptOutcome("skipped", attempts_done)
        DeliveryAttempt.objects.filter(delivery_id=delivery_id, finished_at__isnull=True).update(
            finished_at=now, error="Cut off: the worker stopped before an answer came."
        )
        attempt = DeliveryAttempt.objects.create(
            delivery_id=delivery_id, number=number, started_at=now
        )
    delivery = AlertDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    answer = _send(delivery)
    finished = timezone.now()
    retry_in = None
    if answer.succeeded:
        status = DeliveryStatus.DELIVERED
    elif answer.permanent or number >= maximum:
        status = DeliveryStatus.FAILED
    else:
        status = DeliveryStatus.PENDING
        retry_in = retry_delay(number)
    next_attempt_at = finished + timedelta(seconds=retry_in) if retry_in is not None else None
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=finished,
            succeeded=answer.succeeded,
            response_status=answer.response_status,
            error=answer.error,
            next_attempt_at=next_attempt_at,
        )
        AlertDelivery.objects.filter(pk=delivery_id, attempts=number).update(
            status=status,
            last_response_status=answer.response_status,
            last_error=answer.error,
            next_attempt_at=next_attempt_at,
            locked_until=None,
            delivered_at=finished if answer.succeeded else None,
            updated_at=finished,
        )
    _log(delivery, number, status, answer, retry_in)
    alert_delivery_counted(
        channel=delivery.channel,
        outcome="retry" if status == DeliveryStatus.PENDING else str(status),
    )
    return AttemptOutcome(status, number, retry_in)


def _log(
    delivery: AlertDelivery, number: int, status: str, answer: _Answer, retry_in: float | None
) -> None:
    # `target` is an address or an endpoint's scheme and host: never a URL's secret part.
    outcome = f"HTTP {answer.response_status}" if answer.response_status else "sent"
    if answer.error:
        outcome = answer.error
    if status == DeliveryStatus.DELIVERED:
        logger.info(
            "alert delivery %s attempt %s to %s delivered (%s)",
            delivery.pk,
            number,
            delivery.target,
            outcome,
        )
    elif retry_in is not None:
        logger.warning(
            "alert delivery %s attempt %s to %s failed (%s); retry in %ss",
            delivery.pk,
            number,
            delivery.target,
            outcome,
            retry_in,
        )
    else:
        logger.warning(
            "alert delivery %s attempt %s to %s failed for good (%s)",
            delivery.pk,
            number,
            delivery.target,
            outcome,
        )


def _send(delivery: AlertDelivery) -> _Answer:
    if delivery.channel == DeliveryChannel.EMAIL:
        return _send_email(delivery)
    endpoint = delivery.endpoint
    if endpoint is None:
        return _Answer(error="The endpoint was deleted.", permanent=True)
    if delivery.alert_id is not None and not endpoint.active:
        return _Answer(error="The endpoint was deactivated.", permanent=True)
    try:
        url = endpoint.url
        secret = endpoint.signing_secret
    except DecryptionFailed:
        return _Answer(
            error="The endpoint's URL cannot be decrypted with FIELD_ENCRYPTION_KEY.",
            permanent=True,
        )
    return _post(delivery, url, secret)


def _send_email(delivery: AlertDelivery) -> _Answer:
    try:
        send_mail(
            delivery.payload["subject"],
            delivery.payload["body"],
            None,
            [delivery.recipient],
            fail_silently=False,
        )
    except SoftTimeLimitExceeded:
        return _Answer(error="Timed out (the task's time limit).")
    except Exception as error:  # each mail backend raises its own; all are a failed attempt
        logger.warning("alert delivery %s: mail error", delivery.pk, exc_info=True)
        return _Answer(error=_describe(error, url=""))
    return _Answer()


def _post(delivery: AlertDelivery, url: str, secret: str) -> _Answer:
    try:
        addresses = target_addresses(url)
    except TargetRefused as refused:
        return _Answer(error=str(refused), permanent=True)
    except TargetUnresolved as unresolved:
        return _Answer(error=_describe(unresolved, url=url))
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if delivery.channel == DeliveryChannel.WEBHOOK:
        sent_at = timezone.now()
        headers.update(
            {
                "webhook-id": delivery.message_id,
                "webhook-timestamp": str(math.floor(sent_at.timestamp())),
                "webhook-signature": Webhook(secret).sign(delivery.message_id, sent_at, body),
            }
        )
    named = httpx2.URL(url)
    # Connect to the addresses just checked, never to a second lookup of the name (see
    # billing.webhook_targets); the name stays in Host, and in SNI for the certificate check.
    headers["Host"] = named.netloc.decode("ascii")
    extensions = {"sni_hostname": named.raw_host.decode("ascii")} if named.scheme == "https" else {}
    timeout = settings.ALERT_DELIVERY_TIMEOUT_SECONDS
    for index, address in enumerate(addresses):
        try:
            # No redirects: a 3xx is a failed attempt, never a post to a URL nobody set.
            with (
                httpx2.Client(timeout=httpx2.Timeout(timeout), follow_redirects=False) as client,
                client.stream(
                    "POST",
                    named.copy_with(host=address),
                    content=body.encode(),
                    headers=headers,
                    extensions=extensions,
                ) as response,
            ):
                # The answer's body is not read: its status is all a delivery needs.
                return _answer_of(response.status_code)
        except SoftTimeLimitExceeded:
            return _Answer(error="Timed out (the task's time limit).")
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as error:
            # Nothing was sent: the name's next address may answer, as a client resolving
            # the name itself would try it (an IPv6 and an IPv4 address, one of them down).
            if index + 1 == len(addresses):
                return _Answer(error=_describe(error, url=url))
        except (httpx2.HTTPError, OSError, ValueError) as error:
            return _Answer(error=_describe(error, url=url))
    raise AssertionError("target_addresses returns at least one address")


def _answer_of(code: int) -> _Answer:
    if 200 <= code < 300:
        return _Answer(response_status=code)
    permanent = 400 <= code < 500 and code not in (408, 429)
    return _Answer(response_status=code, error=f"HTTP {code}", permanent=permanent)


def _describe(error: BaseException, *, url: str) -> str:
    """The error's type and message, with the URL cut down to its scheme and host: an
    exception's text may quote the URL, and a Slack URL's path is its credential."""
    text = f"{type(error).__name__}: {error}".strip()
    if url:
        shown = url_shown(url)
        text = text.replace(url, shown)
        tail = url.split("://", 1)[-1]
        text = text.replace(tail, shown)
        path = tail.partition("/")[2]
        if len(path) > 1:
            text = text.replace(path, "…")
    return text[:ERROR_LENGTH]


# --- the sweep ----------------------------------------------------------------------------


def alert_deliveries_sweep(*, now: Any = None) -> int:
    """Queue again the pending deliveries no message will reach: claimed by a worker that
    died (the claim expired), or whose message was lost (the broker was down when it was
    queued, or restarted with the retry in it). A cut-off last attempt fails the delivery.
    Returns how many were queued."""
    from billing.tasks import alert_delivery_task

    now = now or timezone.now()
    overdue = now - SWEEP_GRACE
    stale = (
        AlertDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(
            Q(locked_until__lt=now)
            | Q(locked_until__isnull=True, next_attempt_at__lt=overdue)
            | Q(locked_until__isnull=True, next_attempt_at__isnull=True, created_at__lt=overdue)
        )
        .order_by("id")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    queued = 0
    maximum = settings.ALERT_DELIVERY_MAX_ATTEMPTS
    for delivery_id, attempts in stale:
        if attempts >= maximum:
            _fail_cut_off(delivery_id, attempts, now)
        elif task_publish(alert_delivery_task, delivery_id, attempts):
            queued += 1
    return queued


def _fail_cut_off(delivery_id: int, attempts: int, now: Any) -> None:
    error = "Cut off: the worker stopped before an answer came."
    with transaction.atomic():
        failed = (
            AlertDelivery.objects.filter(
                pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempts
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .update(status=DeliveryStatus.FAILED, last_error=error, locked_until=None)
        )
        if failed:
            DeliveryAttempt.objects.filter(
                delivery_id=delivery_id, finished_at__isnull=True
            ).update(finished_at=now, error=error)
