from django.contrib import admin
from django.http import HttpRequest

from .models import Budget, BudgetAlert, ManualCost


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


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """Viewed here; created, edited and deleted by the organization's admins and owners
    through `billing.services.budgets` (the API, the Budgets page), which validate the scope
    against its field, check the API key is the organization's and record the reporting
    currency of the amount: a form here would skip all three. Deleting would also delete
    the budget's alerts, which stay read-only here."""

    list_display = ["name", "organization", "scope", "amount", "currency", "forecast_alert"]
    list_filter = ["scope", "forecast_alert"]
    search_fields = ["name", "organization__name", "project", "developer_id"]
    list_select_related = ["organization"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BudgetAlert)
class BudgetAlertAdmin(admin.ModelAdmin):
    """Read-only: an alert row is the record that a threshold fired for its month; deleting
    it would let it fire and be delivered again."""

    list_display = [
        "budget",
        "organization",
        "period",
        "kind",
        "threshold",
        "spent",
        "budget_amount",
        "currency",
        "fired_at",
    ]
    list_filter = ["kind", "period"]
    search_fields = ["budget__name", "organization__name"]
    list_select_related = ["budget", "organization"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
