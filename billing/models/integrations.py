"""Provider admin-API integrations, the buckets they sync and their runs (issue 16)."""

from django.conf import settings
from django.db import models

from tokentracker.crypto import field_decrypt

from .costs import MONEY, amount_text


class SyncedProvider(models.TextChoices):
    """The providers whose admin APIs we sync (issue 16)."""

    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"


class IntegrationStatus(models.TextChoices):
    NEVER_SYNCED = "never_synced", "Not synced yet"
    OK = "ok", "Synced"
    PARTIAL = "partial", "Partly synced"
    INVALID_KEY = "invalid_key", "Invalid key"
    ERROR = "error", "Sync failed"


class ProviderIntegration(models.Model):
    """An organization's admin API key for one provider, synced hourly.

    The key is stored as a Fernet token (`tokentracker.crypto`) and never shown back: only
    its last four characters are kept in clear. `usage_synced_until` and
    `costs_synced_until` are the end of the last complete bucket stored: the next sync
    starts there, less a look-back for the provider's late corrections.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization",
        on_delete=models.CASCADE,
        related_name="provider_integrations",
    )
    provider = models.CharField(max_length=16, choices=SyncedProvider.choices)
    key_ciphertext = models.TextField()
    key_last_four = models.CharField(max_length=4)
    status = models.CharField(
        max_length=16, choices=IntegrationStatus.choices, default=IntegrationStatus.NEVER_SYNCED
    )
    status_message = models.CharField(max_length=500, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    usage_synced_until = models.DateTimeField(null=True, blank=True)
    costs_synced_until = models.DateTimeField(null=True, blank=True)
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
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="one_integration_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} (…{self.key_last_four}, {self.status})"

    @property
    def admin_key(self) -> str:
        return field_decrypt(self.key_ciphertext)


class ProviderUsageBucket(models.Model):
    """Tokens a provider reports for one time bucket and group (model, project, API key):
    beside the events, never as events. Upserted on its unique key, so syncing the same
    window again replaces rather than adds. Groups the provider leaves out are ""."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+"
    )
    provider = models.CharField(max_length=16, choices=SyncedProvider.choices)
    start = models.DateTimeField()
    width = models.CharField(max_length=2, choices=[("1h", "1 hour"), ("1d", "1 day")])
    model = models.CharField(max_length=200, blank=True)
    project = models.CharField(
        max_length=200, blank=True, help_text="OpenAI project id or Anthropic workspace id."
    )
    api_key = models.CharField(max_length=200, blank=True, help_text="The provider's key id.")
    input_tokens = models.BigIntegerField(default=0, help_text="Uncached input.")
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization",
                    "provider",
                    "width",
                    "start",
                    "model",
                    "project",
                    "api_key",
                ],
                name="provider_usage_bucket_once",
            )
        ]
        indexes = [models.Index(fields=["organization", "provider", "start"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.start:%Y-%m-%d %H:%M} {self.model or '(all)'}"


class ProviderCostBucket(models.Model):
    """What a provider billed for one UTC day and line (OpenAI's `line_item`, Anthropic's
    `description`) and project, as it reports it (`amount` in `currency`), and converted
    to the organization's reporting currency at the rate of the day (NULL: no rate; shown
    apart). Upserted on its unique key like the usage buckets."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+"
    )
    provider = models.CharField(max_length=16, choices=SyncedProvider.choices)
    day = models.DateField()
    line_item = models.CharField(max_length=300, blank=True)
    model = models.CharField(max_length=200, blank=True, help_text="When the line names one.")
    project = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    converted_amount = models.DecimalField(**MONEY, null=True, blank=True)
    converted_currency = models.CharField(max_length=3, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "day", "line_item", "project"],
                name="provider_cost_bucket_once",
            )
        ]
        indexes = [models.Index(fields=["organization", "provider", "day"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.day} {self.line_item or '(all)'}: {amount_text(self.amount)}"


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Hourly schedule"
    API = "api", "API request"
    PAGE = "page", "Integrations page"


class SyncRun(models.Model):
    """One sync of one integration: when, why, how it ended and how many records."""

    integration = models.ForeignKey(
        ProviderIntegration, on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(max_length=10, choices=SyncTrigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, blank=True, choices=IntegrationStatus.choices)
    usage_records = models.PositiveIntegerField(default=0)
    cost_records = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"sync of {self.integration} at {self.started_at:%Y-%m-%d %H:%M}"
