"""What TokenTracker reads of Stripe's subscription, invoice and Checkout Session objects.

Stripe's objects change shape with its API versions, and both shapes reach us: an event is
rendered in the webhook endpoint's API version, a retrieved object in the library's. So
each fact is read from wherever either version puts it: a subscription item's `price` (or
its older `plan`), the period on the subscription (before 2025-03-31) or on its items
(since), an invoice's `subscription` (before) or `parent.subscription_details` (since).
Ids may come expanded into objects. Anything unreadable is StripeObjectMalformed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .amounts import stripe_amount_major

ID_LIMIT = 255
# BillingAccount.subscription_status's and Invoice.status's lengths.
SUBSCRIPTION_STATUS_LIMIT = 24
INVOICE_STATUS_LIMIT = 16
URL_LIMIT = 2000


class StripeObjectMalformed(ValueError):
    """A Stripe object without a fact TokenTracker needs, or with one of the wrong type."""


@dataclass(frozen=True)
class SubscriptionFacts:
    id: str
    customer_id: str
    status: str
    price_ids: tuple[str, ...]  # one per item, in Stripe's order
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool


@dataclass(frozen=True)
class InvoiceFacts:
    id: str
    customer_id: str
    subscription_id: str | None
    number: str
    status: str
    amount_due: Decimal
    amount_paid: Decimal
    currency: str
    issued_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str
    invoice_pdf: str


@dataclass(frozen=True)
class CheckoutFacts:
    id: str
    customer_id: str | None
    subscription_id: str | None
    client_reference_id: str | None
    mode: str


def object_id(value: Any, name: str) -> str | None:
    """An id given as a string, or inside the object Stripe expanded it into; None if absent."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > ID_LIMIT:
        raise StripeObjectMalformed(f"`{name}` is not a Stripe id.")
    return value


def _required_id(value: Any, name: str) -> str:
    found = object_id(value, name)
    if found is None:
        raise StripeObjectMalformed(f"`{name}` is missing.")
    return found


def _moment(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeObjectMalformed(f"`{name}` is not a Unix time.")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise StripeObjectMalformed(f"`{name}` is not a Unix time.") from None


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise StripeObjectMalformed(f"`{name}` is not a string of at most {limit} characters.")
    return value


def _status(value: Any, name: str, limit: int) -> str:
    status = _text(value, name, limit)
    if not status:
        raise StripeObjectMalformed(f"`{name}` is missing.")
    return status


def _items(subscription: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise StripeObjectMalformed("`items.data` is not a list of subscription items.")
    return data


def subscription_facts(subscription: Mapping[str, Any]) -> SubscriptionFacts:
    if not isinstance(subscription, Mapping) or subscription.get("object") != "subscription":
        raise StripeObjectMalformed("Not a subscription object.")
    items = _items(subscription)
    price_ids = tuple(
        _required_id(item.get("price") or item.get("plan"), "items.data.price") for item in items
    )
    # Since API version 2025-03-31 each item has its own period; the plan's item is first.
    period_of = items[0] if items and "current_period_start" in items[0] else subscription
    return SubscriptionFacts(
        id=_required_id(subscription.get("id"), "id"),
        customer_id=_required_id(subscription.get("customer"), "customer"),
        status=_status(subscription.get("status"), "status", SUBSCRIPTION_STATUS_LIMIT),
        price_ids=price_ids,
        current_period_start=_moment(period_of.get("current_period_start"), "current_period_start"),
        current_period_end=_moment(period_of.get("current_period_end"), "current_period_end"),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
    )


def _amount(value: Any, name: str, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeObjectMalformed(f"`{name}` is not an integer amount.")
    return stripe_amount_major(value, currency)


def _invoice_subscription_id(invoice: Mapping[str, Any]) -> str | None:
    parent = invoice.get("parent")
    if isinstance(parent, Mapping) and isinstance(parent.get("subscription_details"), Mapping):
        found = object_id(
            parent["subscription_details"].get("subscription"),
            "parent.subscription_details.subscription",
        )
        if found is not None:
            return found
    return object_id(invoice.get("subscription"), "subscription")


def invoice_facts(invoice: Mapping[str, Any]) -> InvoiceFacts:
    if not isinstance(invoice, Mapping) or invoice.get("object") != "invoice":
        raise StripeObjectMalformed("Not an invoice object.")
    currency = _text(invoice.get("currency"), "currency", 3).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise StripeObjectMalformed("`currency` is not a three-letter code.")
    transitions = invoice.get("status_transitions")
    finalized = transitions.get("finalized_at") if isinstance(transitions, Mapping) else None
    # Issued when finalized (a draft can be edited until then); a draft has only `created`.
    issued_at = _moment(finalized, "status_transitions.finalized_at") or _moment(
        invoice.get("created"), "created"
    )
    if issued_at is None:
        raise StripeObjectMalformed("`created` is missing.")
    return InvoiceFacts(
        id=_required_id(invoice.get("id"), "id"),
        customer_id=_required_id(invoice.get("customer"), "customer"),
        subscription_id=_invoice_subscription_id(invoice),
        number=_text(invoice.get("number"), "number", 100),
        status=_status(invoice.get("status"), "status", INVOICE_STATUS_LIMIT),
        amount_due=_amount(invoice.get("amount_due"), "amount_due", currency),
        amount_paid=_amount(invoice.get("amount_paid"), "amount_paid", currency),
        currency=currency,
        issued_at=issued_at,
        period_start=_moment(invoice.get("period_start"), "period_start"),
        period_end=_moment(invoice.get("period_end"), "period_end"),
        hosted_invoice_url=_text(
            invoice.get("hosted_invoice_url"), "hosted_invoice_url", URL_LIMIT
        ),
        invoice_pdf=_text(invoice.get("invoice_pdf"), "invoice_pdf", URL_LIMIT),
    )


def checkout_facts(session: Mapping[str, Any]) -> CheckoutFacts:
    if not isinstance(session, Mapping) or session.get("object") != "checkout.session":
        raise StripeObjectMalformed("Not a Checkout Session object.")
    return CheckoutFacts(
        id=_required_id(session.get("id"), "id"),
        customer_id=object_id(session.get("customer"), "customer"),
        subscription_id=object_id(session.get("subscription"), "subscription"),
        client_reference_id=_text(session.get("client_reference_id"), "client_reference_id", 200)
        or None,
        mode=_text(session.get("mode"), "mode", 20),
    )
