import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ..currencies import DEFAULT_CURRENCY, currency_code_validate
from ..tag_keys import tag_keys_validate


def default_plan_daily_event_limit() -> int:
    return settings.DEFAULT_PLAN_DAILY_EVENT_LIMIT


def default_plan_hourly_request_limit() -> int:
    return settings.DEFAULT_PLAN_HOURLY_REQUEST_LIMIT


# CodingVibez's per-minute limits (seed 004 "Rate Limits"), one default per request category.
def default_plan_reads_per_minute() -> int:
    return settings.DEFAULT_PLAN_READS_PER_MINUTE


def default_plan_writes_per_minute() -> int:
    return settings.DEFAULT_PLAN_WRITES_PER_MINUTE


def default_plan_syncs_per_minute() -> int:
    return settings.DEFAULT_PLAN_SYNCS_PER_MINUTE


def default_plan_uploads_per_minute() -> int:
    return settings.DEFAULT_PLAN_UPLOADS_PER_MINUTE


class Plan(models.Model):
    """Quotas an organization runs under; admins edit them in Django admin."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    daily_event_limit = models.PositiveBigIntegerField(
        default=default_plan_daily_event_limit,
        help_text="Events an organization may record per UTC day across all ingest paths.",
    )
    hourly_request_limit = models.PositiveIntegerField(
        default=default_plan_hourly_request_limit,
        help_text=(
            "Requests an organization may make per hour to Tokenwise's public read API "
            "(/api/v1/public/*). Observe is not counted: ingest is held to the daily limit."
        ),
    )
    reads_per_minute = models.PositiveIntegerField(
        default=default_plan_reads_per_minute,
        help_text="CodingVibez API (/api/tokens, /api/team, ...): GET requests per minute.",
    )
    writes_per_minute = models.PositiveIntegerField(
        default=default_plan_writes_per_minute,
        help_text="CodingVibez API: POST (and other write) requests per minute.",
    )
    syncs_per_minute = models.PositiveIntegerField(
        default=default_plan_syncs_per_minute,
        help_text="CodingVibez API: provider sync requests (/api/sync*) per minute.",
    )
    uploads_per_minute = models.PositiveIntegerField(
        default=default_plan_uploads_per_minute,
        help_text="CodingVibez API: receipt uploads (/api/receipts/ocr) per minute.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Given to organizations created without an explicit plan."
    )
    free_live_events_per_month = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Events live carbon-llm keys (isv_live_sk_) may track per UTC calendar month before "
            "/api/v1/track answers 402. Empty: unlimited. Test keys never count."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="plan_single_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


# Raw events are kept at least a month: budgets of one API key or one developer count the
# month so far from raw events (billing.selectors.budgets), and the longest month is 31 days.
EVENT_RETENTION_MIN_DAYS = 31
EVENT_RETENTION_MAX_DAYS = 3650


class QualityScale(models.TextChoices):
    """What an organization's `quality_score`s are out of. Scores are "your scale" on every
    ingest path, so only the organization can say; the community dataset publishes one
    scale (0 to 1) and averages only scores whose scale is declared comparable."""

    UNSET = "", "Not set: left out of the community average"
    UNIT = "0-1", "0 to 1"
    PERCENT = "0-100", "0 to 100"
    OTHER = "other", "Another scale: not comparable, left out"


class Organization(models.Model):
    """The tenant. Tokenwise calls it a workspace."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="organizations")
    payload_storage_enabled = models.BooleanField(
        default=False,
        help_text=(
            "Keep request and response bodies sent to /api/v1/observe, encrypted at rest. "
            "Off: only counts, cost and status are stored."
        ),
    )
    community_data_opt_in = models.BooleanField(
        default=False,
        help_text=(
            "Contribute this organization's usage, anonymized and only in groups of at least "
            "k organizations, to the published community dataset: from the first whole UTC "
            "day after opting in, never earlier usage. Opting out stops later days; days "
            "already published stay published."
        ),
    )
    quality_scale = models.CharField(
        max_length=8,
        blank=True,
        default=QualityScale.UNSET,
        choices=QualityScale.choices,
        help_text=(
            "The scale of the quality scores you send. The community dataset publishes "
            "quality on 0 to 1 (scores out of 100 are divided by 100) and leaves out scores "
            "whose scale is not set or not comparable."
        ),
    )
    community_opted_in_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "When the community opt-in was last turned on (empty while off): only whole UTC "
            "days starting after it are contributed, never usage from before consent."
        ),
    )
    reporting_currency = models.CharField(
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[currency_code_validate],
        help_text=(
            "ISO 4217 code every cost is shown and summed in. Costs reported in another "
            "currency, and catalog prices (USD), are converted at the rate of their day; "
            "changing it converts every recorded event again."
        ),
    )
    tag_keys = models.JSONField(
        default=list,
        blank=True,
        validators=[tag_keys_validate],
        help_text=(
            "Up to five metadata keys whose values are dimensions of the rollups (the "
            'explorer\'s tag breakdowns and filters), e.g. ["region", "feature"]. A change '
            "rebuilds those rollups from the raw events kept, in the background."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Data lifecycle (README "Data retention", "Deleting an organization").
    event_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(EVENT_RETENTION_MIN_DAYS),
            MaxValueValidator(EVENT_RETENTION_MAX_DAYS),
        ],
        help_text=(
            f"Raw events older than this many days ({EVENT_RETENTION_MIN_DAYS} to "
            f"{EVENT_RETENTION_MAX_DAYS}) are deleted every night, with their stored payloads; "
            "the hourly and daily totals, and so every chart, cost, budget and the open data, "
            "stay. Empty: keep every event."
        ),
    )
    events_purged_before = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "Raw events before this hour were deleted by the retention setting: the totals of "
            "those hours are kept as they are and never rebuilt from events."
        ),
    )
    deletion_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="An owner asked to delete the organization; its data is being deleted.",
    )

    class Meta:
        constraints = [
            # Opted in exactly when there is a consent time: the community refresh counts
            # an organization from it, so an opt-in without one cannot slip through.
            models.CheckConstraint(
                condition=models.Q(community_data_opt_in=True, community_opted_in_at__isnull=False)
                | models.Q(community_data_opt_in=False, community_opted_in_at__isnull=True),
                name="organization_opt_in_has_consent_time",
            ),
            models.CheckConstraint(
                condition=models.Q(event_retention_days__isnull=True)
                | models.Q(
                    event_retention_days__gte=EVENT_RETENTION_MIN_DAYS,
                    event_retention_days__lte=EVENT_RETENTION_MAX_DAYS,
                ),
                name="organization_event_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Each role can do everything the roles below it can: viewer reads, member also creates
# API keys for themself, admin manages members, invitations, every key and settings, owner
# everything (including making and unmaking owners).
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    def is_at_least(self, role: str) -> bool:
        return role_at_least(self.role, role)

    @property
    def can_create_api_keys(self) -> bool:
        return self.is_at_least(Role.MEMBER)

    @property
    def can_manage_team(self) -> bool:
        """Members, invitations, every API key and the organization's settings."""
        return self.is_at_least(Role.ADMIN)

    def can_grant(self, role: str) -> bool:
        """Whether this member may give `role` to someone (or take it away): admins manage
        everyone below owner, only an owner makes or unmakes owners."""
        if role == Role.OWNER:
            return self.role == Role.OWNER
        return self.can_manage_team

    def can_manage_api_key(self, api_key: "ApiKey") -> bool:
        if self.can_manage_team:
            return True
        return self.can_create_api_keys and api_key.created_by_id == self.user_id


class Invitation(models.Model):
    """An invitation to join an organization, sent by email as a single-use link.

    Only a SHA-256 digest of the link's token is stored (like API keys), so a database
    leak does not hand out working invitations. Resending replaces the token and the
    expiry; accepting or revoking closes the invitation for good.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(help_text="Stored lower-case.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open invitation per address: inviting again refreshes it.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role})"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked; it may still have expired."""
        return self.accepted_at is None and self.revoked_at is None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def status(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired(now) else "pending"


class ApiKeyMode(models.TextChoices):
    TEST = "test", "Test"
    LIVE = "live", "Live"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiKey(models.Model):
    """An API key. Only a lookup prefix and a SHA-256 digest of the raw key are stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20, help_text="Key family, e.g. mtt_ or isv_live_sk_.")
    lookup = models.CharField(
        max_length=32, unique=True, help_text="The first characters of the key, for lookup."
    )
    digest = models.CharField(max_length=64)
    mode = models.CharField(max_length=4, choices=ApiKeyMode.choices, default=ApiKeyMode.LIVE)
    scope = models.CharField(max_length=5, choices=ApiKeyScope.choices, default=ApiKeyScope.WRITE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.lookup}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE


class MonthlyLiveEventCount(models.Model):
    """Events tracked with live carbon-llm keys per organization per UTC month (its first
    day): the counter the plan's free live quota is held to."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"], name="monthly_live_event_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} in {self.month:%Y-%m}: {self.events}"


class DailyEventCount(models.Model):
    """Events recorded per organization per UTC day: the counter the daily quota is held to."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="daily_event_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} on {self.day}: {self.events}"


class RateSource(models.TextChoices):
    ECB = "ecb", "ECB reference rates file"
    ADMIN = "admin", "Edited by an admin"


class ExchangeRate(models.Model):
    """How many units of `currency` one euro bought on `day`, as the ECB quotes its euro
    reference rates (published on TARGET working days only). Every conversion crosses
    through the euro; the euro itself is rate 1 and needs no row."""

    day = models.DateField()
    currency = models.CharField(max_length=3, validators=[currency_code_validate])
    rate = models.DecimalField(
        max_digits=20,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Units of the currency per 1 EUR.",
    )
    source = models.CharField(max_length=10, choices=RateSource.choices, default=RateSource.ADMIN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "currency"]
        constraints = [
            # Currency first: the rate book loads one currency's series at a time.
            models.UniqueConstraint(fields=["currency", "day"], name="exchange_rate_unique_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 EUR = {self.rate} {self.currency} on {self.day}"


# Defined in its own module, a model of this app all the same.
from .audit import AuditAction, AuditEntry  # noqa: E402, F401
from .profiles import DEFAULT_TIME_ZONE, UserProfile  # noqa: E402, F401
