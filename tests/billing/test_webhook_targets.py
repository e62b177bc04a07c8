"""Webhooks post to public addresses only unless ALERT_WEBHOOK_ALLOW_PRIVATE: an address in
the URL is judged when it is saved, a name's addresses when it is sent, and the post goes to
the addresses checked (the name kept in Host and in TLS's SNI)."""

import logging
import socket

import pytest

from billing.models import AlertDelivery, DeliveryAttempt, DeliveryStatus, WebhookEndpoint
from billing.services.deliveries import alert_delivery_attempt, webhook_test_send
from billing.services.webhooks import (
    WebhookEndpointInvalid,
    webhook_endpoint_create,
    webhook_endpoint_update,
)

from .receivers import Receiver, endpoint_admin, tls_context

pytestmark = pytest.mark.django_db

REFUSED_URL = (
    "must not point at a private, loopback, link-local, reserved or multicast address "
    "(ALERT_WEBHOOK_ALLOW_PRIVATE is off on this server)"
)
REFUSED_SEND = (
    "Refused: the host resolves to a private, loopback, link-local, reserved or multicast "
    "address; nothing was sent (ALERT_WEBHOOK_ALLOW_PRIVATE is off)."
)


@pytest.fixture
def private_refused(settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def create(org, url, kind="webhook"):
    return webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind=kind, url=url
    ).endpoint


def send_test(org, endpoint):
    """A test event, and its first attempt made here (the task it queues on commit)."""
    delivery = webhook_test_send(
        organization_id=org.id, endpoint_id=endpoint.pk, actor=endpoint_admin(org)
    )
    outcome = alert_delivery_attempt(delivery_id=delivery.pk, attempts_done=0)
    return outcome, AlertDelivery.objects.get(pk=delivery.pk)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::7]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://[2002:c0a8:101::1]/hook",
        # Shorthands every resolver reads as 127.0.0.1.
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://127.1/hook",
    ],
)
def test_a_url_whose_host_is_an_address_inside_is_refused_when_saved(org, private_refused, url):
    with pytest.raises(WebhookEndpointInvalid) as raised:
        create(org, url)
    assert raised.value.details == {"url": [REFUSED_URL]}
    assert not WebhookEndpoint.objects.exists()


def test_an_update_to_an_address_inside_changes_nothing(org, private_refused):
    endpoint = create(org, "https://93.184.215.14/hook")
    with pytest.raises(WebhookEndpointInvalid) as raised:
        webhook_endpoint_update(
            organization_id=org.id,
            endpoint_id=endpoint.pk,
            actor=endpoint_admin(org),
            name="Metadata",
            url="http://169.254.169.254/",
        )
    assert raised.value.details == {"url": [REFUSED_URL]}
    stored = WebhookEndpoint.objects.get()
    assert (stored.name, stored.url) == ("Ops", "https://93.184.215.14/hook")


def test_public_addresses_and_names_are_saved(org, private_refused):
    for url in (
        "https://93.184.215.14/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://hooks.slack.com/services/T1/B2/x",
        "http://localhost:9000/hook",  # a name: judged when it is resolved, at send time
    ):
        assert create(org, url).url == url


def test_with_private_addresses_allowed_an_internal_url_is_saved(org, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    assert create(org, "http://10.1.2.3:8065/hooks/abc").url == "http://10.1.2.3:8065/hooks/abc"


def test_a_name_that_resolves_inside_is_refused_when_sent_for_good(
    org, receiver, private_refused, caplog
):
    endpoint = create(org, receiver.base_named("localhost") + "/hook?token=abc123")

    with caplog.at_level(logging.INFO):
        outcome, delivery = send_test(org, endpoint)

    assert (outcome.status, outcome.attempts, outcome.retry_in) == ("failed", 1, None)
    assert (delivery.status, delivery.last_response_status, delivery.last_error) == (
        DeliveryStatus.FAILED,
        None,
        REFUSED_SEND,
    )
    assert list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list(
            "number", "succeeded", "response_status", "error"
        )
    ) == [(1, False, None, REFUSED_SEND)]
    assert receiver.received == []
    # The server's log says which address; the tenant's delivery log does not.
    assert "webhook host localhost refused: it resolves to 127.0.0.1" in caplog.text
    assert "127.0.0.1" not in delivery.last_error
    assert f"failed for good ({REFUSED_SEND})" in caplog.text
    assert "abc123" not in caplog.text


def test_an_address_saved_while_allowed_is_refused_when_sent_once_it_is_not(
    org, receiver, settings
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = create(org, receiver.base + "/hook")
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    outcome, delivery = send_test(org, endpoint)
    assert (outcome.status, delivery.last_error) == ("failed", REFUSED_SEND)
    assert receiver.received == []


def test_allowed_a_name_is_posted_to_the_address_checked_with_the_name_as_host(
    org, receiver, settings
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = create(org, receiver.base_named("localhost") + "/hook?token=abc123")
    outcome, delivery = send_test(org, endpoint)
    assert (outcome.status, delivery.last_response_status) == ("delivered", 200)
    (got,) = receiver.received
    assert got.path == "/hook?token=abc123"
    assert got.headers["Host"] == f"localhost:{receiver.server.server_address[1]}"


def test_a_name_is_resolved_once_and_posted_to_at_the_answer_checked(
    org, receiver, settings, monkeypatch
):
    # DNS rebinding: the name's next answer (TTL 0) is another address, where nothing
    # listens. Posted to at the first answer, the one checked, it is delivered.
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True  # the receiver itself is on 127.0.0.1
    resolve = socket.getaddrinfo
    answers = iter(["127.0.0.1"])
    asked = []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            asked.append(host)
            return resolve(next(answers, "127.0.0.2"), *args, **kwargs)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint = create(org, receiver.base_named("rebind.example") + "/hook")
    outcome, _ = send_test(org, endpoint)
    assert (outcome.status, asked) == ("delivered", ["rebind.example"])
    assert receiver.received[0].headers["Host"].startswith("rebind.example:")


@pytest.mark.parametrize(
    ("certified", "status", "error"),
    [("localhost", "delivered", ""), ("other.example", "pending", "CERTIFICATE_VERIFY_FAILED")],
)
def test_https_to_the_address_checked_still_verifies_the_certificate_for_the_name(
    org, settings, monkeypatch, tmp_path, certified, status, error
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    context, certificate = tls_context(tmp_path, certified)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the only authority trusted
    receiver = Receiver(tls=context).start()
    try:
        endpoint = create(org, receiver.base_named("localhost") + "/hook", kind="slack")
        outcome, delivery = send_test(org, endpoint)
    finally:
        receiver.stop()
    assert outcome.status == status
    assert error in delivery.last_error
    # The client asked for the name, not the address it connected to.
    assert receiver.server_names == ["localhost"]
    assert [got.headers["Host"] for got in receiver.received] == (
        [f"localhost:{receiver.server.server_address[1]}"] if status == "delivered" else []
    )
