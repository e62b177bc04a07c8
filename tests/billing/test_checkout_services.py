"""Buying a plan: the organization's Stripe customer (created once), Checkout Sessions, a
change of plan through the customer portal, and the portal itself, against localstripe and
the Checkout stand-in (tests/stripe_servers.py) through the official client."""

import threading

import pytest
from django.db import connection

from billing.models import BillingAccount
from billing.payments.client import BillingNotConfigured
from billing.services.checkout import (
    BillingCustomerMissing,
    BillingPermissionDenied,
    CheckoutInvalid,
    StripeRequestFailed,
    billing_account_ensure,
    checkout_start,
    portal_start,
)
from tests.factories import MembershipFactory
from tests.stripe_servers import SECRET_KEY
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/o/acme/billing/"


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


def start(admin, price_id, **overrides):
    params = {
        "actor": admin,
        "organization": admin.organization,
        "price_id": price_id,
        "success_url": PAGE + "?checkout=success",
        "cancel_url": PAGE + "?checkout=canceled",
        "request_host": "testserver",
        "request_secure": False,
        **overrides,
    }
    return checkout_start(**params)


def customers_at_stripe(stripe_api):
    return stripe_api.client().v1.customers.list().to_dict()["data"]


def test_a_first_checkout_creates_the_customer_and_an_open_session(
    stripe_api, offered_prices, admin, org
):
    redirect = start(admin, "price_pro_monthly")

    account = BillingAccount.objects.get(organization=org)
    [customer] = customers_at_stripe(stripe_api)
    assert account.stripe_customer_id == customer["id"]
    assert customer["name"] == org.name
    assert customer["metadata"] == {"organization_uuid": str(org.uuid), "organization_slug": "acme"}
    [created] = stripe_api.to("POST", "/v1/customers")
    assert created.idempotency_key.startswith(f"tokentracker-customer-{org.uuid}-")

    assert redirect.kind == "checkout"
    assert redirect.session_id.startswith("cs_test_")
    assert redirect.url == f"{stripe_api.url}/c/pay/{redirect.session_id}"
    # Read back through the client, as Stripe would answer it.
    session = stripe_api_client(stripe_api).v1.checkout.sessions.retrieve(redirect.session_id)
    session = session.to_dict()
    assert {k: session[k] for k in ("mode", "status", "customer", "client_reference_id")} == {
        "mode": "subscription",
        "status": "open",
        "customer": customer["id"],
        "client_reference_id": str(org.uuid),
    }
    assert (session["amount_total"], session["currency"]) == (2900, "usd")
    assert session["success_url"] == PAGE + "?checkout=success"
    assert session["cancel_url"] == PAGE + "?checkout=canceled"
    assert session["metadata"] == {"organization_uuid": str(org.uuid), "plan": "pro"}
    [sent] = stripe_api.to("POST", "/v1/checkout/sessions")
    assert sent.params["line_items"] == [{"price": "price_pro_monthly", "quantity": "1"}]
    assert sent.params["subscription_data"] == {"metadata": session["metadata"]}


def stripe_api_client(stripe_api):
    from stripe import StripeClient

    return StripeClient(SECRET_KEY, base_addresses={"api": stripe_api.url})


def test_the_customer_is_created_once_and_reused(stripe_api, offered_prices, admin, org):
    first = start(admin, "price_pro_monthly")
    second = start(admin, "price_indie_monthly")

    assert first.session_id != second.session_id
    assert len(customers_at_stripe(stripe_api)) == 1
    assert len(stripe_api.to("POST", "/v1/customers")) == 1
    assert BillingAccount.objects.count() == 1
    customer = BillingAccount.objects.get().stripe_customer_id
    assert [s["customer"] for s in stripe_api.sessions.values()] == [customer, customer]


def test_with_a_live_subscription_another_plan_is_a_change_in_the_portal(
    stripe_api, offered_prices, admin, org
):
    stripe_api.complete(start(admin, "price_indie_monthly").session_id)
    [subscription] = stripe_api.client().v1.subscriptions.list().to_dict()["data"]
    item_id = subscription["items"]["data"][0]["id"]

    redirect = start(admin, "price_pro_monthly")

    assert redirect.kind == "portal"
    assert redirect.session_id.startswith("bps_")
    portal = stripe_api.portal_sessions[redirect.session_id]
    assert redirect.url == portal["url"]
    assert portal["return_url"] == PAGE + "?checkout=canceled"
    assert portal["flow"] == {
        "type": "subscription_update_confirm",
        "after_completion": {
            "type": "redirect",
            "hosted_confirmation": None,
            "redirect": {"return_url": PAGE + "?checkout=success"},
        },
        "subscription_cancel": None,
        "subscription_update": None,
        "subscription_update_confirm": {
            "discounts": [],
            "items": [{"id": item_id, "price": "price_pro_monthly", "quantity": 1}],
            "subscription": subscription["id"],
        },
    }
    # No second subscription, no second Checkout Session.
    assert len(stripe_api.sessions) == 1
    # What the flow names is what Stripe applies once the customer confirms.
    updated = stripe_api.portal_confirm(redirect.session_id)
    assert updated["id"] == subscription["id"]
    assert updated["items"]["data"][0]["plan"]["id"] == "price_pro_monthly"
    assert len(stripe_api.client().v1.subscriptions.list().to_dict()["data"]) == 1


def test_the_plan_already_subscribed_to_is_refused(stripe_api, offered_prices, admin):
    stripe_api.complete(start(admin, "price_pro_monthly").session_id)

    with pytest.raises(CheckoutInvalid) as refused:
        start(admin, "price_pro_monthly")
    assert refused.value.field == "price_id"
    assert refused.value.message == "price_id: is the plan the organization already subscribes to"
    assert stripe_api.portal_sessions == {}


def test_a_canceled_subscription_leads_to_a_new_checkout(stripe_api, offered_prices, admin):
    stripe_api.complete(start(admin, "price_pro_monthly").session_id)
    [subscription] = stripe_api.client().v1.subscriptions.list().to_dict()["data"]
    stripe_api.client().v1.subscriptions.cancel(subscription["id"])

    assert start(admin, "price_pro_monthly").kind == "checkout"


@pytest.mark.parametrize(
    ("price_id", "message"),
    [
        ("price_nope", "is not a price on offer: no active plan price has this id"),
        ("price_retired", "is not a price on offer: no active plan price has this id"),
        ("", "is required: the Stripe price id of a plan"),
        (None, "is required: the Stripe price id of a plan"),
        (["price_pro_monthly"], "is required: the Stripe price id of a plan"),
        ("price_\x00", "is not a price on offer"),
        ("p" * 256, "is not a price on offer"),
    ],
)
def test_a_price_not_on_offer_is_refused_and_nothing_reaches_stripe(
    stripe_api, offered_prices, admin, price_id, message
):
    retired = offered_prices["indie"]
    retired.pk, retired.stripe_price_id, retired.active = None, "price_retired", False
    retired.save()

    with pytest.raises(CheckoutInvalid) as refused:
        start(admin, price_id)
    assert (refused.value.field, refused.value.message) == ("price_id", f"price_id: {message}")
    assert stripe_api.requests == []
    assert not BillingAccount.objects.exists()


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("success_url", "https://evil.example.com/"),
        ("cancel_url", "javascript:alert(1)"),
    ],
)
def test_a_return_url_off_the_site_is_refused_before_stripe(
    stripe_api, offered_prices, admin, field, url
):
    with pytest.raises(CheckoutInvalid) as refused:
        start(admin, "price_pro_monthly", **{field: url})
    assert refused.value.field == field
    assert stripe_api.requests == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_admins_and_owners_buy(stripe_api, offered_prices, org, role):
    member = MembershipFactory(organization=org, role=role)
    with pytest.raises(BillingPermissionDenied):
        start(member, "price_pro_monthly")
    with pytest.raises(BillingPermissionDenied):
        portal_start(
            actor=member,
            organization=org,
            return_url=PAGE,
            request_host="testserver",
            request_secure=False,
        )
    assert stripe_api.requests == []


def test_an_admin_of_another_organization_buys_nothing_for_this_one(
    stripe_api, offered_prices, org, outsider_org
):
    outsider_admin = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(BillingPermissionDenied):
        start(outsider_admin, "price_pro_monthly", organization=org)
    assert stripe_api.requests == []


def test_an_owner_buys(stripe_api, offered_prices, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    assert start(owner, "price_pro_monthly").kind == "checkout"


def test_billing_off_is_billing_not_configured(offered_prices_off, admin):
    with pytest.raises(BillingNotConfigured):
        start(admin, "price_pro_monthly")


@pytest.fixture
def offered_prices_off(db, settings):
    from decimal import Decimal

    from billing.models import PlanPrice
    from tokentracker.models import Plan

    PlanPrice.objects.create(
        plan=Plan.objects.get(slug="pro"), stripe_price_id="price_pro_monthly", amount=Decimal(29)
    )


def test_a_price_stripe_does_not_know_is_stripes_refusal_not_a_crash(
    stripe_api, offered_prices, admin
):
    ghost = offered_prices["pro"]
    ghost.pk, ghost.stripe_price_id = None, "price_ghost"
    ghost.save()

    with pytest.raises(StripeRequestFailed) as failed:
        start(admin, "price_ghost")
    assert failed.value.message == "Stripe refused to open a checkout: No such price: 'price_ghost'"
    assert failed.value.details == {"stripe_code": "resource_missing"}
    assert failed.value.code == "stripe_error"


def test_a_key_stripe_refuses_is_not_quoted_to_the_buyer(
    stripe_api, offered_prices, admin, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_revoked_0000000000000000001234"
    with pytest.raises(StripeRequestFailed) as failed:
        start(admin, "price_pro_monthly")
    assert failed.value.message == (
        "Stripe refused to create the organization's customer: it does not accept this "
        "server's API key (the operator must check STRIPE_SECRET_KEY)."
    )
    assert "1234" not in str(failed.value.details)


def test_stripe_unreachable_is_a_clear_unavailable_error(
    localstripe, settings, offered_prices_off, admin
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(StripeRequestFailed) as failed:
        start(admin, "price_pro_monthly")
    assert failed.value.message.startswith(
        "Stripe could not be reached to create the organization's customer: "
    )
    assert failed.value.message.endswith("Try again in a minute.")
    assert not BillingAccount.objects.exists()


def test_the_portal_opens_for_the_customer(stripe_api, offered_prices, admin, org):
    start(admin, "price_pro_monthly")
    customer = BillingAccount.objects.get(organization=org).stripe_customer_id

    redirect = portal_start(
        actor=admin,
        organization=org,
        return_url=PAGE,
        request_host="testserver",
        request_secure=False,
    )

    assert redirect.kind == "portal"
    portal = stripe_api.portal_sessions[redirect.session_id]
    assert (portal["customer"], portal["return_url"], portal["flow"]) == (customer, PAGE, None)
    assert redirect.url == portal["url"]


def test_the_portal_needs_a_customer_first(stripe_api, admin, org):
    with pytest.raises(BillingCustomerMissing) as missing:
        portal_start(
            actor=admin,
            organization=org,
            return_url=PAGE,
            request_host="testserver",
            request_secure=False,
        )
    assert missing.value.message.startswith("This organization has no Stripe customer yet")
    assert stripe_api.requests == []


def test_the_portals_return_url_must_be_this_sites(stripe_api, admin, org):
    with pytest.raises(CheckoutInvalid) as refused:
        portal_start(
            actor=admin,
            organization=org,
            return_url="https://evil.example.com/",
            request_host="testserver",
            request_secure=False,
        )
    assert refused.value.field == "return_url"


def test_billing_account_ensure_returns_the_existing_account(stripe_api, org):
    first = billing_account_ensure(organization=org)
    assert billing_account_ensure(organization=org) == first
    assert len(stripe_api.to("POST", "/v1/customers")) == 1


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks; concurrent first checkouts need PostgreSQL to overlap",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_checkouts_make_one_customer(stripe_api, org):
    # localstripe ignores idempotency keys, so this holds by our lock alone.
    barrier = threading.Barrier(4)
    accounts, errors = [], []

    def ensure():
        try:
            barrier.wait(timeout=10)
            accounts.append(billing_account_ensure(organization=org).stripe_customer_id)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ensure) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(set(accounts)) == 1 and len(accounts) == 4
    assert len(customers_at_stripe(stripe_api)) == 1
    assert BillingAccount.objects.count() == 1
