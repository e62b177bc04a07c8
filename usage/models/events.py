"""Usage events as ingest stores them, with what hangs off them: idempotency receipts,
stored payloads, evals and the carbon-llm tracks waiting to be persisted."""

import uuid

from django.db import models
from django.db.models import Q

from carbon.models import CARBON

from .prices import ModelPrice

# Costs are USD; twelve decimal places hold one token at the cheapest price exactly enough.
COST = {"max_digits": 24, "decimal_places": 12, "null": True, "blank": True}


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
