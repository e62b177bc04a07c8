"""Processing a stored Stripe event: claimed by one run only, retried with growing delays
while Stripe cannot be reached, failed at once (with the reason) when it can never work,
swept up when its task was lost, and processed again on an admin's request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import StripeEvent, StripeEventStatus
from billing.services.stripe_events import (
    MAX_ATTEMPTS,
    stripe_event_apply,
    stripe_event_record,
    stripe_events_retry,
    stripe_events_sweep,
)
from billing.tasks import stripe_event_process
from tests.billing.stripe_helpers import (
    event_of,
    paid_plan,
    plan_price,
    stripe_customer,
    stripe_price,
    subscribe,
)
from tests.stripe_servers import SECRET_KEY, WEBHOOK_SECRET
from tokentracker.models import Organization
from tokentracker.services import plan_get_default

pytestmark = pytest.mark.django_db

PRO_PRICE = "price_pro_monthly"


@pytest.fixture
def pro(localstripe):
    plan = paid_plan("pro")
    plan_price(plan, PRO_PRICE)
    stripe_price(PRO_PRICE)
    return plan


@pytest.fixture
def subscribed(org, pro):
    """A subscription to Pro in localstripe, its event stored and not yet processed."""
    account = stripe_customer(org)
    subscription = subscribe(account.stripe_customer_id, PRO_PRICE)
    event, created = stripe_event_record(
        payload=event_of("customer.subscription.created", subscription)
    )
    assert created
    return event


def plan_of(organization: Organization) -> str:
    return Organization.objects.get(pk=organization.pk).plan.slug


def stripe_unreachable(settings) -> None:
    # Billing still configured; Stripe's address a closed port (connection refused).
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


def test_the_task_processes_an_event_and_a_second_run_changes_nothing(org, subscribed):
    assert stripe_event_process.delay(subscribed.pk).get() == "processed"
    assert plan_of(org) == "pro"
    org.plan = plan_get_default()  # moved by hand since
    org.save(update_fields=["plan"])

    assert stripe_event_process.delay(subscribed.pk).get() == "processed"

    subscribed.refresh_from_db()
    assert subscribed.attempts == 1
    assert plan_of(org) == plan_get_default().slug


def test_an_event_claimed_by_a_live_run_is_left_to_it(org, subscribed):
    StripeEvent.objects.filter(pk=subscribed.pk).update(
        status=StripeEventStatus.PROCESSING, claimed_at=timezone.now() - timedelta(seconds=30)
    )

    outcome = stripe_event_apply(event_id=subscribed.pk)

    assert outcome.status == StripeEventStatus.PROCESSING
    assert plan_of(org) == plan_get_default().slug


def test_an_event_claimed_by_a_run_that_died_is_taken_over(org, subscribed):
    StripeEvent.objects.filter(pk=subscribed.pk).update(
        status=StripeEventStatus.PROCESSING,
        claimed_at=timezone.now() - timedelta(minutes=5),
        attempts=1,
    )

    assert stripe_event_apply(event_id=subscribed.pk).status == "processed"

    subscribed.refresh_from_db()
    assert subscribed.attempts == 2
    assert plan_of(org) == "pro"


def test_stripe_unreachable_leaves_the_event_pending_for_a_later_try(org, subscribed, settings):
    stripe_unreachable(settings)

    first = stripe_event_apply(event_id=subscribed.pk)
    second = stripe_event_apply(event_id=subscribed.pk)

    assert (first.status, first.retry_in) == ("pending", 30)
    assert (second.status, second.retry_in) == ("pending", 60)
    subscribed.refresh_from_db()
    assert subscribed.attempts == 2
    assert subscribed.error.startswith("Stripe answered: ")
    assert plan_of(org) == plan_get_default().slug


def test_after_the_last_attempt_the_event_fails_with_the_reason(org, subscribed, settings):
    stripe_unreachable(settings)
    StripeEvent.objects.filter(pk=subscribed.pk).update(attempts=MAX_ATTEMPTS - 1)

    outcome = stripe_event_apply(event_id=subscribed.pk)

    assert (outcome.status, outcome.retry_in) == ("failed", None)
    subscribed.refresh_from_db()
    assert subscribed.attempts == MAX_ATTEMPTS
    assert subscribed.error.endswith(f"(gave up after {MAX_ATTEMPTS} tries)")


def test_stripe_refusing_the_request_fails_the_event_at_once(org, pro, localstripe):
    stripe_customer(org)
    account = org.billing_account
    missing = {
        "id": "sub_missing",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": account.stripe_customer_id,
        "subscription": "sub_missing",
    }
    event, _ = stripe_event_record(
        payload={**event_of("checkout.session.completed", missing), "id": "evt_missing"}
    )

    outcome = stripe_event_apply(event_id=event.pk)

    assert (outcome.status, outcome.retry_in) == ("failed", None)
    event.refresh_from_db()
    assert event.error == "Stripe has no subscription sub_missing."
    assert event.attempts == 1


def test_an_event_object_without_what_is_needed_fails_the_event(settings, org):
    stripe_unreachable(settings)  # never reached: the object is refused first
    broken = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active"}
    event, _ = stripe_event_record(payload=event_of("customer.subscription.updated", broken))

    assert stripe_event_apply(event_id=event.pk).status == "failed"

    event.refresh_from_db()
    assert event.error == "`items.data` is not a list of subscription items."


def test_billing_switched_off_before_processing_fails_the_event(org, subscribed, settings):
    settings.STRIPE_SECRET_KEY = ""

    assert stripe_event_apply(event_id=subscribed.pk).status == "failed"

    subscribed.refresh_from_db()
    assert subscribed.error.startswith("Billing is not configured")


def test_the_sweep_processes_events_whose_task_was_lost(org, subscribed):
    fresh, _ = stripe_event_record(payload=event_of("customer.created", {"id": "cus_x"}))
    StripeEvent.objects.filter(pk=subscribed.pk).update(
        received_at=timezone.now() - timedelta(minutes=31)
    )

    assert stripe_events_sweep() == 1

    subscribed.refresh_from_db()
    fresh.refresh_from_db()
    assert subscribed.status == "processed"
    assert fresh.status == "pending"  # its task may still come
    assert plan_of(org) == "pro"


def test_the_sweep_takes_up_an_event_left_pending_after_a_failed_try(org, subscribed, settings):
    stripe_unreachable(settings)
    stripe_event_apply(event_id=subscribed.pk)
    later = timezone.now() + timedelta(minutes=31)

    assert stripe_events_sweep(now=later - timedelta(minutes=2)) == 0
    assert stripe_events_sweep(now=later) == 1  # Stripe still unreachable: pending again

    subscribed.refresh_from_db()
    assert (subscribed.status, subscribed.attempts) == ("pending", 2)


def test_processing_again_takes_up_failed_and_ignored_events_not_processed_ones(
    org, subscribed, settings, localstripe, django_capture_on_commit_callbacks
):
    stripe_unreachable(settings)
    StripeEvent.objects.filter(pk=subscribed.pk).update(attempts=MAX_ATTEMPTS - 1)
    stripe_event_apply(event_id=subscribed.pk)  # failed
    ignored, _ = stripe_event_record(payload=event_of("customer.created", {"id": "cus_y"}))
    stripe_event_apply(event_id=ignored.pk)
    done, _ = stripe_event_record(payload=event_of("customer.created", {"id": "cus_z"}))
    StripeEvent.objects.filter(pk=done.pk).update(status=StripeEventStatus.PROCESSED)
    settings.STRIPE_API_BASE = localstripe.url  # Stripe is back

    with django_capture_on_commit_callbacks(execute=True):
        queued = stripe_events_retry(event_ids=[subscribed.pk, ignored.pk, done.pk])

    assert queued == 2
    subscribed.refresh_from_db()
    assert (subscribed.status, subscribed.attempts, subscribed.error) == ("processed", 1, "")
    assert StripeEvent.objects.get(pk=ignored.pk).attempts == 1  # ignored again, afresh
    assert StripeEvent.objects.get(pk=done.pk).attempts == 0
    assert plan_of(org) == "pro"
