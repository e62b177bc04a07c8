from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tokentracker.admin_readonly import ReadOnlyAdmin

from . import services
from .models import (
    CommunityDaily,
    CostIndexBasket,
    CostIndexConstituent,
    CostIndexPoint,
    DatasetRefresh,
)


class CostIndexConstituentInline(admin.TabularInline):
    model = CostIndexConstituent
    extra = 1


@admin.register(CostIndexBasket)
class CostIndexBasketAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "starts_on", "description"]
    list_filter = ["key"]
    inlines = [CostIndexConstituentInline]
    actions = ["refresh_cost_index"]

    @admin.action(description="Recompute the cost index now")
    def refresh_cost_index(self, request: HttpRequest, queryset: QuerySet) -> None:
        rows = services.cost_index_refresh()
        self.message_user(request, f"Cost index recomputed: {rows} rows.", messages.SUCCESS)


# Materialised rows below: rebuilt by the refresh, never edited by hand.


@admin.register(CostIndexPoint)
class CostIndexPointAdmin(ReadOnlyAdmin):
    list_display = ["index_key", "date", "basket_version", "blended_per_mtok", "constituents"]
    list_filter = ["index_key", "basket_version"]
    date_hierarchy = "date"


@admin.register(CommunityDaily)
class CommunityDailyAdmin(ReadOnlyAdmin):
    list_display = ["date", "dimension", "dimension_value", "events", "cost", "contributors"]
    list_filter = ["dimension"]
    date_hierarchy = "date"


@admin.register(DatasetRefresh)
class DatasetRefreshAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "refreshed_at", "rows"]
