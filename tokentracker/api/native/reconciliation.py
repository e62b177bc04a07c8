"""`GET /api/v1/reconciliation`: what each synced provider billed against what the
organization's own events account for, per UTC day and per model, over a period
(`billing.selectors.reconciliation`). Read-only; any key or member of the organization."""

from datetime import UTC, date, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import IntegrationStatus, ProviderIntegration, SyncedProvider
from billing.selectors.reconciliation import (
    ProviderReconciliation,
    ReconciledDay,
    ReconciledModel,
    TokenCounts,
    reconciliation,
    reconciliation_totals,
)
from tokentracker.api.base import NativeViewSet
from tokentracker.money import reporting_currency_of
from tokentracker.permissions import HasApiKeyOrMember

TAGS = ["reconciliation"]
MONEY = {"max_digits": 40, "decimal_places": 12}
# A year of days at most: the answer lists every day of the period.
MAX_DAYS = 366
_NOT_JUDGED = "null when the day is not synced or has a line with no exchange rate."


def _month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


class ReconciliationQuery(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First UTC day (YYYY-MM-DD); default: the current month's."
    )
    end = serializers.DateField(
        required=False,
        help_text=f"Last UTC day, included; default: the current month's. At most {MAX_DAYS} "
        "days after start.",
    )
    provider = serializers.ChoiceField(
        choices=SyncedProvider.choices, required=False, help_text="One provider only."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = _month_of(timezone.now().astimezone(UTC).date())
        start, end = attrs.get("start", first), attrs.get("end", last)
        if "start" in attrs and "end" not in attrs:
            end = min(start + timedelta(days=MAX_DAYS - 1), _month_of(start)[1])
        if "end" in attrs and "start" not in attrs:
            start = _month_of(end)[0]
        if end < start:
            raise serializers.ValidationError({"end": ["must be on or after start"]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"end": [f"must be at most {MAX_DAYS} days after start"]}
            )
        return {**attrs, "start": start, "end": end}


class TokenCountsSerializer(serializers.Serializer):
    input_tokens = serializers.IntegerField(help_text="Uncached input.")
    cache_read_tokens = serializers.IntegerField()
    cache_write_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    requests = serializers.IntegerField()


class ReconciledDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    synced = serializers.BooleanField(
        help_text="The provider's cost report covers the day; false: not synced yet (or "
        "before its first billed day), never '0 billed'."
    )
    billed = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Converted cost lines; null when not synced."
    )
    tracked = serializers.DecimalField(**MONEY, help_text="Our priced events of the provider.")
    untracked = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="billed - tracked when positive; " + _NOT_JUDGED
    )
    over_reported = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="tracked - billed when positive; " + _NOT_JUDGED
    )
    unconverted = serializers.DictField(
        child=serializers.DecimalField(**MONEY),
        help_text="Lines with no exchange rate, per currency as billed.",
    )
    unpriced_events = serializers.IntegerField()


class ReconciledModelSerializer(serializers.Serializer):
    model = serializers.CharField(
        allow_null=True, help_text="null: the cost lines that name no model."
    )
    billed = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="null: no cost line names the model."
    )
    tracked = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="null: no priced event of the model."
    )
    untracked = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Where both sides have the model; else null."
    )
    over_reported = serializers.DecimalField(**MONEY, allow_null=True)
    unconverted = serializers.DictField(child=serializers.DecimalField(**MONEY))
    reported_tokens = TokenCountsSerializer(
        allow_null=True, help_text="The provider's usage report; null: not in it."
    )
    tracked_tokens = TokenCountsSerializer(allow_null=True)


class ProviderReconciliationSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=SyncedProvider.choices)
    status = serializers.ChoiceField(choices=IntegrationStatus.choices)
    last_sync_at = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    costs_synced_until = serializers.DateTimeField(
        allow_null=True, help_text="The days before this one's are synced."
    )
    billed = serializers.DecimalField(**MONEY, help_text="Over the judged days.")
    tracked = serializers.DecimalField(**MONEY, help_text="Over the judged days.")
    untracked = serializers.DecimalField(**MONEY)
    over_reported = serializers.DecimalField(**MONEY)
    unconverted = serializers.DictField(child=serializers.DecimalField(**MONEY))
    unpriced_events = serializers.IntegerField()
    synced_days = serializers.IntegerField()
    not_synced_days = serializers.IntegerField()
    days = ReconciledDaySerializer(many=True, help_text="Every day of the period up to today.")
    models = ReconciledModelSerializer(many=True, help_text="Over the synced days.")
    reported_tokens = TokenCountsSerializer(help_text="Over the days the usage report covers.")
    tracked_tokens = TokenCountsSerializer()


class ReconciliationTotalsSerializer(serializers.Serializer):
    billed = serializers.DecimalField(**MONEY)
    tracked = serializers.DecimalField(**MONEY)
    untracked = serializers.DecimalField(**MONEY)
    over_reported = serializers.DecimalField(**MONEY)


class ReconciliationSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField(help_text="The organization's reporting currency.")
    totals = ReconciliationTotalsSerializer(help_text="Every provider listed, together.")
    providers = ProviderReconciliationSerializer(
        many=True, help_text="Each connected provider; empty when none is."
    )


def _tokens(counts: TokenCounts | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {
        "input_tokens": counts.input_tokens,
        "cache_read_tokens": counts.cache_read_tokens,
        "cache_write_tokens": counts.cache_write_tokens,
        "output_tokens": counts.output_tokens,
        "total_tokens": counts.total_tokens,
        "requests": counts.requests,
    }


def _day(day: ReconciledDay) -> dict[str, Any]:
    return {
        "day": day.day,
        "synced": day.synced,
        "billed": day.billed,
        "tracked": day.tracked,
        "untracked": day.untracked,
        "over_reported": day.over_reported,
        "unconverted": day.unconverted,
        "unpriced_events": day.unpriced_events,
    }


def _model(model: ReconciledModel) -> dict[str, Any]:
    return {
        "model": model.model,
        "billed": model.billed,
        "tracked": model.tracked,
        "untracked": model.untracked,
        "over_reported": model.over_reported,
        "unconverted": model.unconverted,
        "reported_tokens": _tokens(model.reported_tokens),
        "tracked_tokens": _tokens(model.tracked_tokens),
    }


def _provider(provider: ProviderReconciliation) -> dict[str, Any]:
    return {
        "provider": provider.provider,
        "status": provider.status,
        "last_sync_at": provider.last_sync_at,
        "last_success_at": provider.last_success_at,
        "costs_synced_until": provider.costs_synced_until,
        "billed": provider.billed,
        "tracked": provider.tracked,
        "untracked": provider.untracked,
        "over_reported": provider.over_reported,
        "unconverted": provider.unconverted,
        "unpriced_events": provider.unpriced_events,
        "synced_days": provider.synced_days,
        "not_synced_days": provider.not_synced_days,
        "days": [_day(day) for day in provider.days],
        "models": [_model(model) for model in provider.models],
        "reported_tokens": _tokens(provider.reported_tokens),
        "tracked_tokens": _tokens(provider.tracked_tokens),
    }


class OneObjectSchema(AutoSchema):
    """drf-spectacular describes every `list` action as an array; this one answers one
    object (the period's reconciliation)."""

    def _is_list_view(self, serializer: object = None) -> bool:
        return False


class ReconciliationViewSet(NativeViewSet):
    # What the answer is about; the view reads it through the reconciliation selector only.
    queryset = ProviderIntegration.objects.all()
    permission_classes = [HasApiKeyOrMember]
    schema = OneObjectSchema()

    @extend_schema(
        operation_id="reconciliation",
        summary="Provider bills against our events, per day and model",
        description=(
            "For each provider whose admin API is synced (OpenAI, Anthropic): what it billed "
            "(converted to the reporting currency), what the organization's own events of it "
            "cost, and the difference: untracked (billed beyond the events) and over-reported "
            "(events beyond the bill), per UTC day and per model, with the tokens of its usage "
            "report against the events'. A day the sync has not covered is not synced, never "
            "0 billed; totals add the judged days only (synced, every line converted). Spend, "
            "budgets and projections count the larger of the two per day."
        ),
        parameters=[ReconciliationQuery],
        responses={
            200: ReconciliationSerializer,
            401: OpenApiResponse(description="Invalid or missing API token"),
            422: OpenApiResponse(description="A bad parameter; details names it"),
        },
        tags=TAGS,
    )
    def list(self, request: Request) -> Response:
        query = ReconciliationQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        provider = params.get("provider")
        reconciled = reconciliation(
            organization_id=self.organization_id,
            start=params["start"],
            end=params["end"],
            providers=[provider] if provider else None,
        )
        body = {
            "start": params["start"],
            "end": params["end"],
            "currency": reporting_currency_of(self.organization_id),
            "totals": reconciliation_totals(reconciled),
            "providers": [_provider(item) for item in reconciled],
        }
        return Response(ReconciliationSerializer(body).data)
