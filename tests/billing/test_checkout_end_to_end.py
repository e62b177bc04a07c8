"""End to end: an owner chooses Indie on the Plan & billing page, pays in (the stand-in's)
Stripe Checkout, and Stripe's signed checkout.session.completed reaches the webhook of a
live TokenTracker: the organization is on Indie and Indie's daily quota holds at once. Then
Upgrade to Pro goes through the customer portal's confirmation, and the signed
customer.subscription.updated puts it on Pro, still one subscription.

Transactional (the live server's thread must see committed rows; the data migrations' plans
are flushed, so the plans are made here).
"""

import time
from collections.abc import Callable

import pytest

from billing.models import BillingAccount
from tests.billing.stripe_helpers import WEBHOOK_PATH, paid_plan, plan_price
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Organization, Role
from tokentracker.services import api_key_create, plan_get_default

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def plan_of(organization: Organization) -> str:
    return Organization.objects.get(pk=organization.pk).plan.slug


def ingest(client, key: str) -> int:
    return client.post(
        "/api/v1/events", EVENT, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    ).status_code


def test_a_plan_bought_and_upgraded_through_stripe_changes_the_quotas_at_once(
    client, live_server, stripe_api
):
    indie, pro = paid_plan("indie", daily_event_limit=2), paid_plan("pro", daily_event_limit=5)
    plan_price(indie, "price_indie_monthly", "9.00")
    plan_price(pro, "price_pro_monthly", "29.00")
    stripe_api.price_create("price_indie_monthly", amount=900)
    stripe_api.price_create("price_pro_monthly", amount=2900)
    org = OrganizationFactory(slug="acme")
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    client.force_login(owner.user)
    key = api_key_create(organization=org, name="ingest").raw_key
    stripe_api.register_webhook(live_server.url + WEBHOOK_PATH)

    chosen = client.post("/o/acme/billing/checkout", {"price_id": "price_indie_monthly"})
    assert chosen.status_code == 303
    [session_id] = stripe_api.sessions
    assert chosen["Location"] == stripe_api.sessions[session_id]["url"]
    assert plan_of(org) == plan_get_default().slug  # nothing changes before Stripe says so

    completed = stripe_api.complete(session_id)

    assert completed["webhook_status"] == 200
    wait_until(lambda: plan_of(org) == "indie", "the organization on Indie")
    account = BillingAccount.objects.get(organization=org)
    assert (account.stripe_subscription_id, account.subscription_status) == (
        completed["subscription"],
        "active",
    )
    assert account.stripe_customer_id == completed["customer"]
    # Indie's two events a day, from the next request on.
    assert [ingest(client, key) for _ in range(3)] == [201, 201, 429]
    page = client.get("/o/acme/billing/").content.decode()
    assert 'data-testid="status">Active</span>' in page
    assert "Current plan" in page.split('data-price="price_indie_monthly"')[1].split("</tr>")[0]

    upgraded = client.post("/o/acme/billing/checkout", {"price_id": "price_pro_monthly"})
    assert upgraded.status_code == 303
    [portal_id] = stripe_api.portal_sessions
    assert upgraded["Location"] == stripe_api.portal_sessions[portal_id]["url"]

    confirmed = stripe_api.portal_confirm(portal_id)

    assert confirmed["webhook_status"] == 200
    wait_until(lambda: plan_of(org) == "pro", "the organization on Pro")
    assert (
        BillingAccount.objects.get(organization=org).stripe_subscription_id
        == (completed["subscription"])
    )
    assert len(stripe_api.client().v1.subscriptions.list().to_dict()["data"]) == 1
    # Pro's five: three more today, then refused.
    assert [ingest(client, key) for _ in range(4)] == [201, 201, 201, 429]
