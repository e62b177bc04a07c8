"""Stripe events through the webhook, processed against localstripe: each names a
subscription or an invoice, which is retrieved from Stripe as it is now and applied, and
the organization's plan follows (billing.services.stripe_events and .subscriptions)."""

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import BillingAccount, Invoice, StripeEvent, StripeEventStatus
from billing.payments.client import stripe_client
from tests.billing.stripe_helpers import (
    card_attach,
    event_of,
    invoices_of,
    paid_plan,
    plan_price,
    stripe_customer,
    stripe_price,
    subscribe,
    subscription_of,
    webhook_post,
)
from tokentracker.models import Organization
from tokentracker.services import plan_get_default

pytestmark = pytest.mark.django_db

PRO_PRICE = "price_pro_monthly"


def moment(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Post a signed event and run what its commit queues (the processing, in-process as
    with no broker); the stored event, as processing left it."""

    def deliver(event, **signing):
        with django_capture_on_commit_callbacks(execute=True):
            response = webhook_post(client, event, **signing)
        assert response.status_code == 200, response.content
        return StripeEvent.objects.get(stripe_event_id=event["id"])

    return deliver


@pytest.fixture
def pro(localstripe):
    plan = paid_plan("pro")
    plan_price(plan, PRO_PRICE)
    stripe_price(PRO_PRICE)
    return plan


@pytest.fixture
def account(org, localstripe):
    return stripe_customer(org)


def reloaded(organization: Organization) -> Organization:
    return Organization.objects.select_related("plan").get(pk=organization.pk)


def checkout_session(account, subscription, **fields):
    """A completed Checkout Session, as Stripe sends it (localstripe has no sessions)."""
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "customer": account.stripe_customer_id,
        "subscription": subscription["id"],
        "client_reference_id": str(account.organization.uuid),
        **fields,
    }


def test_a_completed_checkout_puts_the_organization_on_the_plan_it_paid_for(
    deliver, org, pro, account
):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    event = event_of("checkout.session.completed", checkout_session(account, subscription))

    stored = deliver(event)

    assert (stored.status, stored.error, stored.organization_id) == ("processed", "", org.pk)
    assert reloaded(org).plan == pro
    account.refresh_from_db()
    assert account.stripe_subscription_id == subscription["id"]
    assert account.subscription_status == "active"
    assert account.subscribed_plan == pro
    assert account.stripe_price_id == PRO_PRICE
    assert account.current_period_start == moment(subscription["current_period_start"])
    assert account.current_period_end == moment(subscription["current_period_end"])
    assert account.cancel_at_period_end is False
    assert account.past_due_since is None
    assert account.last_event_created == moment(event["created"])


def test_a_checkout_by_a_customer_without_an_account_finds_the_organization_by_reference(
    deliver, org, pro, localstripe
):
    # A session made outside our checkout (a payment link naming the organization).
    account = stripe_customer(org)
    customer_id = account.stripe_customer_id
    account.delete()
    subscription = subscribe(customer_id, PRO_PRICE)
    session = {
        "id": "cs_test_link",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": customer_id,
        "subscription": subscription["id"],
        "client_reference_id": str(org.uuid),
    }

    stored = deliver(event_of("checkout.session.completed", session))

    assert stored.status == "processed"
    made = BillingAccount.objects.get(organization=org)
    assert (made.stripe_customer_id, made.subscription_status) == (customer_id, "active")
    assert reloaded(org).plan == pro


def test_a_checkout_naming_no_known_customer_or_organization_is_ignored(
    deliver, org, pro, localstripe
):
    account = stripe_customer(org)
    customer_id = account.stripe_customer_id
    account.delete()
    subscription = subscribe(customer_id, PRO_PRICE)
    session = {
        "id": "cs_test_other",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": customer_id,
        "subscription": subscription["id"],
        "client_reference_id": "not-a-uuid",
    }

    stored = deliver(event_of("checkout.session.completed", session))

    assert stored.status == StripeEventStatus.IGNORED
    assert stored.error == f"No organization has the Stripe customer {customer_id}."
    assert not BillingAccount.objects.exists()
    assert reloaded(org).plan == plan_get_default()


def test_a_payment_checkout_is_ignored(deliver, org, account):
    session = {"id": "cs_test_pay", "object": "checkout.session", "mode": "payment"}

    stored = deliver(event_of("checkout.session.completed", session))

    assert (stored.status, stored.error) == ("ignored", "Not a subscription checkout.")
    assert reloaded(org).plan == plan_get_default()


def test_cancel_at_period_end_keeps_the_plan_and_is_recorded(deliver, org, pro, account):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    deliver(event_of("customer.subscription.created", subscription))
    stripe_client().v1.subscriptions.update(
        subscription["id"], params={"cancel_at_period_end": True}
    )

    updated = subscription_of(subscription["id"])
    deliver(event_of("customer.subscription.updated", updated))

    account.refresh_from_db()
    assert (account.subscription_status, account.cancel_at_period_end) == ("active", True)
    assert reloaded(org).plan == pro


def test_a_canceled_subscription_puts_the_organization_back_on_the_default_plan(
    deliver, org, pro, account
):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    deliver(event_of("customer.subscription.created", subscription))
    assert reloaded(org).plan == pro
    stripe_client().v1.subscriptions.cancel(subscription["id"])

    stored = deliver(event_of("customer.subscription.deleted", subscription_of(subscription["id"])))

    assert stored.status == "processed"
    account.refresh_from_db()
    assert account.subscription_status == "canceled"
    assert reloaded(org).plan == plan_get_default()


def test_an_event_delivered_after_a_later_one_applies_what_stripe_says_now(
    deliver, org, pro, account
):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    created = event_of("customer.subscription.created", subscription, created=1_790_000_000)
    stripe_client().v1.subscriptions.cancel(subscription["id"])
    deleted = event_of(
        "customer.subscription.deleted", subscription_of(subscription["id"]), created=1_790_000_100
    )

    deliver(deleted)
    late = deliver(created)  # its snapshot says active; Stripe says canceled

    assert late.status == "processed"
    account.refresh_from_db()
    assert account.subscription_status == "canceled"
    assert account.last_event_created == moment(1_790_000_100)
    assert reloaded(org).plan == plan_get_default()


def test_a_late_word_about_an_old_subscription_does_not_end_the_current_one(
    deliver, org, pro, account
):
    old = subscribe(account.stripe_customer_id, PRO_PRICE)
    stripe_client().v1.subscriptions.cancel(old["id"])
    current = subscribe(account.stripe_customer_id, PRO_PRICE)
    deliver(event_of("customer.subscription.created", current))

    stored = deliver(event_of("customer.subscription.deleted", subscription_of(old["id"])))

    assert stored.status == StripeEventStatus.IGNORED
    assert stored.error == (
        f"Subscription {old['id']} is not the organization's current one ({current['id']})."
    )
    account.refresh_from_db()
    assert (account.stripe_subscription_id, account.subscription_status) == (
        current["id"],
        "active",
    )
    assert reloaded(org).plan == pro


def test_an_event_for_a_customer_no_organization_has_is_ignored_with_a_note(
    deliver, org, pro, account, outsider_org
):
    stranger = stripe_client().v1.customers.create(params={"email": "x@example.com"})
    card_attach(stranger.id)
    subscription = subscribe(stranger.id, PRO_PRICE)

    stored = deliver(event_of("customer.subscription.created", subscription))

    assert stored.status == StripeEventStatus.IGNORED
    assert stored.error == f"No organization has the Stripe customer {stranger.id}."
    assert stored.organization is None
    assert reloaded(org).plan == plan_get_default()
    assert reloaded(outsider_org).plan == plan_get_default()
    account.refresh_from_db()
    assert account.subscription_status == "none"


def test_a_price_no_plan_is_sold_at_keeps_the_plan_and_records_the_status(
    deliver, org, pro, account, caplog
):
    stripe_price("price_unlisted", amount=999)
    subscription = subscribe(account.stripe_customer_id, "price_unlisted")

    with caplog.at_level(logging.WARNING, logger="billing.services.subscriptions"):
        stored = deliver(event_of("customer.subscription.created", subscription))

    assert stored.status == "processed"
    account.refresh_from_db()
    assert account.subscription_status == "active"
    assert account.stripe_price_id == "price_unlisted"
    assert account.subscribed_plan is None
    assert reloaded(org).plan == plan_get_default()
    assert "has no price a plan is sold at (price_unlisted)" in caplog.text


def test_a_paid_invoice_is_recorded_in_major_units(deliver, org, pro, account):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    [invoice] = invoices_of(account.stripe_customer_id)

    stored = deliver(event_of("invoice.paid", invoice))

    assert stored.status == "processed"
    row = Invoice.objects.get()
    assert row.organization == org
    assert row.stripe_invoice_id == invoice["id"]
    assert (row.status, row.amount_due, row.amount_paid, row.currency) == (
        "paid",
        Decimal("20.00"),
        Decimal("20.00"),
        "usd",
    )
    assert row.issued_at == moment(invoice["status_transitions"]["finalized_at"])
    assert row.period_start == moment(subscription["current_period_start"])
    assert row.period_end == moment(subscription["current_period_end"])
    # localstripe has no numbers or hosted pages; Stripe's are stored as sent.
    assert (row.number, row.hosted_invoice_url, row.invoice_pdf) == ("", "", "")
    # The event also brings the subscription it paid for.
    assert reloaded(org).plan == pro


def test_a_zero_decimal_currency_is_not_divided_by_100(deliver, org, account, localstripe):
    yen = paid_plan("pro-jp")
    plan_price(yen, "price_pro_jpy", amount="2000", currency="jpy")
    stripe_price("price_pro_jpy", amount=2000, currency="jpy")
    subscribe(account.stripe_customer_id, "price_pro_jpy")
    [invoice] = invoices_of(account.stripe_customer_id)

    deliver(event_of("invoice.payment_succeeded", invoice))

    row = Invoice.objects.get()
    assert (row.amount_due, row.amount_paid, row.currency) == (
        Decimal("2000"),
        Decimal("2000"),
        "jpy",
    )


def test_an_invoice_recorded_again_is_updated_not_duplicated(deliver, org, pro, account):
    subscribe(account.stripe_customer_id, PRO_PRICE)
    [invoice] = invoices_of(account.stripe_customer_id)
    deliver(event_of("invoice.payment_succeeded", invoice))
    deliver(event_of("invoice.paid", invoice))

    assert Invoice.objects.count() == 1


def test_a_replayed_event_changes_nothing(client, deliver, org, pro, account):
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    event = event_of("customer.subscription.created", subscription)
    deliver(event)
    # Meanwhile an admin moved the organization by hand: a replay must not undo that.
    org.plan = plan_get_default()
    org.save(update_fields=["plan"])
    before = (
        list(StripeEvent.objects.values()),
        list(BillingAccount.objects.values()),
        list(Invoice.objects.values()),
    )

    replayed = deliver(event)

    assert replayed.attempts == 1
    assert (
        list(StripeEvent.objects.values()),
        list(BillingAccount.objects.values()),
        list(Invoice.objects.values()),
    ) == before
    assert reloaded(org).plan == plan_get_default()
