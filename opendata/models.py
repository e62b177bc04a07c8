"""Open data: cost-index baskets (configured in admin) and the materialised datasets.

The data API reads only these tables (and the price catalog, which is itself reference
data). `opendata.services` rebuilds them from the price history and the rollups.
"""

from django.core.exceptions import ValidationError
from django.db import models

# Published prices keep the catalog's precision (usage.models.PRICE).
INDEX_PRICE = {"max_digits": 20, "decimal_places": 10}


class CostIndexBasket(models.Model):
    """One version of a cost-index basket: which catalog models it holds, from which day.

    A basket key (`frontier`, `budget`) can have several versions; each day of the series
    uses the version with the latest `starts_on` on or before that day, so changing the
    basket never rewrites the history published under the previous version.
    """

    key = models.SlugField(max_length=32, help_text="The index key clients ask for: frontier.")
    version = models.CharField(max_length=16, help_text="Published as basket_version, e.g. v1.")
    starts_on = models.DateField(help_text="First day (UTC) this version of the basket is used.")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="basket_unique_version"),
            models.UniqueConstraint(fields=["key", "starts_on"], name="basket_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.version} (from {self.starts_on:%Y-%m-%d})"


class CostIndexConstituent(models.Model):
    """A catalog model (provider, model) in one basket version."""

    basket = models.ForeignKey(
        CostIndexBasket, on_delete=models.CASCADE, related_name="constituents"
    )
    provider = models.CharField(max_length=64)
    model = models.CharField(max_length=200)

    class Meta:
        ordering = ["provider", "model"]
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "provider", "model"], name="basket_constituent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"

    def clean(self) -> None:
        from usage.models import ModelPrice

        if not ModelPrice.objects.filter(provider=self.provider, model=self.model).exists():
            raise ValidationError(
                {"model": f"{self.provider}/{self.model} is not in the price catalog."}
            )


class CostIndexPoint(models.Model):
    """One day of one index, materialised by `cost_index_refresh`."""

    index_key = models.SlugField(max_length=32)
    date = models.DateField()
    basket_version = models.CharField(max_length=16)
    blended_per_mtok = models.DecimalField(**INDEX_PRICE)
    input_per_mtok = models.DecimalField(**INDEX_PRICE)
    output_per_mtok = models.DecimalField(**INDEX_PRICE)
    constituents = models.PositiveIntegerField()

    class Meta:
        ordering = ["date", "index_key"]
        constraints = [
            models.UniqueConstraint(fields=["index_key", "date"], name="cost_index_point_unique")
        ]
        indexes = [models.Index(fields=["date", "index_key"], name="cost_index_date")]

    def __str__(self) -> str:
        return f"{self.index_key} {self.date:%Y-%m-%d}: {self.blended_per_mtok}"


class CommunityDimension(models.TextChoices):
    TOTAL = "total", "Total"
    PROVIDER = "provider", "Provider"
    MODEL = "model", "Model"
    PLATFORM = "platform", "Platform"
    USE_CASE = "use_case", "Use case"


class CommunityDaily(models.Model):
    """One published community group: a day and a dimension value, with at least k
    contributing organizations behind it (smaller groups are never stored)."""

    date = models.DateField()
    dimension = models.CharField(max_length=10, choices=CommunityDimension.choices)
    dimension_value = models.CharField(max_length=200)
    events = models.PositiveBigIntegerField()
    tokens = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=28, decimal_places=6)
    contributors = models.PositiveIntegerField()
    success = models.PositiveBigIntegerField()
    quality_avg = models.FloatField(null=True, blank=True)
    latency_avg_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "community daily rows"
        ordering = ["date", "dimension", "dimension_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "dimension", "dimension_value"], name="community_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["dimension", "date"], name="community_dimension_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.dimension}={self.dimension_value}"


class DatasetRefresh(models.Model):
    """When a materialised dataset was last refreshed, and how many rows it holds."""

    dataset = models.CharField(max_length=32, unique=True)
    refreshed_at = models.DateTimeField()
    rows = models.PositiveIntegerField()
    published_through = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "Community: the last day (UTC) computed and published. Later refreshes append "
            "the days after it and never recompute it or anything before."
        ),
    )

    def __str__(self) -> str:
        return f"{self.dataset} at {self.refreshed_at:%Y-%m-%d %H:%M}"
