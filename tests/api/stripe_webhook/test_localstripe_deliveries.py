"""localstripe's own signed webhooks, delivered over HTTP to a live TokenTracker: a new
subscription puts the organization on its plan, a deleted one takes it back to the default
plan, a failed payment makes it past due (the plan kept through the grace period).

The server thread processes each event as it arrives (no broker: in-process) and calls
localstripe back for the subscription; these tests wait for the stored event to be
processed. Only the event types a test waits for are sent, one at a time.

These tests run on a transactional database (the server thread must see committed rows),
which is flushed afterwards: they rely on no row a data migration wrote.
"""

import time

import pytest

from billing.models import BillingAccount, StripeEvent, StripeEventStatus
from billing.payments.client import stripe_client
from billing.services.subscriptions import subscriptions_enforce
from tests.billing.stripe_helpers import (
    WEBHOOK_PATH,
    paid_plan,
    payment_fail,
    plan_price,
    stripe_customer,
    stripe_price,
    subscribe,
)
from tests.factories import OrganizationFactory
from tokentracker.models import Organization
from tokentracker.services import plan_get_default

pytestmark = pytest.mark.django_db(transaction=True)

PRO_PRICE = "price_pro_monthly"
DONE = (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED, StripeEventStatus.FAILED)


@pytest.fixture
def deliveries(localstripe, live_server):
    """localstripe posts the given event types to the live server; none once the test ends
    (the process outlives the test, and so would its deliveries)."""

    # localstripe sends each event a second after the change that made it, to whichever
    # endpoint is registered then: the events an earlier test left are let go first.
    time.sleep(1.5)

    def deliver(*event_types: str) -> None:
        localstripe.register_webhook(live_server.url + WEBHOOK_PATH, events=list(event_types))

    yield deliver
    localstripe.register_webhook("http://127.0.0.1:9/", events=[])


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme")


@pytest.fixture
def pro(localstripe):
    plan = paid_plan("pro")
    plan_price(plan, PRO_PRICE)
    stripe_price(PRO_PRICE)
    return plan


def processed(event_type: str, object_id: str, timeout: float = 20.0) -> StripeEvent:
    """The event of `event_type` about `object_id`, once processed. (localstripe sends each
    event a second after the change: one left by an earlier test may reach this server too.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = StripeEvent.objects.filter(
            event_type=event_type, payload__data__object__id=object_id, status__in=DONE
        ).first()
        if done is not None:
            return done
        time.sleep(0.1)
    raise AssertionError(
        f"no {event_type} about {object_id} processed within {timeout} s: "
        f"{list(StripeEvent.objects.values_list('event_type', 'status', 'error'))}"
    )


def plan_of(organization: Organization) -> str:
    return Organization.objects.get(pk=organization.pk).plan.slug


def test_a_new_subscription_puts_the_organization_on_its_plan(deliveries, org, pro):
    account = stripe_customer(org)
    deliveries("customer.subscription.created")

    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)

    event = processed("customer.subscription.created", subscription["id"])
    assert (event.status, event.error, event.organization_id) == ("processed", "", org.pk)
    assert plan_of(org) == "pro"
    account.refresh_from_db()
    assert (account.stripe_subscription_id, account.subscription_status) == (
        subscription["id"],
        "active",
    )


def test_a_deleted_subscription_takes_the_organization_back_to_the_default_plan(
    deliveries, org, pro
):
    account = stripe_customer(org)
    deliveries("customer.subscription.created", "customer.subscription.deleted")
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    processed("customer.subscription.created", subscription["id"])
    assert plan_of(org) == "pro"

    stripe_client().v1.subscriptions.cancel(subscription["id"])

    assert processed("customer.subscription.deleted", subscription["id"]).status == "processed"
    assert plan_of(org) == plan_get_default().slug
    assert BillingAccount.objects.get(pk=account.pk).subscription_status == "canceled"


def test_a_failed_payment_makes_the_subscription_past_due_then_the_grace_period_ends(
    deliveries, org, pro, localstripe
):
    account = stripe_customer(org)
    deliveries("customer.subscription.created", "invoice.payment_failed")
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    processed("customer.subscription.created", subscription["id"])

    invoice = payment_fail(account.stripe_customer_id, subscription["id"], localstripe.url)

    event = processed("invoice.payment_failed", invoice["id"])
    assert event.status == "processed"
    account.refresh_from_db()
    assert account.subscription_status == "past_due"
    assert account.past_due_since == event.stripe_created
    assert plan_of(org) == "pro"
    stored_invoice = org.invoices.get(stripe_invoice_id=invoice["id"])
    assert (stored_invoice.status, str(stored_invoice.amount_due)) == ("open", "20.00")

    assert subscriptions_enforce(now=account.grace_ends_at) == 1
    assert plan_of(org) == plan_get_default().slug
