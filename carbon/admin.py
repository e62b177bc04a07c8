from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tokentracker.admin_readonly import ReadOnlyAdmin

from . import services
from .models import CarbonFactor, GridIntensity, MethodologyVersion


@admin.register(CarbonFactor)
class CarbonFactorAdmin(admin.ModelAdmin):
    """Every save goes through `carbon_factor_save`, which records a new methodology version:
    events estimated before keep their numbers and the version they were stamped with."""

    list_display = [
        "provider",
        "model",
        "energy_wh_per_1k_output_tokens",
        "co2e_g_per_1k_output_tokens",
        "active_parameters_b",
        "total_parameters_b",
        "confidence",
        "methodology_version",
        "is_seeded",
    ]
    list_filter = ["confidence", "is_seeded", "provider"]
    search_fields = ["provider", "model", "source"]
    readonly_fields = ["methodology_version", "is_seeded", "edited_by", "updated_at"]
    fields = [
        "provider",
        "model",
        "energy_wh_per_1k_output_tokens",
        "co2e_g_per_1k_output_tokens",
        "active_parameters_b",
        "total_parameters_b",
        "confidence",
        "source",
        *readonly_fields,
    ]
    actions: list = []  # a bulk delete would skip the methodology bump

    def save_model(self, request: HttpRequest, obj: CarbonFactor, form: Any, change: bool) -> None:
        services.carbon_factor_save(factor=obj, edited_by=request.user)

    def delete_model(self, request: HttpRequest, obj: CarbonFactor) -> None:
        services.carbon_factor_delete(factor=obj)


@admin.register(GridIntensity)
class GridIntensityAdmin(admin.ModelAdmin):
    list_display = ["zone", "country_code", "name", "gco2e_per_kwh", "year", "source"]
    search_fields = ["zone", "country_code", "name"]
    ordering = ["gco2e_per_kwh"]
    readonly_fields = ["edited_by", "updated_at"]
    actions: list = []

    def save_model(self, request: HttpRequest, obj: GridIntensity, form: Any, change: bool) -> None:
        services.grid_intensity_save(grid=obj, edited_by=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # estimates for a zone fall back to the world mix; edit it instead


@admin.register(MethodologyVersion)
class MethodologyVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "ecologits_version", "reason", "created_at"]
