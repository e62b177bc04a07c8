"""Spend that does not come from priced API events: manual costs (issue 14)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tokentracker.crypto import field_decrypt
from tokentracker.currencies import currency_code_validate

# Money columns keep twelve decimal places, as usage's costs do.
MONEY = {"max_digits": 28, "decimal_places": 12}


class Service(models.TextChoices):
    """The services a cost is booked against (CodingVibez, seed 004)."""

    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    GOOGLE = "google", "Google"
    AWS = "aws", "AWS"
    GCP = "gcp", "Google Cloud"
    AZURE = "azure", "Azure"
    VERCEL = "vercel", "Vercel"
    SUPABASE = "supabase", "Supabase"
    CURSOR = "cursor", "Cursor"
    GITHUB = "github", "GitHub"
    LOVABLE = "lovable", "Lovable"
    KIRO = "kiro", "Kiro"
    REPLIT = "replit", "Replit"


class ManualCost(models.Model):
    """A cost someone entered by hand for one service and calendar month.

    `amount` and `currency` are kept as sent; `converted_amount` is the amount in the
    organization's reporting currency at the rate of `rate_day` (see
    `billing.services.manual_costs.rate_day`), NULL when no rate is known: such a cost is
    shown apart as unconverted, never as 0.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="manual_costs"
    )
    service = models.CharField(max_length=16, choices=Service.choices)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, validators=[currency_code_validate])
    converted_amount = models.DecimalField(**MONEY, null=True, blank=True)
    converted_currency = models.CharField(
        max_length=3, help_text="The organization's reporting currency when it was converted."
    )
    month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    category = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-month", "-created_at"]
        indexes = [models.Index(fields=["organization", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.service} {self.year}-{self.month:02d}: {self.amount} {self.currency}"


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
        return f"{self.name}: {self.amount} {self.currency} a month"


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


class ExpenseSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    RECEIPT = "receipt", "Read from a receipt"


class ExpenseStatus(models.TextChoices):
    DRAFT = "draft", "Draft: to be confirmed"
    CONFIRMED = "confirmed", "Confirmed"


class Expense(models.Model):
    """Money spent on one day with one vendor (issue 15): typed in, or read from a receipt.

    `amount` and `currency` are kept as sent; `converted_amount` is the amount in the
    organization's reporting currency at the rate of `date`, NULL when no rate is known
    (shown apart as unconverted, never as 0). `service` is one of the 13 services when the
    vendor is one of them, else empty. A receipt's expense starts as a draft holding what OCR
    read (any field may be missing); drafts are not spend until someone confirms them, and a
    confirmed expense always has an amount, a currency and a date.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="expenses"
    )
    status = models.CharField(
        max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.CONFIRMED
    )
    source = models.CharField(
        max_length=10, choices=ExpenseSource.choices, default=ExpenseSource.MANUAL
    )
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, validators=[currency_code_validate])
    tax = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Tax included in the amount, if known."
    )
    converted_amount = models.DecimalField(**MONEY, null=True, blank=True)
    converted_currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="The organization's reporting currency when it was converted.",
    )
    vendor = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=16, choices=Service.choices, blank=True)
    date = models.DateField(null=True, blank=True)
    category = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=500, blank=True)
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
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ExpenseStatus.DRAFT)
                | (models.Q(amount__isnull=False, date__isnull=False) & ~models.Q(currency="")),
                name="expense_confirmed_is_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="expense_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor or 'expense'} {self.date}: {self.amount} {self.currency}"


class ReceiptStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Being read"
    DONE = "done", "Read"
    FAILED = "failed", "Could not be read"


def receipts_storage():
    """The private storage receipts are kept in (settings.STORAGES["receipts"])."""
    from django.core.files.storage import storages

    return storages["receipts"]


def receipt_path(receipt: "Receipt", filename: str) -> str:
    """A receipt's file name: the organization and a random name, never the uploaded one."""
    import uuid

    return f"{receipt.organization_id}/{uuid.uuid4().hex}"


class Receipt(models.Model):
    """An uploaded receipt (image or PDF) and what OCR read from it into its draft expense.

    The file lives in the private `receipts` storage and goes with the expense: deleting the
    expense deletes the receipt and its file. `fields` holds what was extracted, each as
    {"value": ..., "confidence": 0..1}: vendor, date, total, currency and tax.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="receipts"
    )
    expense = models.OneToOneField(Expense, on_delete=models.CASCADE, related_name="receipt")
    file = models.FileField(storage=receipts_storage, upload_to=receipt_path, max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes.")
    pages = models.PositiveSmallIntegerField(default=1)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.QUEUED
    )
    error = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True, help_text="The text read from the receipt.")
    fields = models.JSONField(default=dict, blank=True)
    reading_seconds = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["organization", "-uploaded_at"])]

    def __str__(self) -> str:
        return f"receipt {self.pk} ({self.status})"


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
        return f"{self.provider} {self.day} {self.line_item or '(all)'}: {self.amount}"


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
