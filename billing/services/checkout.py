"""Buying a plan through Stripe: the organization's Stripe customer, Checkout Sessions, and
the customer portal (issue 17).

Buying is an admin's act (it commits the organization to pay), so every function takes the
actor and judges it: admins and owners, never members, viewers or a key that acts for no
one. The organization's plan does not change here: Stripe's webhooks tell us what was
bought (`billing.services.subscriptions`), so a session opened and abandoned changes
nothing.

Every Stripe call goes through `billing.payments.client.stripe_client` (billing off:
BillingNotConfigured, a 503) and every Stripe failure becomes a StripeRequestFailed with
Stripe's own message (a 503), never a 500.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import stripe
from django.db import IntegrityError, transaction
from stripe import StripeClient

from billing.models import BillingAccount, PlanPrice
from billing.payments.client import stripe_client
from billing.selectors.plan_offers import LIVE_STATUSES
from tokentracker.errors import DomainError, Kind
from tokentracker.models import Organization

from .actors import Actor, actor_is_admin_of
from .return_urls import CheckoutInvalid, return_url_check

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_PRICE_ID_LENGTH = 255  # PlanPrice.stripe_price_id

__all__ = [
    "AlreadySubscribed",
    "BillingCustomerMissing",
    "BillingPermissionDenied",
    "BillingRedirect",
    "CheckoutInvalid",
    "StripeRequestFailed",
    "billing_account_ensure",
    "checkout_start",
    "portal_start",
]


@dataclass(frozen=True)
class BillingRedirect:
    """Where to send the buyer: a Checkout Session (a first subscription) or a customer
    portal session (payment methods, cancellation, or confirming a change of plan)."""

    session_id: str
    url: str
    kind: Literal["checkout", "portal"]


class AlreadySubscribed(CheckoutInvalid):
    def __init__(self) -> None:
        super().__init__("price_id", "is the plan the organization already subscribes to")


class BillingPermissionDenied(DomainError):
    kind = Kind.FORBIDDEN

    def __init__(self) -> None:
        super().__init__("Only admins and owners buy plans and manage the organization's billing.")


class BillingCustomerMissing(DomainError):
    kind = Kind.CONFLICT
    code = "billing_customer_missing"

    def __init__(self) -> None:
        super().__init__(
            "This organization has no Stripe customer yet: buy a plan first (checkout); the "
            "customer portal manages what was bought."
        )


class StripeRequestFailed(DomainError):
    """Stripe refused a request or could not be reached; the message is Stripe's."""

    kind = Kind.UNAVAILABLE
    code = "stripe_error"

    def __init__(self, action: str, error: stripe.StripeError) -> None:
        said = error.user_message or type(error).__name__
        if isinstance(error, stripe.APIConnectionError):
            message = f"Stripe could not be reached to {action}: {said} Try again in a minute."
        elif isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
            # Stripe's message quotes part of the secret key: for the operator's log only.
            message = (
                f"Stripe refused to {action}: it does not accept this server's API key "
                "(the operator must check STRIPE_SECRET_KEY)."
            )
        else:
            message = f"Stripe refused to {action}: {said}"
        details = {"stripe_code": error.code} if error.code else {}
        super().__init__(message, details=details)


def _stripe(action: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except stripe.StripeError as error:
        # The client already retried what Stripe says may be retried (connection errors,
        # 409, 429, 5xx); what is left is for the operator to read.
        logger.warning("Stripe refused to %s: %r", action, error)
        raise StripeRequestFailed(action, error) from error


def _check_may_buy(actor: Actor, organization: Organization) -> None:
    if not actor_is_admin_of(actor, organization.pk):
        raise BillingPermissionDenied()


def _customer_params(organization: Organization) -> dict[str, Any]:
    return {
        "name": organization.name,
        "metadata": {
            "organization_uuid": str(organization.uuid),
            "organization_slug": organization.slug,
        },
    }


def _customer_idempotency_key(params: dict[str, Any]) -> str:
    # Stripe answers a repeated key with the first request's customer, so two first
    # checkouts racing (two tabs, two admins, a retried request) make one customer. The
    # parameters are part of the key: Stripe refuses a key reused with other parameters
    # for 24 hours, which a rename in between would otherwise turn into an error.
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return f"tokentracker-customer-{params['metadata']['organization_uuid']}-{digest}"


def billing_account_ensure(*, organization: Organization) -> BillingAccount:
    """The organization's BillingAccount, with its Stripe customer created on first use."""
    account = BillingAccount.objects.filter(organization_id=organization.pk).first()
    if account is not None:
        return account
    client = stripe_client()
    params = _customer_params(organization)
    try:
        with transaction.atomic():
            # Concurrent first checkouts of one organization queue on its row, so the
            # second finds the first's account and never asks Stripe for a customer of its
            # own (whatever Stripe does with idempotency keys). Rare and short: once.
            Organization.objects.select_for_update().filter(pk=organization.pk).exists()
            account = BillingAccount.objects.filter(organization_id=organization.pk).first()
            if account is not None:
                return account
            customer = _stripe(
                "create the organization's customer",
                lambda: client.v1.customers.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": _customer_idempotency_key(params)},
                ),
            )
            return BillingAccount.objects.create(
                organization=organization, stripe_customer_id=customer.id
            )
    except IntegrityError:
        # SQLite has no row locks: the other request inserted first, with the customer
        # Stripe answered both with (the same idempotency key).
        return BillingAccount.objects.get(organization_id=organization.pk)


def _offered_price(price_id: object) -> PlanPrice:
    if not isinstance(price_id, str) or not price_id.strip():
        raise CheckoutInvalid("price_id", "is required: the Stripe price id of a plan")
    if len(price_id) > MAX_PRICE_ID_LENGTH or "\x00" in price_id:
        raise CheckoutInvalid("price_id", "is not a price on offer")
    price = (
        PlanPrice.objects.filter(stripe_price_id=price_id.strip(), active=True)
        .select_related("plan")
        .first()
    )
    if price is None:
        raise CheckoutInvalid(
            "price_id", "is not a price on offer: no active plan price has this id"
        )
    return price


def _item_price_id(item: dict[str, Any]) -> str | None:
    # Stripe's subscription items carry `price`; older API versions (and localstripe) carry
    # the same object as `plan`.
    for name in ("price", "plan"):
        value = item.get(name)
        if isinstance(value, dict) and value.get("id"):
            return str(value["id"])
        if isinstance(value, str) and value:
            return value
    return None


def _live_subscription(client: StripeClient, account: BillingAccount) -> dict[str, Any] | None:
    """The customer's subscription in good standing or within its grace, as Stripe has it
    now: the webhook that would tell us of one just bought may not have arrived yet."""
    listed = _stripe(
        "list the organization's subscriptions",
        lambda: client.v1.subscriptions.list(
            params={"customer": account.stripe_customer_id, "limit": 100}
        ),
    ).to_dict()
    live = [sub for sub in listed.get("data", []) if sub.get("status") in LIVE_STATUSES]
    for subscription in live:
        if subscription.get("id") == account.stripe_subscription_id:
            return subscription
    return live[0] if live else None


def _plan_change(
    client: StripeClient,
    account: BillingAccount,
    subscription: dict[str, Any],
    price: PlanPrice,
    *,
    success_url: str,
    cancel_url: str,
) -> BillingRedirect:
    """The portal's confirmation page for switching the one subscription to `price`:
    Stripe prorates and charges the difference, and its webhook changes the plan."""
    items = subscription.get("items", {}).get("data", [])
    if not items:
        raise CheckoutInvalid("price_id", "the organization's subscription has no plan to change")
    item = items[0]
    if _item_price_id(item) == price.stripe_price_id:
        raise AlreadySubscribed()
    session = _stripe(
        "open the plan change",
        lambda: client.v1.billing_portal.sessions.create(
            params={
                "customer": account.stripe_customer_id,
                "return_url": cancel_url,
                "flow_data": {
                    "type": "subscription_update_confirm",
                    "subscription_update_confirm": {
                        "subscription": subscription["id"],
                        "items": [
                            {"id": item["id"], "price": price.stripe_price_id, "quantity": 1}
                        ],
                    },
                    "after_completion": {
                        "type": "redirect",
                        "redirect": {"return_url": success_url},
                    },
                },
            }
        ),
    )
    return BillingRedirect(session_id=session.id, url=session.url, kind="portal")


def checkout_start(
    *,
    actor: Actor,
    organization: Organization,
    price_id: object,
    success_url: object,
    cancel_url: object,
    request_host: str,
    request_secure: bool,
) -> BillingRedirect:
    """Where to pay for `price_id`: a Checkout Session for a first subscription, or, when
    the organization already has a live one, the portal's confirmation of the change (one
    subscription per organization, never two). The return URLs must be this site's
    (`billing.services.return_urls`)."""
    _check_may_buy(actor, organization)
    client = stripe_client()
    price = _offered_price(price_id)
    success = return_url_check(
        "success_url", success_url, request_host=request_host, request_secure=request_secure
    )
    cancel = return_url_check(
        "cancel_url", cancel_url, request_host=request_host, request_secure=request_secure
    )
    account = billing_account_ensure(organization=organization)
    subscription = _live_subscription(client, account)
    if subscription is not None:
        return _plan_change(
            client, account, subscription, price, success_url=success, cancel_url=cancel
        )
    metadata = {
        "organization_uuid": str(organization.uuid),
        "plan": price.plan.slug,
    }
    session = _stripe(
        "open a checkout",
        lambda: client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": account.stripe_customer_id,
                "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
                # How the webhook finds the organization should the customer be unknown.
                "client_reference_id": str(organization.uuid),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
                "success_url": success,
                "cancel_url": cancel,
            }
        ),
    )
    return BillingRedirect(session_id=session.id, url=session.url, kind="checkout")


def portal_start(
    *,
    actor: Actor,
    organization: Organization,
    return_url: object,
    request_host: str,
    request_secure: bool,
) -> BillingRedirect:
    """Stripe's customer portal for the organization's customer: payment methods,
    invoices, cancellation. BillingCustomerMissing before the first checkout."""
    _check_may_buy(actor, organization)
    client = stripe_client()
    back = return_url_check(
        "return_url", return_url, request_host=request_host, request_secure=request_secure
    )
    account = BillingAccount.objects.filter(organization_id=organization.pk).first()
    if account is None:
        raise BillingCustomerMissing()
    session = _stripe(
        "open the customer portal",
        lambda: client.v1.billing_portal.sessions.create(
            params={"customer": account.stripe_customer_id, "return_url": back}
        ),
    )
    return BillingRedirect(session_id=session.id, url=session.url, kind="portal")
