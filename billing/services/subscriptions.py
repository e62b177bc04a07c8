"""An organization's subscription as Stripe last told it, the plan it gives, its invoices,
and the hourly end of grace periods (issue 17).

The plan follows the subscription's status:
- active, trialing: the plan of the subscription's price (a PlanPrice). A price no
  PlanPrice names keeps the plan the organization has (and is logged): the status is
  recorded all the same;
- past_due: the paid plan until the grace period ends, STRIPE_PAST_DUE_GRACE_DAYS after the
  first failed payment (`subscriptions_enforce`, hourly), then the default plan;
- canceled, unpaid, incomplete_expired, paused: the default plan at once. Stripe ends a
  subscription set to cancel at period end only at that end, so canceled means now; until
  then it stays active with `cancel_at_period_end`, and the plan is kept;
- incomplete (a first payment still under way): no change.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from billing.models import BillingAccount, Invoice, PlanPrice, SubscriptionStatus
from billing.payments.objects import InvoiceFacts, SubscriptionFacts
from tokentracker.models import Plan
from tokentracker.services import organization_plan_change, plan_get_default

logger = logging.getLogger(__name__)

PAID_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})
ENDED_STATUSES = frozenset(
    {
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.UNPAID,
        SubscriptionStatus.INCOMPLETE_EXPIRED,
        SubscriptionStatus.PAUSED,
    }
)
# Subscriptions that still bill the customer: an organization has at most one of these.
LIVE_STATUSES = PAID_STATUSES | {SubscriptionStatus.PAST_DUE}
CENT = Decimal("0.01")


def plan_due(*, account: BillingAccount, now: datetime) -> Plan | None:
    """The plan the account's subscription gives at `now`; None: the subscription decides
    nothing (incomplete, never subscribed, or a price that names no plan)."""
    status = account.subscription_status
    if status in PAID_STATUSES:
        return account.subscribed_plan
    if status == SubscriptionStatus.PAST_DUE:
        grace_ends_at = account.grace_ends_at
        if grace_ends_at is not None and now < grace_ends_at:
            return account.subscribed_plan
        return plan_get_default()
    if status in ENDED_STATUSES:
        return plan_get_default()
    return None


def account_plan_follow(*, account: BillingAccount, now: datetime) -> bool:
    """Move the account's organization to the plan its subscription gives (True if moved)."""
    plan = plan_due(account=account, now=now)
    if plan is None:
        return False
    reason = (
        f"Stripe subscription {account.stripe_subscription_id} is {account.subscription_status}"
    )
    grace_ends_at = account.grace_ends_at
    if account.subscription_status == SubscriptionStatus.PAST_DUE and grace_ends_at is not None:
        reason += f", its grace period ends {grace_ends_at:%Y-%m-%d %H:%M} UTC"
    return organization_plan_change(organization=account.organization, plan=plan, reason=reason)


def subscription_apply(
    *,
    account: BillingAccount,
    subscription: SubscriptionFacts,
    event_created: datetime,
    now: datetime,
    current: bool,
) -> str:
    """Record `subscription` on `account` (locked by the caller, with its organization) and
    move the organization to the plan it gives. Returns why nothing was applied, or "".

    `current`: the facts are Stripe's object as it is now (retrieved while processing), so
    they apply whatever the order events arrived in. An event's own snapshot (when Stripe
    no longer has the object) applies only if no later event was applied already.
    """
    if subscription.customer_id != account.stripe_customer_id:
        return (
            f"Subscription {subscription.id} belongs to Stripe customer "
            f"{subscription.customer_id}, not {account.stripe_customer_id}."
        )
    if not current and account.last_event_created and event_created < account.last_event_created:
        return "An event about a later state of this subscription was applied already."
    tracked = account.stripe_subscription_id
    is_other = bool(tracked) and tracked != subscription.id
    if (
        is_other
        and subscription.status not in LIVE_STATUSES
        and account.subscription_status in LIVE_STATUSES
    ):
        # A late word about an older subscription must not end the one that bills now.
        return f"Subscription {subscription.id} is not the organization's current one ({tracked})."

    prices = {
        price.stripe_price_id: price
        for price in PlanPrice.objects.filter(
            stripe_price_id__in=subscription.price_ids
        ).select_related("plan")
    }
    known = next((prices[p] for p in subscription.price_ids if p in prices), None)
    if known is not None:
        account.subscribed_plan = known.plan
        account.stripe_price_id = known.stripe_price_id
    else:
        logger.warning(
            "Stripe subscription %s of organization %s has no price a plan is sold at (%s): "
            "its plan is left as it is",
            subscription.id,
            account.organization.slug,
            ", ".join(subscription.price_ids) or "no items",
        )
        account.stripe_price_id = subscription.price_ids[0] if subscription.price_ids else ""
        if is_other:
            # The plan of the old subscription is not what this one pays for.
            account.subscribed_plan = None

    if subscription.status == SubscriptionStatus.PAST_DUE:
        if account.subscription_status != SubscriptionStatus.PAST_DUE or not account.past_due_since:
            # The grace period counts from when Stripe saw the payment fail.
            account.past_due_since = min(event_created, now)
    else:
        account.past_due_since = None
    account.stripe_subscription_id = subscription.id
    account.subscription_status = subscription.status
    account.current_period_start = subscription.current_period_start
    account.current_period_end = subscription.current_period_end
    account.cancel_at_period_end = subscription.cancel_at_period_end
    if account.last_event_created is None or event_created > account.last_event_created:
        account.last_event_created = event_created
    account.save()
    account_plan_follow(account=account, now=now)
    return ""


def invoice_record(*, account: BillingAccount, invoice: InvoiceFacts) -> Invoice:
    """Create or update the organization's copy of a Stripe invoice."""
    row, _ = Invoice.objects.update_or_create(
        stripe_invoice_id=invoice.id,
        defaults={
            "organization_id": account.organization_id,
            "number": invoice.number,
            "status": invoice.status,
            # Two places hold every Stripe amount: three-decimal currencies (kwd, ...) must
            # end in 0 at Stripe, for the card networks.
            "amount_due": invoice.amount_due.quantize(CENT),
            "amount_paid": invoice.amount_paid.quantize(CENT),
            "currency": invoice.currency,
            "issued_at": invoice.issued_at,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "hosted_invoice_url": invoice.hosted_invoice_url,
            "invoice_pdf": invoice.invoice_pdf,
        },
    )
    return row


def subscriptions_enforce(*, now: datetime) -> int:
    """Move every organization whose past-due grace period ended by `now` to the default
    plan (beat, hourly); returns how many moved. Each is locked and judged again, so an
    event that just settled the payment wins."""
    cutoff = now - timedelta(days=settings.STRIPE_PAST_DUE_GRACE_DAYS)
    default = plan_get_default()
    account_ids = list(
        BillingAccount.objects.filter(
            subscription_status=SubscriptionStatus.PAST_DUE, past_due_since__lte=cutoff
        )
        .exclude(organization__plan=default)
        .values_list("pk", flat=True)
    )
    moved = 0
    for account_id in account_ids:
        with transaction.atomic():
            account = (
                BillingAccount.objects.select_for_update()
                .select_related("organization")
                .filter(pk=account_id)
                .first()
            )
            if account is not None and account_plan_follow(account=account, now=now):
                moved += 1
    return moved
