"""The rollups: the main family (HourlyRollup, DailyRollup and the deltas waiting to be
merged into them) and the explorer's dimension family (developer, customer, tags), with
the sums both share. Kept and merged by usage.rollups."""

from django.db import models
from django.utils import timezone

from .events import Outcome


class RollupCounters(models.Model):
    """The sums every rollup row holds, main or dimension."""

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


class RollupFields(RollupCounters):
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


class DimensionRollupFields(RollupCounters):
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
