from django.contrib import admin
from django.http import HttpRequest

from .models import ManualCost


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
