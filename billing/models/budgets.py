"""Budgets, their alerts and the webhook endpoints alerts go to (issue 14)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tokentracker.crypto import field_decrypt
from tokentracker.currencies import currency_code_validate

from .costs import MONEY, Service, amount_text


def default_thresholds() -> list[int]:
    return [50, 80, 100]


class BudgetScope(models.TextChoices):
    """What a budget's spend counts (issue 14)."""

    ORGANIZATION = "organization", "The whole organization"
    SERVICE = "service", "One service"
    PROJECT = "project", "One project"
    API_KEY = "api_key", "One API key"
    DEVELOPER = "developer", "One developer"


def _scope_sets_only(scope: str, field: str | None = None) -> models.Q:
    """`scope`, with its own field set (when it has one) and every other one empty."""
    empty = {
        "service": models.Q(service=""),
        "project": models.Q(project=""),
        "api_key": models.Q(api_key__isnull=True),
        "developer_id": models.Q(developer_id=""),
    }
    condition = models.Q(scope=scope)
    for name, unset in empty.items():
        condition &= ~unset if name == field else unset
    return condition


class Budget(models.Model):
    """A monthly amount in the organization's reporting currency, for the whole
    organization or one service, project, API key or developer.

    Exactly the field its scope names is set (`service`, `project`, `api_key` or
    `developer_id`); the others stay empty. `thresholds` are percentages of `amount`
    (default 50, 80 and 100); `forecast_alert` also alerts when the month's projection is
    on course to exceed the amount.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="budgets"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=12, choices=BudgetScope.choices)
    service = models.CharField(max_length=16, choices=Service.choices, blank=True)
    project = models.CharField(max_length=200, blank=True)
    api_key = models.ForeignKey(
        "tokentracker.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="budgets",
    )
    developer_id = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(
        max_length=3,
        validators=[currency_code_validate],
        help_text="The organization's reporting currency when the amount was set.",
    )
    thresholds = models.JSONField(default=default_thresholds)
    forecast_alert = models.BooleanField(default=False)
    untracked_alert_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=(
            "Alert when the month's untracked spend (billed by a synced provider, not "
            "reported by our own integrations) is over this percentage of the bill."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "scope"])]
        constraints = [
            # Exactly the field the scope names is set: a budget whose scope and field
            # disagree would count some other spend than the one its name promises.
            models.CheckConstraint(
                condition=_scope_sets_only(BudgetScope.ORGANIZATION)
                | _scope_sets_only(BudgetScope.SERVICE, "service")
                | _scope_sets_only(BudgetScope.PROJECT, "project")
                | _scope_sets_only(BudgetScope.API_KEY, "api_key")
                | _scope_sets_only(BudgetScope.DEVELOPER, "developer_id"),
                name="budget_scope_sets_its_field",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {amount_text(self.amount)} {self.currency} a month"


class AlertKind(models.TextChoices):
    THRESHOLD = "threshold", "Threshold crossed"
    FORECAST = "forecast", "On course to exceed"
    UNTRACKED = "untracked", "Untracked spend over a share of the bill"


class BudgetAlert(models.Model):
    """One threshold of one budget crossed in one month (`period`, its first day).

    The unique constraint is what makes a threshold fire once per budget and period even
    when several workers evaluate at the same time: the worker whose INSERT wins delivers,
    the others get an IntegrityError and stop. A forecast alert is stored with the
    threshold it foresees being crossed (100); an untracked-spend alert with the budget's
    `untracked_alert_percent`, and the month's bill and untracked part when it fired.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="budget_alerts"
    )
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    period = models.DateField(help_text="The first day of the month the alert belongs to.")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the budget's amount.")
    spent = models.DecimalField(**MONEY)
    projected = models.DecimalField(**MONEY, null=True, blank=True)
    budget_amount = models.DecimalField(**MONEY)
    billed = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Untracked-spend alerts: what synced providers billed in the month so far.",
    )
    untracked = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Untracked-spend alerts: the part of the bill no event of ours accounts for.",
    )
    currency = models.CharField(max_length=3)
    fired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period", "kind", "threshold"], name="budget_alert_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "-fired_at"])]

    def __str__(self) -> str:
        return f"{self.budget.name}: {self.kind} {self.threshold}% in {self.period:%Y-%m}"


class WebhookKind(models.TextChoices):
    SLACK = "slack", "Slack incoming webhook"
    WEBHOOK = "webhook", "JSON webhook (Standard Webhooks)"


class WebhookEndpoint(models.Model):
    """A URL an organization's budget alerts are posted to, besides the email to its
    admins and owners: a Slack-compatible incoming webhook, or a generic JSON webhook signed
    as the Standard Webhooks spec says with the endpoint's own secret.

    The URL (a Slack incoming-webhook URL is itself a credential) and the signing secret
    are stored as Fernet tokens (`tokentracker.crypto`); `url_shown` keeps only the scheme
    and host, the one form lists, logs, errors and the admin show. Created and changed
    through `billing.services.webhooks`, which validates the URL and makes the secret.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=WebhookKind.choices)
    url_ciphertext = models.TextField()
    url_shown = models.CharField(max_length=300, help_text="Scheme and host only.")
    secret_ciphertext = models.TextField(
        blank=True, help_text="The whsec_ signing secret, encrypted; empty for Slack."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.url_shown})"

    @property
    def url(self) -> str:
        return field_decrypt(self.url_ciphertext)

    @property
    def signing_secret(self) -> str:
        return field_decrypt(self.secret_ciphertext) if self.secret_ciphertext else ""
