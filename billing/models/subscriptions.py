"""Plans sold through Stripe: the prices that buy them, each organization's Stripe customer
and subscription, the invoices Stripe issued it, and the webhook events received (issue 17).

Stripe is the record of what was bought; these rows are what TokenTracker has learnt of it
from webhooks (and from Stripe's API when an event is processed), so pages and APIs answer
without calling Stripe. The plan an organization runs under stays `Organization.plan`: the
subscription's state decides it (`billing.services.subscriptions`).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models


class PlanPrice(models.Model):
    """A Stripe price id that buys a plan: what `priceId` in a checkout names. The amount,
    currency and interval are shown on the Plan & billing page; Stripe charges what the
    price says at Stripe, so admins keep the two the same."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    plan = models.ForeignKey("tokentracker.Plan", on_delete=models.PROTECT, related_name="prices")
    stripe_price_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe's price id (price_...) for this plan."
    )
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="What Stripe charges each interval."
    )
    currency = models.CharField(
        max_length=3, default="usd", help_text="ISO 4217, lowercase as Stripe has it."
    )
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    active = models.BooleanField(
        default=True, help_text="Offered on the Plan & billing page and accepted by checkout."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["amount", "pk"]

    def __str__(self) -> str:
        return f"{self.plan} ({self.stripe_price_id})"


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, plus NONE for an organization that never bought."""

    NONE = "none", "No subscription"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"


class BillingAccount(models.Model):
    """An organization's Stripe customer (created on its first checkout) and the state of its
    subscription as Stripe last told it."""

    organization = models.OneToOneField(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="billing_account"
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    subscription_status = models.CharField(
        max_length=24, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    # The plan the subscription pays for (the price's plan); Organization.plan follows it
    # while the subscription is in good standing or within its grace period.
    subscribed_plan = models.ForeignKey(
        "tokentracker.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stripe_price_id = models.CharField(max_length=255, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # Set when a payment fails (past due); the paid plan is kept until the grace ends.
    past_due_since = models.DateTimeField(null=True, blank=True)
    # Stripe's `created` of the last event applied, so an older event delivered late does
    # not undo a newer one.
    last_event_created = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization} ({self.stripe_customer_id})"

    @property
    def grace_ends_at(self) -> datetime | None:
        """While past due: when the paid plan falls to the default one."""
        if self.past_due_since is None:
            return None
        return self.past_due_since + timedelta(days=settings.STRIPE_PAST_DUE_GRACE_DAYS)


class StripeEventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class StripeEvent(models.Model):
    """A verified Stripe webhook event, stored once by its id: a redelivered or replayed
    event finds its row and changes nothing. Processed by a Celery task."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    stripe_created = models.DateTimeField()
    payload = models.JSONField()
    organization = models.ForeignKey(
        "tokentracker.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stripe_events",
    )
    status = models.CharField(
        max_length=16, choices=StripeEventStatus.choices, default=StripeEventStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a task claimed it (status PROCESSING): a claim older than the task's time limit
    # belongs to a worker that died, and may be taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.stripe_event_id}"


class Invoice(models.Model):
    """An invoice Stripe issued an organization's customer: the billing history."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="invoices"
    )
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=100, blank=True)
    # Stripe's invoice statuses: draft, open, paid, uncollectible, void.
    status = models.CharField(max_length=16)
    # In the currency's major unit (Stripe sends minor units: cents).
    amount_due = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=2000, blank=True)
    invoice_pdf = models.URLField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-issued_at"])]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id
