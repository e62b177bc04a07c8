"""Reads of an organization's plan, its subscription and invoices (issue 17): what the Plan &
billing page, CodingVibez's /api/subscription-status and /api/billing-history and the
native API show. No Stripe call: the rows are kept current by Stripe's webhooks."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from billing.models import BillingAccount, Invoice, PlanPrice, SubscriptionStatus
from billing.payments.client import billing_configured
from tokentracker.models import Organization, Plan
from tokentracker.plan_usage import PlanUsage, plan_usage


@dataclass(frozen=True)
class SubscriptionOverview:
    plan: Plan  # the plan in effect now (Organization.plan): its quotas apply
    status: str  # a SubscriptionStatus value; "none" when never subscribed
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    grace_ends_at: datetime | None  # past due: when the plan falls to the default one
    has_customer: bool  # a Stripe customer exists (the customer portal can be opened)
    usage: PlanUsage
    billing_enabled: bool  # STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set


def subscription_overview(*, organization: Organization, now: datetime) -> SubscriptionOverview:
    account = BillingAccount.objects.filter(organization_id=organization.pk).first()
    usage = plan_usage(organization, now=now)
    if account is None:
        return SubscriptionOverview(
            plan=organization.plan,
            status=SubscriptionStatus.NONE,
            current_period_start=None,
            current_period_end=None,
            cancel_at_period_end=False,
            grace_ends_at=None,
            has_customer=False,
            usage=usage,
            billing_enabled=billing_configured(),
        )
    return SubscriptionOverview(
        plan=organization.plan,
        status=account.subscription_status,
        current_period_start=account.current_period_start,
        current_period_end=account.current_period_end,
        cancel_at_period_end=account.cancel_at_period_end,
        grace_ends_at=account.grace_ends_at
        if account.subscription_status == SubscriptionStatus.PAST_DUE
        else None,
        has_customer=True,
        usage=usage,
        billing_enabled=billing_configured(),
    )


def invoices_of(*, organization: Organization) -> QuerySet[Invoice]:
    """Newest first (Invoice.Meta.ordering)."""
    return Invoice.objects.filter(organization_id=organization.pk)


def plan_prices_offered() -> QuerySet[PlanPrice]:
    """The prices a checkout accepts, cheapest first, with their plans."""
    return PlanPrice.objects.filter(active=True).select_related("plan")
