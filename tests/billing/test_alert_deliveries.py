"""Budget alerts delivered by email, Slack and signed webhooks to a real local HTTP server:
retries with backoff, every attempt logged, nothing sent twice, no URL secret in a log.

Tasks run eagerly here (the suite has no worker; tests/faults/test_alert_delivery_worker.py
runs one): Celery then makes each retry at once, and the wait it would have made is the
`next_attempt_at` each attempt logs.
"""

import logging
from datetime import timedelta

import pytest
from django.core import mail

from billing.models import (
    AlertDelivery,
    AlertKind,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
)
from billing.services.deliveries import (
    alert_deliveries_create,
    alert_deliveries_sweep,
    alert_delivery_attempt,
)
from billing.services.webhooks import webhook_endpoint_create
from billing.signals import alert_fired
from billing.tasks import alert_delivery_task
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role

from .receivers import Receiver, budget_alert, endpoint_admin

pytestmark = pytest.mark.django_db

SLACK_PATH = "/services/T0001/B0002/s3cr3tT0k3n"


@pytest.fixture
def receiver(private_webhooks_allowed):
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def fire(django_capture_on_commit_callbacks):
    """Send alert_fired as the evaluation does once the alert is committed, and run what
    the receiver queues on commit."""

    def fire(alert):
        with django_capture_on_commit_callbacks(execute=True):
            alert_fired.send(sender=type(alert), alert_id=alert.pk)

    return fire


def webhook(org, receiver, path="/hooks/budget?token=abc123", active=True):
    created = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Ops",
        kind="webhook",
        url=receiver.base + path,
        active=active,
    )
    receiver.secret = created.secret
    return created.endpoint


def attempts_of(delivery):
    return list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list(
            "number", "succeeded", "response_status", "error"
        )
    )


def test_a_signed_webhook_answered_500_is_retried_and_delivered_with_the_same_id(
    org, receiver, fire
):
    endpoint = webhook(org, receiver)
    receiver.statuses = [500, 200]
    alert = budget_alert(org)

    fire(alert)

    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        DeliveryStatus.DELIVERED,
        2,
        200,
    )
    assert delivery.delivered_at is not None and delivery.last_error == ""
    assert attempts_of(delivery) == [(1, False, 500, "HTTP 500"), (2, True, 200, "")]
    first, second = DeliveryAttempt.objects.filter(delivery=delivery)
    # The wait before attempt 2 that a worker makes: ALERT_DELIVERY_BACKOFF_SECONDS.
    assert first.next_attempt_at - first.finished_at == timedelta(seconds=60)
    assert second.next_attempt_at is None

    assert [got.path for got in receiver.received] == ["/hooks/budget?token=abc123"] * 2
    assert [got.verify_error for got in receiver.received] == ["", ""]
    ids = {got.headers["webhook-id"] for got in receiver.received}
    assert ids == {delivery.message_id} and delivery.message_id.startswith("msg_")
    for got in receiver.received:
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["webhook-signature"].startswith("v1,")
    assert receiver.received[0].body == receiver.received[1].body
    assert receiver.received[1].verified == {
        "type": "budget.threshold_crossed",
        "timestamp": "2026-11-20T09:30:00Z",
        "data": {
            "alert_id": alert.pk,
            "organization": {"id": org.id, "slug": "acme"},
            "budget": {
                "id": alert.budget_id,
                "name": "Team & tools",
                "scope": "organization",
                "service": None,
                "project": None,
                "api_key_id": None,
                "developer_id": None,
            },
            "period": "2026-11",
            "kind": "threshold",
            "threshold_percent": 80,
            "budget_amount": 1000.0,
            "spent": 812.5,
            "projected": None,
            "percent_used": 81.25,
            "billed": None,  # untracked-spend alerts only
            "untracked": None,
            "percent_untracked": None,
            "currency": "USD",
        },
    }


def test_a_forged_signature_fails_the_receivers_check(org, receiver, fire):
    # The check in the receiver can fail: a different secret does not verify.
    webhook(org, receiver)
    receiver.secret = "whsec_" + "QUJD" * 8
    fire(budget_alert(org))
    assert receiver.received[0].verify_error == "No matching signature found"


def test_a_webhook_that_keeps_failing_fails_after_five_attempts_each_logged(org, receiver, fire):
    endpoint = webhook(org, receiver)
    receiver.statuses = [500, 502, 503, 504, 500, 200]

    fire(budget_alert(org))

    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        DeliveryStatus.FAILED,
        5,
        500,
    )
    assert delivery.last_error == "HTTP 500" and delivery.delivered_at is None
    assert attempts_of(delivery) == [
        (1, False, 500, "HTTP 500"),
        (2, False, 502, "HTTP 502"),
        (3, False, 503, "HTTP 503"),
        (4, False, 504, "HTTP 504"),
        (5, False, 500, "HTTP 500"),
    ]
    waits = [
        (a.next_attempt_at - a.finished_at).total_seconds() if a.next_attempt_at else None
        for a in DeliveryAttempt.objects.filter(delivery=delivery)
    ]
    assert waits == [60, 240, 960, 3840, None]
    assert len(receiver.received) == 5
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 1


@pytest.mark.parametrize(
    ("statuses", "attempts", "status"),
    [
        ([404], 1, DeliveryStatus.FAILED),  # the receiver refuses it: not retried
        ([410], 1, DeliveryStatus.FAILED),
        ([408, 200], 2, DeliveryStatus.DELIVERED),  # timeout and rate limit are retried
        ([429, 200], 2, DeliveryStatus.DELIVERED),
        ([302, 200], 2, DeliveryStatus.DELIVERED),  # a redirect is a failure, not followed
    ],
)
def test_which_answers_are_retried(org, receiver, fire, statuses, attempts, status):
    endpoint = webhook(org, receiver)
    receiver.statuses = list(statuses)
    fire(budget_alert(org))
    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == (status, attempts)
    assert [got.path for got in receiver.received] == ["/hooks/budget?token=abc123"] * attempts


def test_a_refused_connection_is_retried_and_logged_without_the_urls_secret(
    org, receiver, fire, caplog
):
    endpoint = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Slack",
        kind="slack",
        url=receiver.base + SLACK_PATH,
    ).endpoint
    receiver.stop()  # nothing listens on that port any more

    with caplog.at_level(logging.INFO):
        fire(budget_alert(org))

    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 5)
    assert delivery.target == f"{receiver.base}/…"
    errors = [error for *_, error in attempts_of(delivery)]
    assert len(errors) == 5
    assert all(error.startswith("ConnectError: ") for error in errors), errors
    logged = caplog.text + " ".join(errors) + delivery.last_error
    assert "s3cr3tT0k3n" not in logged and "T0001" not in logged
    assert f"to {receiver.base}/… failed (ConnectError" in caplog.text


def test_slack_gets_its_incoming_webhook_text(org, receiver, fire, caplog):
    endpoint = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Slack",
        kind="slack",
        url=receiver.base + SLACK_PATH,
    ).endpoint
    with caplog.at_level(logging.DEBUG):
        fire(budget_alert(org, kind=AlertKind.FORECAST, threshold=100, projected="1234.567"))
    # The HTTP client logs each request's URL: its loggers stay above INFO (settings).
    assert f"to {receiver.base}/… delivered (HTTP 200)" in caplog.text
    assert "s3cr3tT0k3n" not in caplog.text

    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.channel, delivery.event_type, delivery.status) == (
        DeliveryChannel.SLACK,
        "budget.forecast_exceeded",
        DeliveryStatus.DELIVERED,
    )
    (got,) = receiver.received
    assert got.path == SLACK_PATH
    assert "webhook-signature" not in got.headers
    assert got.json == {
        "text": ':warning: *Acme*: Budget "Team &amp; tools" is on course to exceed '
        "1,000.00 USD in November 2026: 1,234.57 USD projected by the end of the month. "
        "Spent so far: 812.50 USD (81.25% of the budget)."
    }


def test_email_goes_to_the_admins_and_owners_only(org, fire):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="Olga@Example.com")
    MembershipFactory(organization=org, role=Role.ADMIN, user__email="adam@example.com")
    MembershipFactory(organization=org, role=Role.MEMBER, user__email="mia@example.com")
    MembershipFactory(organization=org, role=Role.VIEWER, user__email="vic@example.com")
    gone = MembershipFactory(organization=org, role=Role.ADMIN, user__email="left@example.com")
    gone.user.is_active = False
    gone.user.save()
    other = OrganizationFactory(slug="other")
    MembershipFactory(organization=other, role=Role.OWNER, user__email="otto@example.com")

    fire(budget_alert(org))

    assert sorted(message.to[0] for message in mail.outbox) == [
        "adam@example.com",
        "olga@example.com",
    ]
    assert all(len(message.to) == 1 for message in mail.outbox)
    assert mail.outbox[0].subject == '[TokenTracker] Acme: budget "Team & tools" at 80%'
    assert mail.outbox[0].body == (
        'Budget "Team & tools" has reached 80% of 1,000.00 USD in November 2026.\n'
        "\n"
        "Organization: Acme\n"
        "Budget: Team & tools (1,000.00 USD a month)\n"
        "Spent so far in November 2026: 812.50 USD (81.25% of the budget)\n"
        "\n"
        "You get this email as an admin or owner of Acme. Webhooks and Slack\n"
        "channels for these alerts are set up with /api/v1/webhooks.\n"
    )
    deliveries = AlertDelivery.objects.filter(channel=DeliveryChannel.EMAIL)
    assert sorted(deliveries.values_list("recipient", "status", "attempts")) == [
        ("adam@example.com", DeliveryStatus.DELIVERED, 1),
        ("olga@example.com", DeliveryStatus.DELIVERED, 1),
    ]


def test_a_failing_mail_server_is_retried(org, fire, settings):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="olga@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    settings.EMAIL_USE_TLS = False
    fire(budget_alert(org))
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 5)
    assert delivery.last_error.startswith("ConnectionRefusedError: ")


def test_a_delivered_alert_is_not_sent_again_when_its_task_runs_again(org, receiver, fire):
    endpoint = webhook(org, receiver)
    MembershipFactory(organization=org, role=Role.OWNER, user__email="olga@example.com")
    fire(budget_alert(org))
    assert len(receiver.received) == 1 and len(mail.outbox) == 1

    for delivery in AlertDelivery.objects.all():
        # The first message again (a broker redelivery), and a late retry of attempt 1.
        assert alert_delivery_task.delay(delivery.pk, 0).get() == "skipped"
        assert alert_delivery_task.delay(delivery.pk, 1).get() == "skipped"

    assert len(receiver.received) == 1 and len(mail.outbox) == 1
    assert AlertDelivery.objects.get(endpoint=endpoint).attempts == 1
    assert DeliveryAttempt.objects.count() == 2


def test_alert_fired_twice_makes_no_second_delivery(org, receiver, fire):
    webhook(org, receiver)
    MembershipFactory(organization=org, role=Role.ADMIN, user__email="adam@example.com")
    alert = budget_alert(org)
    fire(alert)
    fire(alert)
    assert AlertDelivery.objects.count() == 2
    assert alert_deliveries_create(alert_id=alert.pk) == []
    assert len(receiver.received) == 1 and len(mail.outbox) == 1


def test_inactive_endpoints_and_other_organizations_get_nothing(org, receiver, fire):
    webhook(org, receiver, active=False)
    other = OrganizationFactory(slug="other")
    webhook_endpoint_create(
        organization_id=other.id,
        actor=endpoint_admin(other),
        name="Theirs",
        kind="slack",
        url=receiver.base + "/theirs",
    )
    fire(budget_alert(org))
    assert receiver.received == []
    assert not AlertDelivery.objects.exists()


def test_an_endpoint_deactivated_before_the_attempt_gets_nothing(org, receiver):
    endpoint = webhook(org, receiver)
    alert = budget_alert(org)
    (delivery_id,) = alert_deliveries_create(alert_id=alert.pk)  # queued on commit: not yet
    endpoint.active = False
    endpoint.save()
    outcome = alert_delivery_attempt(delivery_id=delivery_id, attempts_done=0)
    assert (outcome.status, outcome.attempts, outcome.retry_in) == ("failed", 1, None)
    assert receiver.received == []
    assert AlertDelivery.objects.get().last_error == "The endpoint was deactivated."


def test_the_sweep_takes_up_a_delivery_whose_worker_died_mid_send(org, receiver):
    endpoint = webhook(org, receiver)
    (delivery_id,) = alert_deliveries_create(alert_id=budget_alert(org).pk)
    # A worker claims attempt 1 and is killed before the answer: its claim is left behind.
    AlertDelivery.objects.filter(pk=delivery_id).update(attempts=1)
    delivery = AlertDelivery.objects.get(pk=delivery_id)
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=delivery.created_at)
    AlertDelivery.objects.filter(pk=delivery_id).update(locked_until=delivery.created_at)
    # A message for attempt 1 arriving late claims nothing.
    assert alert_delivery_attempt(delivery_id=delivery_id, attempts_done=0).status == "skipped"

    assert alert_deliveries_sweep() == 1  # eager: the queued task runs here

    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert attempts_of(delivery) == [
        (1, False, None, "Cut off: the worker stopped before an answer came."),
        (2, True, 200, ""),
    ]
    assert len(receiver.received) == 1
    assert alert_deliveries_sweep() == 0


def test_the_sweep_leaves_fresh_deliveries_to_their_own_message(org, receiver):
    webhook(org, receiver)
    alert_deliveries_create(alert_id=budget_alert(org).pk)
    assert alert_deliveries_sweep() == 0
    assert receiver.received == []


def test_with_a_broker_each_delivery_is_queued_once_committed(
    org, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    published = []
    monkeypatch.setattr(
        "billing.services.deliveries.task_publish",
        lambda task, *args: published.append((task.name, *args)) or True,
    )
    endpoint = webhook(org, receiver)
    alert = budget_alert(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alert_fired.send(sender=type(alert), alert_id=alert.pk)
    assert published == []  # nothing before the commit
    for callback in callbacks:
        callback()
    delivery = AlertDelivery.objects.get(endpoint=endpoint)
    assert published == [("billing.tasks.alert_delivery_task", delivery.pk, 0)]
    assert receiver.received == []
