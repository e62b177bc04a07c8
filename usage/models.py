import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from carbon.models import CARBON

# Prices are USD per million tokens. Ten decimal places keep every genai-prices figure that
# matters (the smallest real prices are around $0.0000375/Mtok).
PRICE = {"max_digits": 20, "decimal_places": 10, "null": True, "blank": True}
# Costs are USD; twelve decimal places hold one token at the cheapest price exactly enough.
COST = {"max_digits": 24, "decimal_places": 12, "null": True, "blank": True}


class TierClass(models.TextChoices):
    FRONTIER = "frontier", "Frontier"
    BUDGET = "budget", "Budget"
    OTHER = "other", "Other"


class PriceSource(models.TextChoices):
    GENAI_PRICES = "genai-prices", "genai-prices snapshot"
    ADMIN = "admin", "Edited by an admin"


class ModelPrice(models.Model):
    """One version of one model's prices. A price change is a new row, never an update."""

    provider = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    input_per_mtok = models.DecimalField(**PRICE)
    output_per_mtok = models.DecimalField(**PRICE)
    cache_read_per_mtok = models.DecimalField(**PRICE)
    cache_write_per_mtok = models.DecimalField(**PRICE)
    reasoning_per_mtok = models.DecimalField(
        **PRICE, help_text="Only when reasoning tokens are priced apart from output."
    )
    long_context_threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Prompt tokens above which every token is priced at the long-context tier.",
    )
    long_context_input_per_mtok = models.DecimalField(**PRICE)
    long_context_output_per_mtok = models.DecimalField(**PRICE)
    long_context_cache_read_per_mtok = models.DecimalField(**PRICE)
    long_context_cache_write_per_mtok = models.DecimalField(**PRICE)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    max_output = models.PositiveIntegerField(null=True, blank=True)
    modality = models.CharField(max_length=20, default="text")
    tier_class = models.CharField(max_length=10, choices=TierClass.choices, default=TierClass.OTHER)
    effective_from = models.DateTimeField(
        null=True, blank=True, help_text="Empty: in effect since before the catalog's history."
    )
    effective_to = models.DateTimeField(null=True, blank=True, help_text="Empty: still in effect.")
    is_active = models.BooleanField(default=True, help_text="Offered by the provider today.")
    source = models.CharField(
        max_length=20, choices=PriceSource.choices, default=PriceSource.GENAI_PRICES
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "model", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "effective_from"], name="model_price_unique_version"
            ),
            models.UniqueConstraint(
                fields=["provider", "model"],
                condition=Q(effective_from__isnull=True),
                name="model_price_unique_base_version",
            ),
        ]
        indexes = [models.Index(fields=["provider", "model"])]

    def __str__(self) -> str:
        since = self.effective_from.date().isoformat() if self.effective_from else "start"
        return f"{self.provider}/{self.model} (from {since})"


class ModelAlias(models.Model):
    """A dated snapshot or provider-specific spelling that means a catalog model."""

    provider = models.CharField(max_length=64)
    alias = models.CharField(max_length=200)
    model = models.CharField(max_length=200, help_text="The catalog model it stands for.")
    source = models.CharField(
        max_length=20, choices=PriceSource.choices, default=PriceSource.GENAI_PRICES
    )

    class Meta:
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(fields=["provider", "alias"], name="model_alias_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.alias} → {self.model}"


class CostSource(models.TextChoices):
    REPORTED = "reported", "Reported by the client"
    CATALOG = "catalog", "Priced from the catalog"
    UNPRICED = "unpriced", "Unknown model, not priced"
    # Priced (reported or from the catalog) in a currency with no rate for its day to the
    # organization's reporting currency: counted apart like unpriced events, never as 0.
    UNCONVERTED = "unconverted", "No exchange rate for its day"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    ERROR = "error", "Error"
    UNKNOWN = "unknown", "Not reported"


class UsageEvent(models.Model):
    """One LLM call as reported by an integration, with normalised tokens and its cost.

    Token parts: `uncached_input_tokens + cache_read_tokens + cache_write_tokens` is the whole
    prompt whatever the provider's convention; `output_tokens` includes `reasoning_tokens`.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    api_key = models.ForeignKey(
        "tokentracker.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # NULL, not "", for events without an id: the partial unique index skips NULLs.
    client_event_id = models.CharField(  # noqa: DJ001
        max_length=128, null=True, blank=True, help_text="The client's id; a retry counts once."
    )
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()

    provider = models.CharField(max_length=64)
    model = models.CharField(max_length=200)

    input_tokens = models.PositiveBigIntegerField(help_text="As reported.")
    output_tokens = models.PositiveBigIntegerField(
        help_text=(
            "Output including reasoning: as reported, plus the reasoning tokens for providers "
            "that count them apart (Gemini, xAI; usage.pricing's reasoning table)."
        )
    )
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    uncached_input_tokens = models.PositiveBigIntegerField(default=0)
    total_tokens = models.PositiveBigIntegerField(default=0)
    tokens_reported = models.BooleanField(
        default=True,
        help_text="False when the client sent no token count at all (Tokenwise's observe of "
        "a failed call): the zero counts then mean unknown, not none.",
    )

    input_cost = models.DecimalField(**COST)
    cache_read_cost = models.DecimalField(**COST)
    cache_write_cost = models.DecimalField(**COST)
    output_cost = models.DecimalField(**COST)
    reasoning_cost = models.DecimalField(**COST)
    total_cost = models.DecimalField(**COST)
    currency = models.CharField(
        max_length=3,
        default="USD",
        help_text="The costs' currency: the organization's reporting currency.",
    )
    cost_source = models.CharField(max_length=12, choices=CostSource.choices)
    # Kept to convert again (a rate loaded later, a new reporting currency).
    reported_amount = models.DecimalField(
        **COST, help_text="The cost the client reported, as sent, in reported_currency."
    )
    reported_currency = models.CharField(max_length=3, blank=True)
    catalog_cost_usd = models.DecimalField(
        **COST, help_text="The catalog price in USD, before conversion (catalog-priced events)."
    )
    model_price = models.ForeignKey(
        ModelPrice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    energy_wh = models.DecimalField(**CARBON)
    co2e_grams = models.DecimalField(**CARBON)
    carbon_methodology = models.CharField(
        max_length=20, blank=True, help_text="Methodology version the carbon figures come from."
    )

    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    success = models.BooleanField(null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=7,
        choices=Outcome.choices,
        default=Outcome.UNKNOWN,
        help_text="From success, else status, else status_code.",
    )

    platform = models.CharField(max_length=100, blank=True)
    use_case = models.CharField(max_length=100, blank=True)
    endpoint = models.CharField(max_length=200, blank=True, help_text="Feature name.")
    project = models.CharField(max_length=200, blank=True)
    session_id = models.CharField(max_length=200, blank=True)
    developer_id = models.CharField(max_length=200, blank=True)
    tenant_id = models.CharField(max_length=200, blank=True, help_text="The customer.")
    metadata = models.JSONField(null=True, blank=True)
    livemode = models.BooleanField(
        default=True, help_text="False: sent with a test key; pages show it only when asked."
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "occurred_at"], name="event_org_time"),
            # Django admin's list, newest first across organizations (usage.admin).
            models.Index(fields=["occurred_at", "id"], name="event_time"),
            # carbon-llm's per-developer day; partial, so events without a developer (most
            # of them) cost ingest nothing.
            models.Index(
                fields=["organization", "developer_id", "occurred_at"],
                condition=~Q(developer_id=""),
                name="event_org_developer_time",
            ),
            # The explorer filtered by customer, where its tables read raw events; partial,
            # like the developer's (bench: a month of the largest organization for one
            # customer, a 1.2 s parallel scan of every event, is an index range instead).
            models.Index(
                fields=["organization", "tenant_id", "occurred_at"],
                condition=~Q(tenant_id=""),
                name="event_org_tenant_time",
            ),
            # A session's requests in time order (the session page); partial, like the
            # developer's, so events without a session cost ingest nothing.
            models.Index(
                fields=["organization", "session_id", "occurred_at"],
                condition=~Q(session_id=""),
                name="event_org_session_time",
            ),
            # The few events waiting for an exchange rate: shown apart on the dashboard and
            # converted once rates arrive, without scanning the rest.
            models.Index(
                fields=["organization", "occurred_at"],
                condition=Q(cost_source="unconverted"),
                name="event_org_unconverted_time",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "client_event_id"],
                condition=Q(client_event_id__isnull=False),
                name="event_unique_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} at {self.occurred_at:%Y-%m-%d %H:%M}"


class IngestReceipt(models.Model):
    """The response to a request sent with an `Idempotency-Key`, replayed on a retry."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="ingest_receipt_unique")
        ]
        # The retention purge deletes an organization's oldest receipts.
        indexes = [
            models.Index(fields=["organization", "created_at"], name="ingest_receipt_org_time")
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key}"


ROLLUP_DIMENSIONS = (
    "livemode",
    "provider",
    "model",
    "endpoint",
    "platform",
    "use_case",
    "project",
    "status",
    "outcome",
)


class RollupFields(models.Model):
    """The dimensions and sums shared by rollups and the deltas waiting to be merged."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()
    provider = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=100, blank=True)
    use_case = models.CharField(max_length=100, blank=True)
    project = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=7, choices=Outcome.choices)
    livemode = models.BooleanField(default=True, help_text="False: test-key events.")

    events = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    uncached_input_tokens = models.PositiveBigIntegerField(default=0)
    total_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=28, decimal_places=12, default=0)
    priced_events = models.PositiveBigIntegerField(default=0)
    unpriced_events = models.PositiveBigIntegerField(default=0)
    latency_ms_sum = models.PositiveBigIntegerField(default=0)
    latency_count = models.PositiveBigIntegerField(default=0)
    success_count = models.PositiveBigIntegerField(default=0)
    quality_sum = models.FloatField(default=0)
    quality_count = models.PositiveBigIntegerField(default=0)
    energy_wh = models.DecimalField(max_digits=28, decimal_places=9, default=0)
    co2e_grams = models.DecimalField(max_digits=28, decimal_places=9, default=0)

    class Meta:
        abstract = True


class HourlyRollup(RollupFields):
    """Per organization, hour and dimension set: the sums every aggregate reads.

    Ingest appends `RollupDelta` rows in its own transaction; `rollups_merge` (a Celery task
    started after each ingest, and every few seconds by beat) folds them in here. Rebuildable
    from raw events with `manage.py rebuild_rollups`.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hour", *ROLLUP_DIMENSIONS], name="rollup_unique_dims"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.hour:%Y-%m-%d %H}h {self.provider}/{self.model}"


class DailyRollup(RollupFields):
    """The hourly rollups summed per UTC day (`hour` is the day's midnight).

    Long windows read these for their whole days and hourly rows only for the partial days
    at either end: a 180-day window of the bench's largest organization is about 5,000
    daily rows instead of 86,000 hourly ones. Kept by the same merge as the hourly rollups.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hour", *ROLLUP_DIMENSIONS], name="daily_rollup_unique_dims"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.hour:%Y-%m-%d} {self.provider}/{self.model}"


class RollupDelta(RollupFields):
    """Sums of one ingest batch, appended without locks, waiting to be merged into rollups.

    Ingest inserting straight into HourlyRollup made every concurrent batch of an
    organization wait on the same rows; appending here keeps ingest lock-free.
    """

    def __str__(self) -> str:
        return f"delta {self.pk} for {self.organization_id}"


class SetAsideDelta(RollupFields):
    """A rollup delta the merge could not add (a sum beyond a rollup column's range).

    One statement merges every organization's deltas; a delta that cannot be added would
    fail it, and retrying would stall every tenant's aggregates. The merge moves such a
    delta here instead, so the others keep flowing; it shows in admin and in the health
    checks. `manage.py rebuild_rollups --org` recomputes the organization from raw events
    and clears its set-aside deltas; admin's "merge again" puts them back in the queue.
    """

    delta_id = models.BigIntegerField(help_text="Its id while it was pending.")
    error = models.TextField()
    set_aside_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "set_aside_at"])]

    def __str__(self) -> str:
        return f"set-aside delta {self.delta_id} for {self.organization_id}"


# The explorer's dimensions of one value at a time (developer, customer, a metadata tag):
# kept in their own narrow rollups, not as columns of HourlyRollup, where 50 developers by
# 300 customers would multiply the rows every other read scans. See usage.dimensions.
DIMENSION_ROLLUP_DIMENSIONS = ("livemode", "dimension", "value", "provider", "model")


class DimensionRollupFields(models.Model):
    """Sums per organization, hour, explorer dimension and its (stored) value, model.

    `dimension` is "developer", "customer" or "tag:<metadata key>"; `value` is the stored
    form of usage.dimensions (`=` and the value, or `*` for the bucket of values beyond
    the organization's first N, shown as "Other"). `error_count` is kept here because
    these rows have no outcome dimension to count errors from.
    """

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()
    livemode = models.BooleanField(default=True)
    dimension = models.CharField(max_length=48)
    value = models.CharField(max_length=201)
    provider = models.CharField(max_length=64)
    model = models.CharField(max_length=200)

    events = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    uncached_input_tokens = models.PositiveBigIntegerField(default=0)
    total_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=28, decimal_places=12, default=0)
    priced_events = models.PositiveBigIntegerField(default=0)
    unpriced_events = models.PositiveBigIntegerField(default=0)
    latency_ms_sum = models.PositiveBigIntegerField(default=0)
    latency_count = models.PositiveBigIntegerField(default=0)
    success_count = models.PositiveBigIntegerField(default=0)
    quality_sum = models.FloatField(default=0)
    quality_count = models.PositiveBigIntegerField(default=0)
    energy_wh = models.DecimalField(max_digits=28, decimal_places=9, default=0)
    co2e_grams = models.DecimalField(max_digits=28, decimal_places=9, default=0)
    error_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


# Dimension before hour: a breakdown reads one dimension over a window.
DIMENSION_ROLLUP_KEY = [
    "organization",
    "dimension",
    "hour",
    "livemode",
    "value",
    "provider",
    "model",
]


class DimensionHourlyRollup(DimensionRollupFields):
    """Hourly sums per explorer dimension value; merged like HourlyRollup."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=DIMENSION_ROLLUP_KEY,
                name="dimension_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.hour:%Y-%m-%d %H}h {self.dimension}={self.value}"


class DimensionDailyRollup(DimensionRollupFields):
    """The hourly dimension rollups summed per UTC day, as DailyRollup is."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=DIMENSION_ROLLUP_KEY,
                name="dimension_daily_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.hour:%Y-%m-%d} {self.dimension}={self.value}"


class DimensionRollupDelta(DimensionRollupFields):
    """A batch's dimension sums waiting to be merged (as RollupDelta)."""

    def __str__(self) -> str:
        return f"dimension delta {self.pk} for {self.organization_id}"


class DimensionSetAsideDelta(DimensionRollupFields):
    """A dimension delta the merge could not add (as SetAsideDelta)."""

    delta_id = models.BigIntegerField(help_text="Its id while it was pending.")
    error = models.TextField()
    set_aside_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "set_aside_at"])]

    def __str__(self) -> str:
        return f"set-aside dimension delta {self.delta_id} for {self.organization_id}"


class DimensionValue(models.Model):
    """A value admitted as its own row of an explorer dimension (at most
    usage.dimensions.MAX_VALUES per organization and dimension; the rest are "Other")."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    dimension = models.CharField(max_length=48)
    value = models.CharField(max_length=200)
    admitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dimension", "value"], name="dimension_value_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.dimension}={self.value}"


class RequestPayload(models.Model):
    """The request and response bodies of one observed call, encrypted at rest.

    Kept apart from UsageEvent so the hot event table and every aggregate stay narrow, and
    so nothing that lists events can show a payload by accident. Written only while the
    organization has payload storage on; each column is a Fernet token
    (`tokentracker.crypto`), empty when that side was not sent.
    """

    event = models.OneToOneField(
        UsageEvent,
        on_delete=models.CASCADE,
        to_field="uuid",
        primary_key=True,
        related_name="payload",
    )
    input_ciphertext = models.TextField(blank=True)
    output_ciphertext = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"payload of {self.event_id}"


class Eval(models.Model):
    """One LLM-as-judge scoring run of a prompt group, optionally tied to the scored call."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Keyed by the event's uuid, the id every API shows, so reads need no join.
    event = models.ForeignKey(
        UsageEvent,
        on_delete=models.SET_NULL,
        to_field="uuid",
        null=True,
        blank=True,
        related_name="evals",
    )
    prompt_group_id = models.UUIDField()
    overall_score = models.FloatField(help_text="0-100.")
    scores = models.JSONField(default=dict, blank=True, help_text="Criterion → score (0-100).")
    reasoning = models.TextField(blank=True)
    judge_model = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at"], name="eval_org_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_score__gte=0) & Q(overall_score__lte=100),
                name="eval_overall_score_range",
            )
        ]

    def __str__(self) -> str:
        return f"eval {self.uuid} ({self.overall_score:g})"


class PendingTrack(models.Model):
    """An event `POST /api/v1/track` accepted (202) and a task has not yet written.

    Written in the request's transaction with the quota it consumed, so an accepted event
    exists durably before the client hears "queued"; the task turns it into a UsageEvent
    (idempotently, keyed by `event_id`) and deletes it. If the broker is down the request
    does that itself; beat sweeps up any row a lost task left behind.
    """

    event_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+"
    )
    api_key = models.ForeignKey(
        "tokentracker.ApiKey", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    event = models.JSONField(help_text="The event as the ingest service takes it.")
    energy_wh = models.DecimalField(max_digits=28, decimal_places=9)
    co2e_grams = models.DecimalField(max_digits=28, decimal_places=9)
    methodology_version = models.CharField(max_length=20)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.event_id


# Session summaries live in their own module (this one is at its size limit); imported
# here so Django registers them with the usage app.
from .sessions.models import SessionDelta, SessionSummary  # noqa: E402, F401
