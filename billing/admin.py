from django.contrib import admin
from django.http import HttpRequest

from .models import AlertDelivery, DeliveryAttempt, ManualCost, WebhookEndpoint


@admin.register(ManualCost)
class ManualCostAdmin(admin.ModelAdmin):
    """Viewed and deleted here; created through `manual_cost_create` (the API), which
    converts the amount: a form here would store a cost without its conversion."""

    list_display = [
        "organization",
        "service",
        "year",
        "month",
        "amount",
        "currency",
        "converted_amount",
        "converted_currency",
        "category",
    ]
    list_filter = ["service", "year"]
    search_fields = ["organization__name", "category", "description"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
class AlertDeliveryAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
