"""Alert deliveries and their attempts (issue 14)."""

from django.db import models

from .budgets import BudgetAlert, WebhookEndpoint


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class AlertEventType(models.TextChoices):
    """The `type` of a webhook's body."""

    THRESHOLD_CROSSED = "budget.threshold_crossed", "Budget threshold crossed"
    FORECAST_EXCEEDED = "budget.forecast_exceeded", "Budget forecast to be exceeded"
    UNTRACKED_SPEND = "budget.untracked_spend", "Untracked spend over a share of the bill"
    TEST = "webhook.test", "Test event"


class AlertDelivery(models.Model):
    """One alert sent to one target (an admin's address, or an endpoint) until it is
    delivered or given up; each try is a `DeliveryAttempt`.

    What is sent (`payload`) is fixed when the delivery is made, and `message_id` is the
    Standard Webhooks `webhook-id`, the same on every attempt so a receiver can drop a
    repeat. A test event has no alert. The task claims an attempt with a conditional UPDATE
    of `attempts` (healthchecks' `sendalerts`), so a repeated or late task sends nothing
    twice; `locked_until` bounds how long a claim holds when the worker dies mid-send.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="alert_deliveries"
    )
    alert = models.ForeignKey(
        BudgetAlert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    event_type = models.CharField(max_length=40, choices=AlertEventType.choices)
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient = models.EmailField(blank=True, help_text="The address, for email.")
    target = models.CharField(
        max_length=300,
        help_text="Where it goes as shown: the address, or the endpoint's scheme and host.",
    )
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField(help_text="The JSON body posted, or an email's subject and text.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            # An alert is delivered once per endpoint and per address, even when
            # alert_fired reaches the receiver twice.
            models.UniqueConstraint(
                fields=["alert", "endpoint"],
                condition=models.Q(alert__isnull=False, endpoint__isnull=False),
                name="alert_delivery_once_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                condition=models.Q(alert__isnull=False, channel="email"),
                name="alert_delivery_once_per_address",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.target}: {self.status}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, how long, and what came back (errors never hold the
    URL past its host). An attempt with no `finished_at` was cut off (the worker died)."""

    delivery = models.ForeignKey(
        AlertDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next attempt was due, if one was left."
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
