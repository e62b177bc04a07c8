"""Stripe objects made in localstripe (tests/stripe_servers.py) through the official library,
and webhook events wrapping them, signed as Stripe signs them.

localstripe knows recurring prices as plans: `stripe_price` makes one whose id checkout and
subscriptions use as a price id. It sends the events it implements by itself (signed, a
second later); the others (customer.subscription.updated, invoice.paid,
checkout.session.completed) are signed here around objects retrieved from it, so they are
the real objects.
"""

import itertools
import time
from decimal import Decimal
from typing import Any

import httpx2
from stripe import StripeClient

from billing.models import BillingAccount, PlanPrice
from billing.payments.client import stripe_client
from tests.stripe_servers import SECRET_KEY, signed_event
from tokentracker.models import Organization, Plan

GOOD_CARD = "4242424242424242"
# A card whose payments ask for 3-D Secure: localstripe fails the payment when the
# authentication is refused (`payment_fail`), as a bank would.
AUTHENTICATED_CARD = "4000002500003155"
WEBHOOK_PATH = "/api/stripe/webhook"

_event_numbers = itertools.count(1)


def paid_plan(slug: str = "pro", **quotas: Any) -> Plan:
    """A plan a step above the default one, with these quotas (tokentracker's migration 0003
    made Indie and Pro; a transactional test's database has them flushed)."""
    fields = {
        "name": slug.title(),
        "daily_event_limit": 5,
        "hourly_request_limit": 500,
        "reads_per_minute": 300,
        "writes_per_minute": 3,
        "syncs_per_minute": 20,
        "uploads_per_minute": 10,
        **quotas,
    }
    plan, _ = Plan.objects.update_or_create(slug=slug, defaults=fields)
    return plan


def plan_price(
    plan: Plan, price_id: str, amount: str = "20.00", currency: str = "usd"
) -> PlanPrice:
    return PlanPrice.objects.create(
        plan=plan, stripe_price_id=price_id, amount=Decimal(amount), currency=currency
    )


def stripe_price(
    price_id: str, *, amount: int = 2000, currency: str = "usd", client: StripeClient | None = None
) -> str:
    client = client or stripe_client()
    product = client.v1.products.create(params={"name": price_id})
    client.v1.plans.create(
        params={
            "id": price_id,
            "product": product.id,
            "amount": amount,
            "currency": currency,
            "interval": "month",
        }
    )
    return price_id


def card_attach(customer_id: str, number: str = GOOD_CARD) -> str:
    """A card, attached and made the customer's default for invoices."""
    client = stripe_client()
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer_id})
    client.v1.customers.update(
        customer_id, params={"invoice_settings": {"default_payment_method": method.id}}
    )
    return method.id


def stripe_customer(organization: Organization, *, card: str | None = GOOD_CARD) -> BillingAccount:
    """A Stripe customer with a card, and the organization's billing account naming it (what
    a first checkout makes)."""
    customer = stripe_client().v1.customers.create(
        params={"metadata": {"organization": str(organization.uuid)}}
    )
    if card:
        card_attach(customer.id, card)
    return BillingAccount.objects.create(organization=organization, stripe_customer_id=customer.id)


def subscribe(customer_id: str, price_id: str) -> dict[str, Any]:
    created = stripe_client().v1.subscriptions.create(
        params={"customer": customer_id, "items": [{"plan": price_id}]}
    )
    return created.to_dict()


def subscription_of(subscription_id: str) -> dict[str, Any]:
    return stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()


def invoices_of(customer_id: str) -> list[dict[str, Any]]:
    found = stripe_client().v1.invoices.list(params={"customer": customer_id})
    return [invoice.to_dict() for invoice in found.data]


def payment_fail(customer_id: str, subscription_id: str, stripe_url: str) -> dict[str, Any]:
    """The subscription's next invoice, whose payment fails: its card asks for 3-D Secure
    and the authentication is refused. localstripe then sends invoice.payment_failed and
    makes the subscription past due, as Stripe does."""
    client = stripe_client()
    card_attach(customer_id, AUTHENTICATED_CARD)
    invoice = client.v1.invoices.create(
        params={"customer": customer_id, "subscription": subscription_id}
    )
    paying = client.v1.invoices.pay(invoice.id)
    intent = client.v1.payment_intents.retrieve(paying.payment_intent)
    httpx2.post(
        f"{stripe_url}/v1/payment_intents/{intent.id}/_authenticate",
        data={"client_secret": intent.client_secret, "success": "false"},
        auth=(SECRET_KEY, ""),
        timeout=5,
    ).raise_for_status()
    return client.v1.invoices.retrieve(invoice.id).to_dict()


def event_of(
    event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id: str = ""
) -> dict[str, Any]:
    """A webhook event about `obj`, as Stripe renders one."""
    return {
        "id": event_id or f"evt_test_{next(_event_numbers)}_{time.time_ns()}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }


def webhook_post(client: Any, event: dict[str, Any], **signing: Any) -> Any:
    """POST `event` to the webhook signed with the tests' secret (or `secret=`, `timestamp=`)."""
    body, header = signed_event(event, **signing)
    return client.post(
        WEBHOOK_PATH, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
