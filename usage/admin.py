from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from .admin_events import ProviderFilter, events_search
from .admin_money import money_column
from .models import (
    DimensionSetAsideDelta,
    Eval,
    ModelAlias,
    ModelPrice,
    PendingTrack,
    SetAsideDelta,
    UsageEvent,
)
from .paging import CappedCountPaginator
from .rollups import DIMENSIONS, MAIN, set_aside_requeue
from .services import prices
from .services.prices import PRICE_FIELDS
from .tasks import rollups_merge_soon


class ModelPriceForm(ModelForm):
    class Meta:
        model = ModelPrice
        fields = [
            "provider",
            "model",
            "display_name",
            *PRICE_FIELDS,
            "context_window",
            "max_output",
            "modality",
            "tier_class",
            "effective_from",
            "is_active",
        ]
        help_texts = {
            "effective_from": (
                "Changing a price keeps history: the current version ends and a new one starts "
                "at this moment (leave it unchanged to start now)."
            )
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk and any(name in self.changed_data for name in PRICE_FIELDS):
            problem = prices.price_revision_problem(
                price=ModelPrice.objects.get(pk=self.instance.pk),
                effective_from=cleaned.get("effective_from")
                if "effective_from" in self.changed_data
                else None,
            )
            if problem:
                raise ValidationError({"effective_from": problem})
        return cleaned


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    form = ModelPriceForm
    list_display = [
        "provider",
        "model",
        "input_per_mtok",
        "output_per_mtok",
        "cache_read_per_mtok",
        "cache_write_per_mtok",
        "tier_class",
        "effective_from",
        "effective_to",
        "is_active",
        "source",
    ]
    list_filter = ["provider", "is_active", "tier_class", "source", "modality"]
    search_fields = ["provider", "model", "display_name"]
    readonly_fields = ["effective_to", "source", "edited_by", "created_at", "updated_at"]
    list_per_page = 50

    def save_model(self, request: HttpRequest, obj: ModelPrice, form: Any, change: bool) -> None:
        if not change:
            obj.source = "admin"
            obj.edited_by = request.user
            super().save_model(request, obj, form, change)
            return
        original = ModelPrice.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        start = changes.pop("effective_from", None)
        revised = prices.price_revise(
            price=original, changes=changes, effective_from=start, edited_by=request.user
        )
        if revised.pk != original.pk:
            self.message_user(
                request,
                f"Saved as a new price version from {revised.effective_from:%Y-%m-%d %H:%M} UTC; "
                "events already recorded keep their cost.",
                messages.INFO,
            )
        obj.pk = revised.pk

    def has_delete_permission(self, request: HttpRequest, obj: ModelPrice | None = None) -> bool:
        # Events reference the version that priced them; retire a model with is_active.
        return False


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    list_display = ["provider", "alias", "model", "source"]
    list_filter = ["provider", "source"]
    search_fields = ["alias", "model"]


@admin.register(UsageEvent)
class UsageEventAdmin(admin.ModelAdmin):
    """Read-only, and cheap on a 10M-event table: see `usage.admin_events`."""

    list_display = [
        "occurred_at",
        "organization",
        "provider",
        "model",
        "total_tokens",
        money_column("total_cost", currency_field="currency"),
        "cost_source",
        "outcome",
        "project",
    ]
    list_filter = ["organization", ProviderFilter, "cost_source", "outcome"]
    # Declared for the search box; the search itself is events_search (indexed or rollups).
    search_fields = ["uuid", "model", "project"]
    search_help_text = "An event's UUID, or the start of a model or project name."
    list_select_related = ["organization"]
    # Newest first by when it happened (a late or backfilled batch has recent ids and old
    # times), one walk down the event_time index; id breaks ties.
    ordering = ["-occurred_at", "-id"]
    date_hierarchy = "occurred_at"
    paginator = CappedCountPaginator
    show_full_result_count = False  # COUNT(*) over millions of events on every page is slow

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return events_search(queryset, search_term), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UsageEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: UsageEvent | None = None) -> bool:
        return False


@admin.register(Eval)
class EvalAdmin(admin.ModelAdmin):
    # RequestPayload is deliberately not registered: payloads are customer content, shown
    # decrypted only to the workspace's own key through /api/v1/public/requests.
    list_display = ["created_at", "organization", "judge_model", "overall_score", "event"]
    list_filter = ["judge_model", "created_at"]
    search_fields = ["uuid", "prompt_group_id", "judge_model", "organization__slug"]
    list_select_related = ["organization", "event"]

    # Results are recorded through the API, which validates them; admins only look.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Eval | None = None) -> bool:
        return False


@admin.register(SetAsideDelta)
class SetAsideDeltaAdmin(admin.ModelAdmin):
    """Rollup sums the merge could not add; every other organization's kept flowing.

    Usually the organization's rollups hold a wrong sum: `manage.py rebuild_rollups --org`
    recomputes them from raw events and clears these. "Merge again" retries them as they are.
    """

    list_display = ["organization", "hour", "provider", "model", "events", "set_aside_at", "error"]
    list_filter = ["set_aside_at"]
    list_select_related = ["organization"]
    search_fields = ["organization__slug", "model"]
    ordering = ["-set_aside_at"]
    actions = ["merge_again"]
    family = MAIN

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Merge the selected deltas again")
    def merge_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        requeued = set_aside_requeue(ids=queryset.values_list("id", flat=True), family=self.family)
        rollups_merge_soon()
        self.message_user(request, f"{requeued} deltas queued for the next merge.")


@admin.register(DimensionSetAsideDelta)
class DimensionSetAsideDeltaAdmin(SetAsideDeltaAdmin):
    """Developer, customer or tag sums the merge could not add (usage.dimensions); as
    above, `rebuild_rollups --org` recounts them from raw events, or merge them again."""

    list_display = [
        "organization",
        "hour",
        "dimension",
        "value",
        "model",
        "events",
        "set_aside_at",
        "error",
    ]
    search_fields = ["organization__slug", "dimension", "model"]
    family = DIMENSIONS


@admin.register(PendingTrack)
class PendingTrackAdmin(admin.ModelAdmin):
    """carbon-llm track calls accepted and not yet written (a task or beat's sweep will)."""

    list_display = ["event_id", "organization", "received_at", "co2e_grams"]
    list_select_related = ["organization"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
