"""Deleting an organization cancels its live Stripe subscription first (the
`organization_deleting` hook), so nothing bills a customer whose data is gone."""

import logging

import pytest
import stripe

from billing.models import BillingAccount, SubscriptionStatus
from billing.payments.client import stripe_client
from tests.billing.stripe_helpers import (
    paid_plan,
    plan_price,
    stripe_customer,
    stripe_price,
    subscribe,
    subscription_of,
)
from tests.factories import MembershipFactory
from tokentracker.models import Organization, Role
from tokentracker.services.organization_deletion import (
    organization_delete,
    organization_deletion_request,
)

pytestmark = pytest.mark.django_db

PRICE = "price_indie_monthly"


@pytest.fixture
def subscribed(org, localstripe):
    plan_price(paid_plan("indie"), PRICE)
    stripe_price(PRICE)
    account = stripe_customer(org)
    subscription = subscribe(account.stripe_customer_id, PRICE)
    BillingAccount.objects.filter(pk=account.pk).update(
        stripe_subscription_id=subscription["id"],
        subscription_status=SubscriptionStatus.ACTIVE,
    )
    return subscription["id"]


def _delete(org: Organization) -> bool:
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    organization_deletion_request(organization=org, requested_by=owner, confirmation=org.slug)
    return organization_delete(organization_id=org.pk)


def test_the_live_subscription_is_canceled_at_stripe_before_the_rows_go(org, subscribed):
    assert subscription_of(subscribed)["status"] == "active"

    assert _delete(org) is True

    assert subscription_of(subscribed)["status"] == "canceled"
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert not BillingAccount.objects.exists()


def test_stripe_unreachable_stops_the_deletion_until_it_can_cancel(org, subscribed, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(stripe.APIConnectionError):
        _delete(org)

    assert BillingAccount.objects.filter(organization=org).exists()
    assert Organization.objects.filter(pk=org.pk).exists()


def test_a_subscription_stripe_no_longer_has_does_not_hold_the_deletion(org, subscribed):
    stripe_client().v1.subscriptions.cancel(subscribed)
    BillingAccount.objects.filter(organization=org).update(stripe_subscription_id="sub_gone")

    assert _delete(org) is True
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_with_billing_off_since_the_deletion_goes_on_and_says_what_to_cancel(
    org, subscribed, settings, caplog
):
    settings.STRIPE_SECRET_KEY = ""

    with caplog.at_level(logging.WARNING, logger="billing.services.subscriptions"):
        assert _delete(org) is True

    assert not Organization.objects.filter(pk=org.pk).exists()
    assert subscribed in caplog.text
    settings.STRIPE_SECRET_KEY = "sk_test_tokentracker_local"
    assert subscription_of(subscribed)["status"] == "active"


def test_an_organization_without_a_subscription_never_calls_stripe(org, settings):
    # Billing off and Stripe unreachable: nothing to cancel, so nothing is asked.
    assert _delete(org) is True
    assert not Organization.objects.filter(pk=org.pk).exists()
