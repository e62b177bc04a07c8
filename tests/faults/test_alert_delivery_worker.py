"""A webhook delivery made by a real Celery worker on Redis: the first answer is a 500, the
worker's retry comes back after the backoff (Celery's countdown, not an in-process loop) and
is delivered, signed as Standard Webhooks says, with the same webhook-id both times."""

import pytest

from billing.models import AlertDelivery, DeliveryAttempt
from tests.billing.receivers import Receiver, endpoint_admin
from tokentracker.services import api_key_create

from .conftest import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_parts(request, monkeypatch):
    # One second between attempts, read by the worker from its environment at start; and
    # the receiver on 127.0.0.1 allowed, in the web (the URL) and the worker (the post).
    monkeypatch.setenv("ALERT_DELIVERY_BACKOFF_SECONDS", "1")
    monkeypatch.setenv("ALERT_WEBHOOK_ALLOW_PRIVATE", "true")
    return request.getfixturevalue("parts")


@pytest.fixture
def receiver():
    server = Receiver(statuses=[500]).start()
    yield server
    server.stop()


def test_the_worker_retries_a_500_after_the_backoff_and_delivers(fast_parts, receiver):
    web = fast_parts.web
    # Webhooks are an admin's to add and test: a key acts for the person who created it.
    admin = endpoint_admin(fast_parts.organization)
    key = api_key_create(organization=fast_parts.organization, name="ops", created_by=admin.user)
    auth = {"Authorization": f"Bearer {key.raw_key}"}
    body = {"name": "Ops", "kind": "webhook", "url": receiver.base + "/in?token=t0k"}
    status, created, _ = web.request("POST", "/api/v1/webhooks", body, auth)
    assert status == 201, created
    receiver.secret = created["secret"]

    status, queued, _ = web.request("POST", f"/api/v1/webhooks/{created['id']}/test", {}, auth)
    assert status == 202, queued
    assert (queued["status"], queued["attempts"]) == ("pending", 0)

    def finished():
        delivery = AlertDelivery.objects.get(pk=queued["id"])
        return delivery if delivery.status != "pending" else None

    delivery = wait_until(finished, 45, 0.2, "the worker to deliver")
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        "delivered",
        2,
        200,
    )
    first, second = DeliveryAttempt.objects.filter(delivery=delivery)
    assert (first.response_status, first.error, second.response_status) == (500, "HTTP 500", 200)
    assert (first.next_attempt_at - first.finished_at).total_seconds() == 1
    # The retry waited for its countdown in the worker.
    assert (second.started_at - first.finished_at).total_seconds() >= 1
    assert [got.verify_error for got in receiver.received] == ["", ""]
    assert {got.headers["webhook-id"] for got in receiver.received} == {delivery.message_id}
    assert receiver.received[1].verified["type"] == "webhook.test"
    assert "t0k" not in fast_parts.worker.output()
    assert "retry: Retry in 1.0s" in fast_parts.worker.output()
