import uuid

from django.conf import settings
from django.db import models


def default_plan_daily_event_limit() -> int:
    return settings.DEFAULT_PLAN_DAILY_EVENT_LIMIT


def default_plan_hourly_request_limit() -> int:
    return settings.DEFAULT_PLAN_HOURLY_REQUEST_LIMIT


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
            "API requests an organization may make per hour on the rate-limited surfaces "
            "(Tokenwise's public API and observe)."
        ),
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
            "k organizations, to the published community dataset."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


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
