"""POST /api/stripe/webhook: only a body signed with the endpoint's secret, within five
minutes, is stored (once, by its event id) and answered 200; anything else is a 400 that
stores nothing, and a deployment without billing answers 503."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from billing.models import StripeEvent, StripeEventStatus
from tests.billing.stripe_helpers import WEBHOOK_PATH, event_of, webhook_post
from tests.stripe_servers import SECRET_KEY, WEBHOOK_SECRET, signed_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_on(settings):
    """Billing configured; Stripe's API stays a closed port (no event here needs it)."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


# An event TokenTracker stores and does not act on: nothing in these tests reaches Stripe.
def customer_created(**fields):
    return event_of("customer.created", {"id": "cus_door", "object": "customer"}, **fields)


def refused(response, code):
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details"}
    assert StripeEvent.objects.count() == 0


def test_a_signed_event_is_stored_once_and_answered_200(
    client, billing_on, django_capture_on_commit_callbacks
):
    event = customer_created(event_id="evt_door_1", created=1_790_000_000)

    # Processing is queued at commit (with no broker, it runs there).
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_post(client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    stored = StripeEvent.objects.get()
    assert stored.stripe_event_id == "evt_door_1"
    assert stored.event_type == "customer.created"
    assert stored.stripe_created.timestamp() == 1_790_000_000
    assert stored.payload == event
    assert stored.status == StripeEventStatus.IGNORED
    assert stored.error == "Not an event TokenTracker acts on."
    assert stored.attempts == 1
    assert stored.organization is None


def test_a_replayed_event_is_answered_200_and_changes_nothing(
    client, billing_on, django_capture_on_commit_callbacks
):
    event = customer_created(event_id="evt_door_replayed")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_post(client, event)
    before = StripeEvent.objects.values().get()
    assert before["status"] == StripeEventStatus.IGNORED

    # The same event again, signed afresh (a redelivery), even with another body.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = webhook_post(client, {**event, "type": "customer.deleted"})

    assert again.status_code == 200
    assert list(StripeEvent.objects.values()) == [before]
    assert callbacks == []  # nothing queued: the event was processed


def test_no_signature_is_a_400_and_stores_nothing(client, billing_on):
    body = json.dumps(customer_created())
    refused(client.post(WEBHOOK_PATH, body, content_type="application/json"), "signature_invalid")


def test_a_signature_made_with_another_secret_is_a_400(client, billing_on):
    refused(
        webhook_post(client, customer_created(), secret="whsec_someone_else"), "signature_invalid"
    )


def test_a_signature_older_than_five_minutes_is_a_400(client, billing_on):
    stale = int(time.time()) - 301
    refused(webhook_post(client, customer_created(), timestamp=stale), "signature_invalid")


def test_a_signature_just_under_five_minutes_old_is_accepted(client, billing_on):
    recent = int(time.time()) - 290
    assert webhook_post(client, customer_created(), timestamp=recent).status_code == 200


def test_a_body_changed_after_signing_is_a_400(client, billing_on):
    body, header = signed_event(customer_created())
    tampered = body.replace(b"customer.created", b"customer.deleted")
    response = client.post(
        WEBHOOK_PATH, tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    refused(response, "signature_invalid")


@pytest.mark.parametrize(
    "header",
    ["", "t=1", "v1=abc", "t=notanumber,v1=abc", "t=1,v1=\u00e9\u00e9", "garbage"],
    ids=["empty", "no-v1", "no-t", "bad-t", "non-ascii", "garbage"],
)
def test_a_malformed_signature_header_is_a_400(client, billing_on, header):
    response = client.post(
        WEBHOOK_PATH,
        json.dumps(customer_created()),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    refused(response, "signature_invalid")


def _post_signed_bytes(client, body: bytes):
    t = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return client.post(
        WEBHOOK_PATH,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={t},v1={signature}",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": "customer.created", "created": 1790000000}',
        b'{"id": "evt_1", "created": 1790000000}',
        b'{"id": "evt_1", "type": "customer.created"}',
        b'{"id": "evt_1", "type": "customer.created", "created": "yesterday"}',
        b'{"id": "evt_1", "type": "customer.created", "created": true}',
        b'{"id": "evt_1", "type": "customer.created", "created": 99999999999999999999}',
        b'{"id": "", "type": "customer.created", "created": 1790000000}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-id",
        "no-type",
        "no-created",
        "created-text",
        "created-bool",
        "created-out-of-range",
        "empty-id",
        "nested-too-deep",
    ],
)
def test_a_signed_body_that_is_no_stripe_event_is_a_400(client, billing_on, body):
    refused(_post_signed_bytes(client, body), "event_malformed")


def test_a_signed_body_that_is_not_utf8_is_a_400(client, billing_on):
    refused(_post_signed_bytes(client, b'{"id": "\xff"}'), "signature_invalid")


def test_a_nul_in_a_signed_event_is_stored_without_it(client, billing_on):
    event = customer_created(event_id="evt_nul")
    event["data"]["object"]["metadata"] = {"note\x00": "a\x00b"}

    assert webhook_post(client, event).status_code == 200

    stored = StripeEvent.objects.get()
    assert stored.payload["data"]["object"]["metadata"] == {"note": "ab"}


def test_billing_off_is_a_503_and_stores_nothing(client):
    # tests/conftest.py leaves both Stripe secrets empty unless a test sets them.
    response = webhook_post(client, customer_created())

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_not_configured"
    assert response.json()["error"]["message"].startswith("Billing is not configured")
    assert StripeEvent.objects.count() == 0


def test_billing_half_configured_is_off_too(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET  # no secret key: nothing could be acted on

    assert webhook_post(client, customer_created()).status_code == 503


def test_no_csrf_token_is_needed(billing_on):
    csrf_checking = Client(enforce_csrf_checks=True)

    assert webhook_post(csrf_checking, customer_created()).status_code == 200


def test_an_api_key_or_a_session_changes_nothing(client, billing_on, raw_key, member_client):
    body, header = signed_event(customer_created())
    response = client.post(
        WEBHOOK_PATH,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    assert response.status_code == 200
    assert StripeEvent.objects.get().organization is None


def test_only_post_is_allowed(client, billing_on):
    assert client.get(WEBHOOK_PATH).status_code == 405


def test_the_schema_documents_the_webhook_as_public_and_tagged_stripe(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    post = schema["paths"][WEBHOOK_PATH]["post"]
    assert post["operationId"] == "postStripeWebhook"
    assert post["tags"] == ["stripe"]
    assert not post.get("security")
    assert set(post["responses"]) == {"200", "400", "503"}
    [signature] = post["parameters"]
    assert (signature["name"], signature["in"], signature["required"]) == (
        "Stripe-Signature",
        "header",
        True,
    )
