"""The plan follows the subscription: a failed payment keeps the paid plan through the grace
period, then the hourly enforcement puts the organization on the default plan; a payment
brings it back; every change holds the organization to the new quotas at once."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from billing.models import BillingAccount, StripeEvent
from billing.payments.client import stripe_client
from billing.services.subscriptions import subscriptions_enforce
from tests.billing.stripe_helpers import (
    card_attach,
    event_of,
    paid_plan,
    payment_fail,
    plan_price,
    stripe_customer,
    stripe_price,
    subscribe,
    subscription_of,
    webhook_post,
)
from tokentracker.models import Organization
from tokentracker.ratelimit import plan_minute_limits
from tokentracker.services import organization_plan_change, plan_get_default

pytestmark = pytest.mark.django_db

PRO_PRICE = "price_pro_monthly"
TRACK = {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 5}


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def deliver(event):
        with django_capture_on_commit_callbacks(execute=True):
            response = webhook_post(client, event)
        assert response.status_code == 200, response.content
        return StripeEvent.objects.get(stripe_event_id=event["id"])

    return deliver


@pytest.fixture
def pro(localstripe):
    plan = paid_plan("pro", daily_event_limit=2, reads_per_minute=300, writes_per_minute=50)
    plan_price(plan, PRO_PRICE)
    stripe_price(PRO_PRICE)
    return plan


@pytest.fixture
def on_pro(deliver, org, pro):
    """The organization subscribed to Pro, and the subscription's event processed."""
    account = stripe_customer(org)
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    deliver(event_of("customer.subscription.created", subscription))
    account.refresh_from_db()
    return account


def plan_of(organization: Organization) -> str:
    return Organization.objects.get(pk=organization.pk).plan.slug


def past_due(deliver, account, localstripe, created: int) -> BillingAccount:
    invoice = payment_fail(
        account.stripe_customer_id, account.stripe_subscription_id, localstripe.url
    )
    stored = deliver(event_of("invoice.payment_failed", invoice, created=created))
    assert stored.status == "processed"
    account.refresh_from_db()
    return account


def test_a_failed_payment_keeps_the_plan_until_the_grace_period_ends(
    deliver, org, on_pro, localstripe, settings
):
    failed_at = int(time.time()) - 60
    account = past_due(deliver, on_pro, localstripe, failed_at)

    assert account.subscription_status == "past_due"
    assert account.past_due_since == datetime.fromtimestamp(failed_at, tz=UTC)
    grace_ends_at = datetime.fromtimestamp(failed_at, tz=UTC) + timedelta(days=7)
    assert account.grace_ends_at == grace_ends_at
    assert plan_of(org) == "pro"

    assert subscriptions_enforce(now=grace_ends_at - timedelta(seconds=1)) == 0
    assert plan_of(org) == "pro"
    assert subscriptions_enforce(now=grace_ends_at) == 1
    assert plan_of(org) == plan_get_default().slug
    assert subscriptions_enforce(now=grace_ends_at + timedelta(hours=1)) == 0


def test_the_grace_period_is_the_configured_number_of_days(
    deliver, org, on_pro, localstripe, settings
):
    settings.STRIPE_PAST_DUE_GRACE_DAYS = 2
    failed_at = int(time.time()) - 60
    account = past_due(deliver, on_pro, localstripe, failed_at)

    assert account.grace_ends_at == datetime.fromtimestamp(failed_at, tz=UTC) + timedelta(2)
    assert subscriptions_enforce(now=account.grace_ends_at) == 1


def test_a_payment_after_the_grace_period_brings_the_plan_back(deliver, org, on_pro, localstripe):
    account = past_due(deliver, on_pro, localstripe, int(time.time()))
    subscriptions_enforce(now=account.grace_ends_at)
    assert plan_of(org) == plan_get_default().slug

    card_attach(account.stripe_customer_id)  # a card that pays
    client = stripe_client()
    [unpaid] = [i for i in client.v1.invoices.list().data if i.status == "open"]
    paid = client.v1.invoices.pay(unpaid.id).to_dict()

    deliver(event_of("invoice.paid", paid))

    account.refresh_from_db()
    assert (account.subscription_status, account.past_due_since) == ("active", None)
    assert plan_of(org) == "pro"


def test_a_failed_payment_reported_after_the_grace_period_moves_the_plan_at_once(
    deliver, org, on_pro, localstripe
):
    eight_days_ago = int(time.time()) - 8 * 86400
    account = past_due(deliver, on_pro, localstripe, eight_days_ago)

    assert account.subscription_status == "past_due"
    assert plan_of(org) == plan_get_default().slug


def test_enforcement_leaves_subscriptions_in_good_standing_alone(org, on_pro, outsider_org):
    assert subscriptions_enforce(now=datetime(2100, 1, 1, tzinfo=UTC)) == 0
    assert plan_of(org) == "pro"


def test_an_upgrade_holds_the_organization_to_the_new_quotas_at_once(
    api, deliver, org, pro, raw_key
):
    before = api.get("/api/tokens", raw_key)  # the default plan's limits, cached a minute
    assert before.headers["X-RateLimit-Limit"] == "100"
    account = stripe_customer(org)

    deliver(
        event_of("customer.subscription.created", subscribe(account.stripe_customer_id, PRO_PRICE))
    )

    after = api.get("/api/tokens", raw_key)
    assert (after.headers["X-RateLimit-Limit"], after.headers["X-RateLimit-Remaining"]) == (
        "300",
        "298",
    )
    assert [api.post("/api/tokens/track", TRACK, raw_key).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    refused = api.post("/api/tokens/track", TRACK, raw_key).json()
    assert refused["error"] == "Daily event limit of 2 reached."


def test_a_cancellation_holds_the_organization_to_the_default_quotas_at_once(
    api, deliver, org, on_pro, raw_key
):
    assert api.get("/api/tokens", raw_key).headers["X-RateLimit-Limit"] == "300"

    stripe_client().v1.subscriptions.cancel(on_pro.stripe_subscription_id)
    deliver(
        event_of("customer.subscription.deleted", subscription_of(on_pro.stripe_subscription_id))
    )

    assert api.get("/api/tokens", raw_key).headers["X-RateLimit-Limit"] == "100"


def test_a_plan_change_drops_the_cached_limits(org, django_capture_on_commit_callbacks):
    plan_minute_limits(org.pk)
    assert cache.get(f"plan-minute-limits:{org.pk}") is not None
    small = paid_plan("small", reads_per_minute=3)

    with django_capture_on_commit_callbacks(execute=True):
        changed = organization_plan_change(organization=org, plan=small, reason="a test")

    assert changed is True
    assert cache.get(f"plan-minute-limits:{org.pk}") is None
    assert cache.get(f"plan-hourly-limit:{org.pk}") is None
    assert plan_minute_limits(org.pk).get == 3
    assert organization_plan_change(organization=org, plan=small, reason="again") is False
