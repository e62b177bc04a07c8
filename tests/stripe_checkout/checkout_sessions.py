"""`POST /v1/checkout/sessions` as Stripe checks and answers it
(docs.stripe.com/api/checkout/sessions/create): the key parameters refused as Stripe refuses
them, and a `checkout.session` object with the fields Stripe documents."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import StripeRefusal, missing, token, url_param

# localstripe's object of a kind ("customers", "plans", "subscriptions") by id, or Stripe's
# "No such ..." refusal naming the parameter.
Find = Callable[[str, object, str], dict[str, Any]]


@dataclass(frozen=True)
class CreatedSession:
    session: dict[str, Any]
    # What completing it subscribes to: Stripe keeps these, the session object shows neither.
    items: list[dict[str, Any]]
    subscription_metadata: dict[str, str]


def checkout_session_create(params: dict[str, Any], *, find: Find, base_url: str) -> CreatedSession:
    """A new open session, or StripeRefusal as Stripe would answer."""
    mode = params.get("mode")
    if not mode:
        raise missing("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise StripeRefusal(
            400, "Invalid mode: must be one of payment, setup, or subscription", param="mode"
        )
    line_items = params.get("line_items")
    if mode != "setup" and not line_items:
        raise missing("line_items")
    if line_items is not None and not isinstance(line_items, list):
        raise StripeRefusal(400, "Invalid array", param="line_items")
    amount, currency, items = 0, None, []
    for index, item in enumerate(line_items or []):
        where = f"line_items[{index}]"
        if not isinstance(item, dict) or not item.get("price"):
            raise missing(f"{where}[price]")
        if not item.get("quantity"):
            raise StripeRefusal(
                400,
                f"Quantity is required. Add `quantity` to `{where}`",
                param=f"{where}[quantity]",
            )
        try:
            quantity = int(item["quantity"])
        except ValueError:
            raise StripeRefusal(400, "Invalid integer", param=f"{where}[quantity]") from None
        price = find("plans", item["price"], f"{where}[price]")
        amount += price["amount"] * quantity
        currency = price["currency"]
        items.append({"price": price["id"], "quantity": quantity})
    success_url = url_param(params, "success_url", required=True)
    cancel_url = url_param(params, "cancel_url", required=False)
    customer = params.get("customer")
    if customer is not None:
        find("customers", customer, "customer")
    reference = params.get("client_reference_id")
    if reference is not None and len(reference) > 200:
        raise StripeRefusal(
            400,
            "Invalid string: must be at most 200 characters",
            param="client_reference_id",
        )
    session_id = f"cs_test_{token()}"
    created = int(time.time())
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": reference,
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "customer": customer,
        "customer_creation": None if customer else "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": created + 24 * 3600,
        "invoice": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": params.get("metadata") or {},
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "setup_intent": None,
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{base_url}/c/pay/{session_id}",
    }
    subscription_data = params.get("subscription_data") or {}
    return CreatedSession(session, items, subscription_data.get("metadata") or {})
