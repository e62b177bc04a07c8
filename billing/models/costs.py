"""Money columns, the 13 services and manual costs (issue 14)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tokentracker.currencies import currency_code_validate

MONEY = {"max_digits": 28, "decimal_places": 12}


def amount_text(amount: Decimal | None) -> str:
    """An amount as a name shows it (admin's titles and confirmations): 150.25, not the
    stored 150.250000000000."""
    if amount is None:
        return "no amount"
    return f"{amount.normalize():f}"


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
        return (
            f"{self.service} {self.year}-{self.month:02d}: "
            f"{amount_text(self.amount)} {self.currency}"
        )
