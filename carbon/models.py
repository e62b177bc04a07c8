"""Carbon reference data an admin manages: factors per model, grid intensity per zone, and
the methodology version every estimate and stored event is stamped with."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .factors import Confidence as EstimateConfidence

# Grams and watt-hours per event: a small model's short answer is a few micrograms, so nine
# decimal places; Decimal like costs, so sums over millions of events do not drift. 28
# digits hold the largest call ingest accepts (10^12 output tokens of the largest model).
CARBON = {"max_digits": 28, "decimal_places": 9, "null": True, "blank": True}


class Confidence(models.TextChoices):
    MEASURED = EstimateConfidence.MEASURED, "Measured (the provider published a figure)"
    BENCHMARKED = EstimateConfidence.BENCHMARKED, "Benchmarked (open weights, known parameters)"
    ESTIMATED = EstimateConfidence.ESTIMATED, "Estimated"


class MethodologyVersion(models.Model):
    """One version of the carbon methodology. The newest row is in effect.

    A new version is recorded whenever a factor or grid intensity changes, or the installed
    ecologits release differs from the one the last version was computed with, so a stored
    number can always be traced to the inputs it was computed from.
    """

    version = models.CharField(max_length=20, unique=True, help_text="YYYY.MM.N")
    ecologits_version = models.CharField(max_length=20)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.version


class CarbonFactor(models.Model):
    """An admin's figure for a model (or a provider's default), overriding EcoLogits.

    Either a direct figure (energy and CO2e per 1k output tokens, e.g. one the provider
    published) or the model's parameter counts, which the estimator runs through EcoLogits'
    formulas like a model it knows. A blank model is the provider's default for models
    nobody knows; blank provider and model is the default of last resort.
    """

    provider = models.CharField(
        max_length=64, blank=True, help_text="Blank: any provider (match on model alone)."
    )
    model = models.CharField(
        max_length=200, blank=True, help_text="Blank: this provider's default for unknown models."
    )
    energy_wh_per_1k_output_tokens = models.DecimalField(
        **CARBON, help_text="Direct figure; wins over parameter counts when set."
    )
    co2e_g_per_1k_output_tokens = models.DecimalField(
        **CARBON,
        help_text="Direct figure; empty: the energy figure times the zone's grid intensity.",
    )
    active_parameters_b = models.DecimalField(
        max_digits=10, decimal_places=3, null=True, blank=True, help_text="Billions."
    )
    total_parameters_b = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Billions; equal to active for a dense model.",
    )
    confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.ESTIMATED
    )
    source = models.CharField(max_length=500, help_text="Citation: where the figure comes from.")
    methodology_version = models.CharField(
        max_length=20, blank=True, help_text="The version this factor entered the methodology."
    )
    is_seeded = models.BooleanField(
        default=False, editable=False, help_text="Computed from EcoLogits' data at install."
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model"], name="carbon_factor_unique"),
            models.CheckConstraint(
                condition=Q(energy_wh_per_1k_output_tokens__isnull=False)
                | Q(co2e_g_per_1k_output_tokens__isnull=False)
                | Q(active_parameters_b__isnull=False, total_parameters_b__isnull=False),
                name="carbon_factor_has_figure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider or '*'}/{self.model or '(default)'}"


class GridIntensity(models.Model):
    """Carbon intensity of one electricity zone (ISO 3166-1 alpha-3, or WOR for the world)."""

    zone = models.CharField(max_length=3, unique=True)
    country_code = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, as the API takes it."
    )
    name = models.CharField(max_length=100, blank=True)
    gco2e_per_kwh = models.DecimalField(max_digits=10, decimal_places=3)
    source = models.CharField(max_length=500)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["zone"]
        verbose_name_plural = "grid intensities"

    def __str__(self) -> str:
        return f"{self.zone}: {self.gco2e_per_kwh} gCO2e/kWh"
