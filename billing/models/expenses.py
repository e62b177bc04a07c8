"""Expenses and the receipts they are read from (issue 15)."""

from django.conf import settings
from django.db import models

from tokentracker.currencies import currency_code_validate

from .costs import MONEY, Service, amount_text


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
        return f"{self.vendor or 'expense'} {self.date}: {amount_text(self.amount)} {self.currency}"


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
