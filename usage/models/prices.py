"""The price catalog: model prices (versioned by effective dates) and model aliases."""

from django.conf import settings
from django.db import models
from django.db.models import Q

# Prices are USD per million tokens. Ten decimal places keep every genai-prices figure that
# matters (the smallest real prices are around $0.0000375/Mtok).
PRICE = {"max_digits": 20, "decimal_places": 10, "null": True, "blank": True}


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
