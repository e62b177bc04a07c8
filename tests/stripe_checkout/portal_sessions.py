"""`POST /v1/billing_portal/sessions` as Stripe checks and answers it
(docs.stripe.com/api/customer_portal/sessions/create): the customer, the return URL and a
flow (`flow_data`), whose subscription must be the customer's and whose item must be the
subscription's; a `billing_portal.session` object with the fields Stripe documents."""

import time
from typing import Any

from .checkout_sessions import Find
from .params import StripeRefusal, missing, token, url_param


def portal_session_create(params: dict[str, Any], *, find: Find, base_url: str) -> dict[str, Any]:
    """A new portal session, or StripeRefusal as Stripe would answer."""
    customer = params.get("customer")
    if not customer:
        raise missing("customer")
    find("customers", customer, "customer")
    return_url = url_param(params, "return_url", required=True)
    flow = _portal_flow(find, customer, params.get("flow_data"))
    suffix = token()
    return {
        "id": f"bps_{suffix}",
        "object": "billing_portal.session",
        "configuration": "bpc_tokentracker_test",
        "created": int(time.time()),
        "customer": customer,
        "flow": flow,
        "livemode": False,
        "locale": params.get("locale"),
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{base_url}/p/session/test_{suffix}",
    }


def _portal_subscription(
    find: Find, customer: str, subscription_id: object, param: str
) -> dict[str, Any]:
    subscription = find("subscriptions", subscription_id, param)
    if subscription["customer"] != customer:
        raise StripeRefusal(
            400,
            f"The subscription {subscription_id} does not belong to customer {customer}.",
            param=param,
        )
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise StripeRefusal(
            400, f"The subscription {subscription_id} has been canceled.", param=param
        )
    return subscription


def _portal_flow(find: Find, customer: str, flow_data: object) -> dict[str, Any] | None:
    if flow_data is None:
        return None
    if not isinstance(flow_data, dict) or not flow_data.get("type"):
        raise missing("flow_data[type]")
    kind = flow_data["type"]
    kinds = (
        "payment_method_update",
        "subscription_cancel",
        "subscription_update",
        "subscription_update_confirm",
    )
    if kind not in kinds:
        raise StripeRefusal(
            400,
            f"Invalid flow_data[type]: must be one of {', '.join(kinds)}",
            param="flow_data[type]",
        )
    flow: dict[str, Any] = {
        "type": kind,
        "after_completion": _after_completion(flow_data.get("after_completion")),
        "subscription_cancel": None,
        "subscription_update": None,
        "subscription_update_confirm": None,
    }
    if kind in ("subscription_cancel", "subscription_update"):
        details = flow_data.get(kind) or {}
        param = f"flow_data[{kind}][subscription]"
        if not details.get("subscription"):
            raise missing(param)
        _portal_subscription(find, customer, details["subscription"], param)
        flow[kind] = {"subscription": details["subscription"]}
    if kind == "subscription_update_confirm":
        flow[kind] = _update_confirm(find, customer, flow_data.get(kind) or {})
    return flow


def _after_completion(after: object) -> dict[str, Any]:
    after = after if isinstance(after, dict) else {}
    kind = after.get("type", "portal_homepage")
    if kind not in ("hosted_confirmation", "portal_homepage", "redirect"):
        raise StripeRefusal(
            400,
            "Invalid flow_data[after_completion][type]: must be one of "
            "hosted_confirmation, portal_homepage, or redirect",
            param="flow_data[after_completion][type]",
        )
    redirect = None
    if kind == "redirect":
        target = after.get("redirect") or {}
        url = url_param(target, "return_url", required=True)
        redirect = {"return_url": url}
    return {"type": kind, "hosted_confirmation": None, "redirect": redirect}


def _update_confirm(find: Find, customer: str, confirm: dict[str, Any]) -> dict[str, Any]:
    prefix = "flow_data[subscription_update_confirm]"
    if not confirm.get("subscription"):
        raise missing(f"{prefix}[subscription]")
    subscription = _portal_subscription(
        find, customer, confirm["subscription"], f"{prefix}[subscription]"
    )
    items = confirm.get("items")
    if not isinstance(items, list) or not items:
        raise missing(f"{prefix}[items]")
    if len(items) > 1:
        raise StripeRefusal(
            400, "Currently, only up to one item may be specified.", param=f"{prefix}[items]"
        )
    item = items[0] if isinstance(items[0], dict) else {}
    if not item.get("id"):
        raise missing(f"{prefix}[items][0][id]")
    own_items = {own["id"] for own in subscription["items"]["data"]}
    if item["id"] not in own_items:
        raise StripeRefusal(
            400,
            f"The subscription item {item['id']} does not belong to subscription "
            f"{confirm['subscription']}.",
            param=f"{prefix}[items][0][id]",
        )
    confirmed = {"id": item["id"], "price": None, "quantity": None}
    if item.get("price"):
        find("plans", item["price"], f"{prefix}[items][0][price]")
        confirmed["price"] = item["price"]
    if item.get("quantity"):
        confirmed["quantity"] = int(item["quantity"])
    return {"discounts": [], "items": [confirmed], "subscription": confirm["subscription"]}
