from django.contrib import admin
from django.http import HttpRequest

from tokentracker.admin_readonly import ReadOnlyAdmin
from usage.admin_money import money_column

from .models import (
    AlertDelivery,
    Budget,
    BudgetAlert,
    DeliveryAttempt,
    Expense,
    ManualCost,
    ProviderIntegration,
    Receipt,
    SyncRun,
    WebhookEndpoint,
)

# Plans sold through Stripe (issue 17): registered by billing.payments.admin.
from .payments import admin as payments_admin  # noqa: F401


@admin.register(ManualCost)
class ManualCostAdmin(admin.ModelAdmin):
    """Viewed and deleted here; created through `manual_cost_create` (the API), which
    converts the amount: a form here would store a cost without its conversion."""

    list_display = [
        "organization",
        "service",
        "year",
        "month",
        money_column("amount", currency_field="currency"),
        money_column("converted_amount", currency_field="converted_currency"),
        "category",
    ]
    list_filter = ["service", "year"]
    search_fields = ["organization__name", "category", "description"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Expense)
class ExpenseAdmin(admin.ModelAdmin):
    """Viewed and deleted here (deleting one deletes its receipt and the file); created,
    edited and confirmed through `billing.services.expenses` (the API, the Expenses page),
    which validate the fields, map the vendor to its service and convert the amount at the
    rate of its day: a form here would store an expense without its conversion."""

    list_display = [
        "vendor",
        "organization",
        "date",
        money_column("amount", currency_field="currency"),
        money_column("converted_amount", currency_field="converted_currency"),
        "service",
        "status",
        "source",
    ]
    list_filter = ["status", "source", "service"]
    search_fields = ["vendor"]
    list_select_related = ["organization"]
    date_hierarchy = "date"
    readonly_fields = ["converted_amount", "converted_currency", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Viewed here; created, edited and deleted by the organization's admins and owners
    through `billing.services.budgets` (the API, the Budgets page), which validate the scope
    against its field, check the API key is the organization's and record the reporting
    currency of the amount: a form here would skip all three. Deleting would also delete
    the budget's alerts, which stay read-only here."""

    list_display = [
        "name",
        "organization",
        "scope",
        money_column("amount", currency_field="currency"),
        "forecast_alert",
    ]
    list_filter = ["scope", "forecast_alert"]
    search_fields = ["name", "organization__name", "project", "developer_id"]
    list_select_related = ["organization"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyAdmin):
    """Read-only: an alert row is the record that a threshold fired for its month; deleting
    it would let it fire and be delivered again."""

    list_display = [
        "budget",
        "organization",
        "period",
        "kind",
        "threshold",
        money_column("spent", currency_field="currency"),
        money_column("budget_amount", currency_field="currency"),
        "fired_at",
    ]
    list_filter = ["kind", "period"]
    search_fields = ["budget__name", "organization__name"]
    list_select_related = ["budget", "organization"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Renamed, switched off or deleted here; the URL and the secret are never shown (a
    Slack URL is a credential) nor set here: `webhook_endpoint_create` (the API) validates
    the URL, makes the secret and encrypts both."""

    list_display = ["name", "organization", "kind", "url_shown", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "organization__name", "organization__slug"]
    fields = ["organization", "name", "kind", "url_shown", "active", "created_by", "created_at"]
    readonly_fields = ["organization", "kind", "url_shown", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "finished_at",
        "succeeded",
        "response_status",
        "error",
        "next_attempt_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log, read-only: every attempt is shown below its delivery."""

    list_display = [
        "id",
        "organization",
        "event_type",
        "channel",
        "target",
        "status",
        "attempts",
        "last_response_status",
        "created_at",
    ]
    list_filter = ["status", "channel", "event_type"]
    list_select_related = ["organization"]
    search_fields = ["organization__slug", "target", "message_id"]
    inlines = [DeliveryAttemptInline]


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    """What was uploaded and what OCR read, read-only: an upload goes through
    `receipt_upload` (its checks, its draft expense). Deleting one here deletes its file;
    its draft expense stays, to be completed by hand. The file itself is served to the
    organization's members only (the `receipt-file` page), not linked from here."""

    list_display = [
        "id",
        "organization",
        "status",
        "content_type",
        "pages",
        "size",
        "reading_seconds",
        "uploaded_at",
        "read_at",
    ]
    list_filter = ["status", "content_type"]
    list_select_related = ["organization"]
    search_fields = ["organization__slug", "original_name", "sha256", "text"]
    date_hierarchy = "uploaded_at"
    fields = [
        "organization",
        "expense",
        "status",
        "error",
        "stored_as",
        "original_name",
        "content_type",
        "size",
        "pages",
        "sha256",
        "fields",
        "text",
        "reading_seconds",
        "uploaded_by",
        "uploaded_at",
        "read_at",
    ]
    readonly_fields = fields

    @admin.display(description="Stored as (in RECEIPTS_ROOT)")
    def stored_as(self, receipt: Receipt) -> str:
        return receipt.file.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SyncRunInline(admin.TabularInline):
    model = SyncRun
    extra = 0
    can_delete = False
    fields = [
        "started_at",
        "finished_at",
        "trigger",
        "status",
        "usage_records",
        "cost_records",
        "message",
    ]
    readonly_fields = fields
    ordering = ["-started_at"]
    max_num = 0  # no empty row to add one

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ProviderIntegration)
class ProviderIntegrationAdmin(admin.ModelAdmin):
    """Connected admin keys and their syncs, read-only: the key itself is never shown (its
    last four only). Keys are connected and rotated by the organization's admins on the
    Integrations page; deleting one here disconnects it and keeps what was synced."""

    list_display = [
        "organization",
        "provider",
        "key_last_four",
        "status",
        "last_sync_at",
        "last_success_at",
        "costs_synced_until",
    ]
    list_filter = ["provider", "status"]
    list_select_related = ["organization"]
    search_fields = ["organization__slug", "organization__name"]
    fields = [
        "organization",
        "provider",
        "key_last_four",
        "status",
        "status_message",
        "last_sync_at",
        "last_success_at",
        "usage_synced_until",
        "costs_synced_until",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [SyncRunInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
