from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import ApiKey, DailyEventCount, Membership, Organization, Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "daily_event_limit", "hourly_request_limit", "is_default"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "lookup", "mode", "scope", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Keys are created by `create_api_key` or the dashboard, which show the raw key once.
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "payload_storage_enabled", "created_at"]
    list_filter = ["plan", "payload_storage_enabled"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline, ApiKeyInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "lookup", "mode", "scope", "last_used_at", "revoked_at"]
    list_filter = ["mode", "scope", "prefix"]
    search_fields = ["name", "lookup", "organization__slug"]
    readonly_fields = [
        "lookup",
        "digest",
        "prefix",
        "mode",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Revoke instead: events keep pointing at the key that sent them.
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(DailyEventCount)
class DailyEventCountAdmin(admin.ModelAdmin):
    list_display = ["organization", "day", "events"]
    list_filter = ["day"]
    search_fields = ["organization__slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
