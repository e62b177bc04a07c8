"""`/api/v1/budgets`: monthly budgets with this month's spend against them (list, create,
one, update, delete), and `/api/v1/alerts`: the alerts they fired (list, one).

Writes go through `billing.services.budgets`: admins and owners only. Signed in, that is
the member's role; with an API key (a write key), the role of the person who created the
key, as it is now, as CodingVibez's invitations do: a key acts for a person.
"""

from datetime import date
from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import AlertKind, Budget, BudgetAlert, BudgetScope, Service
from billing.selectors.budgets import BudgetStatus, budgets_status
from billing.services.budgets import (
    MAX_THRESHOLDS,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    UNTRACKED_PERCENT_MAX,
    UNTRACKED_PERCENT_MIN,
    budget_create,
    budget_delete,
    budget_update,
)
from tokentracker.api.base import NativeViewSet
from tokentracker.api.pagination import CursorPagination
from tokentracker.permissions import HasApiKeyOrMember

BUDGET_TAGS = ["budgets"]
ALERT_TAGS = ["alerts"]
# What a client may write; the rest is read-only.
WRITABLE = (
    "name",
    "scope",
    "amount",
    "thresholds",
    "forecast_alert",
    "untracked_alert_percent",
    "service",
    "project",
    "api_key_id",
    "developer_id",
)
# What PUT sets for a field left out (a whole replacement); name, scope and amount must be
# given.
PUT_DEFAULTS: dict[str, Any] = {
    "thresholds": [50, 80, 100],
    "forecast_alert": False,
    "untracked_alert_percent": None,
    "service": None,
    "project": None,
    "api_key_id": None,
    "developer_id": None,
}
MONEY = {"max_digits": 40, "decimal_places": 12}


class ProjectionSerializer(serializers.Serializer):
    estimate = serializers.DecimalField(**MONEY, help_text="Projected total of the month.")
    low = serializers.DecimalField(**MONEY, help_text="p10 of the projected total.")
    high = serializers.DecimalField(**MONEY, help_text="p90 of the projected total.")
    confidence = serializers.FloatField(help_text="0 to 1; low with little data.")
    trend = serializers.ChoiceField(choices=["increasing", "decreasing", "stable"])
    will_exceed = serializers.BooleanField(
        allow_null=True, help_text="The estimate is above the amount; null when it is unknown."
    )


class BudgetStatusSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The first day of the month counted (UTC).")
    currency = serializers.CharField(
        help_text="The organization's reporting currency: every figure here is in it."
    )
    amount = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text=(
            "The budget's amount in `currency`: converted at today's rate when it was set in "
            "another currency; null without a rate (see `problem`), and then nothing alerts."
        ),
    )
    spent = serializers.DecimalField(**MONEY, help_text="This month so far.")
    remaining = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="amount - spent; negative once over budget."
    )
    percent = serializers.DecimalField(
        max_digits=60, decimal_places=2, allow_null=True, help_text="spent / amount * 100."
    )
    unpriced_events = serializers.IntegerField(
        help_text="This month's events without a price: not in `spent`."
    )
    unconverted = serializers.DictField(
        child=serializers.DecimalField(**MONEY),
        help_text="Costs waiting for an exchange rate, per currency as sent: not in `spent`.",
    )
    problem = serializers.CharField(allow_null=True)
    projection = ProjectionSerializer()
    billed = serializers.DecimalField(
        **MONEY,
        help_text=(
            "What synced providers (OpenAI, Anthropic) billed this month on the days synced "
            "so far, for this scope (0 for project, API key and developer budgets)."
        ),
    )
    untracked = serializers.DecimalField(
        **MONEY,
        help_text=(
            "The part of `billed` no event of ours accounts for (already in `spent`: spend "
            "counts the larger of the bill and our events per provider and day)."
        ),
    )


def _status_data(status_: BudgetStatus) -> dict[str, Any]:
    projection = status_.projection
    return {
        "month": status_.month,
        "currency": status_.currency,
        "amount": status_.amount,
        "spent": status_.spent,
        "remaining": status_.remaining,
        "percent": status_.percent,
        "unpriced_events": status_.unpriced_events,
        "unconverted": status_.unconverted,
        "problem": status_.problem,
        "billed": status_.billed.billed,
        "untracked": status_.billed.untracked,
        "projection": {
            "estimate": projection.estimate,
            "low": projection.low,
            "high": projection.high,
            "confidence": projection.confidence,
            "trend": projection.trend,
            "will_exceed": status_.will_exceed,
        },
    }


class BudgetSerializer(serializers.ModelSerializer):
    """A budget and, read-only, this month's spend against it (`status`). The serializer
    is given the statuses (`statuses`, by budget id) in its context."""

    scope = serializers.ChoiceField(choices=BudgetScope.choices)
    amount = serializers.DecimalField(
        **MONEY, help_text="A month's amount in the organization's reporting currency; above 0."
    )
    currency = serializers.CharField(
        read_only=True,
        help_text="The reporting currency when the amount was set; converted if it changed.",
    )
    thresholds = serializers.ListField(
        child=serializers.IntegerField(min_value=THRESHOLD_MIN, max_value=THRESHOLD_MAX),
        max_length=MAX_THRESHOLDS,
        required=False,
        help_text="Percentages of the amount that alert once a month each; default 50, 80, 100.",
    )
    forecast_alert = serializers.BooleanField(
        required=False,
        help_text="Also alert once a month when the projection is confidently above the amount.",
    )
    service = serializers.ChoiceField(
        choices=Service.choices,
        allow_null=True,
        required=False,
        help_text="Scope `service` only: one of the 13 services (matched in any case).",
    )
    project = serializers.CharField(
        allow_null=True, required=False, max_length=200, help_text="Scope `project` only."
    )
    api_key_id = serializers.IntegerField(
        allow_null=True, required=False, help_text="Scope `api_key` only: one of your keys."
    )
    untracked_alert_percent = serializers.IntegerField(
        min_value=UNTRACKED_PERCENT_MIN,
        max_value=UNTRACKED_PERCENT_MAX,
        allow_null=True,
        required=False,
        help_text=(
            "Alert once a month when untracked spend (billed by a synced provider beyond our "
            "events) is over this percentage of the bill; null: off."
        ),
    )
    developer_id = serializers.CharField(
        allow_null=True, required=False, max_length=200, help_text="Scope `developer` only."
    )
    status = serializers.SerializerMethodField()

    class Meta:
        model = Budget
        fields = [
            "id",
            "name",
            "scope",
            "service",
            "project",
            "api_key_id",
            "developer_id",
            "amount",
            "currency",
            "thresholds",
            "forecast_alert",
            "untracked_alert_percent",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "currency", "created_at", "updated_at"]

    @extend_schema_field(BudgetStatusSerializer)
    def get_status(self, budget: Budget) -> dict[str, Any]:
        return BudgetStatusSerializer(_status_data(self.context["statuses"][budget.pk])).data

    def to_representation(self, budget: Budget) -> dict[str, Any]:
        data = super().to_representation(budget)
        for field in ("service", "project", "developer_id"):
            data[field] = data[field] or None  # not this budget's scope
        return data


class BudgetFilter(django_filters.FilterSet):
    class Meta:
        model = Budget
        fields = ["scope"]


class BudgetPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(
        description="A read-only key or viewer; or not an admin or owner (a key: its creator)"
    ),
    404: OpenApiResponse(description="No such budget in your organization"),
    422: OpenApiResponse(description="Validation failed; details names the field"),
}


@extend_schema_view(
    list=extend_schema(summary="List budgets with this month's spend", tags=BUDGET_TAGS),
    retrieve=extend_schema(summary="One budget with this month's spend", tags=BUDGET_TAGS),
    destroy=extend_schema(
        summary="Delete a budget and its alerts",
        responses={204: None, **{code: ERRORS[code] for code in (401, 403, 404)}},
        tags=BUDGET_TAGS,
    ),
)
class BudgetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    NativeViewSet,
):
    queryset = Budget.objects.all()
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    pagination_class = BudgetPagination
    permission_classes = [HasApiKeyOrMember]
    viewer_write_refusal = "Only admins and owners create, edit and delete budgets."
    writes = "budgets"

    def _serialized(self, budgets: list[Budget]) -> list[dict[str, Any]]:
        statuses = budgets_status(self.organization_id, now=timezone.now(), budgets=budgets)
        context = {
            **self.get_serializer_context(),
            "statuses": {status_.budget.pk: status_ for status_ in statuses},
        }
        return BudgetSerializer(budgets, many=True, context=context).data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None, "paginated"
        return self.get_paginated_response(self._serialized(page))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._serialized([self.get_object()])[0])

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        body = request.data if isinstance(request.data, dict) else {}
        return {field: body[field] for field in WRITABLE if field in body}

    @extend_schema(
        summary="Create a budget",
        description=(
            "A monthly amount in the organization's reporting currency for the whole "
            "organization (`scope` organization) or one service, project, API key or "
            "developer (`scope` and its field). Admins and owners only."
        ),
        responses={201: BudgetSerializer, **{c: ERRORS[c] for c in (401, 403, 422)}},
        tags=BUDGET_TAGS,
    )
    def create(self, request: Request) -> Response:
        writer = self.writer()
        budget = budget_create(
            organization_id=self.organization_id,
            actor=writer.membership,
            created_by_id=writer.user_id,
            **{"name": None, "scope": None, "amount": None} | self._body(request),
        )
        return Response(self._serialized([budget])[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a budget",
        description="Fields left out take their defaults (as on create).",
        responses={200: BudgetSerializer, **ERRORS},
        tags=BUDGET_TAGS,
    )
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        budget = self.get_object()
        writer = self.writer()
        given = self._body(request)
        if not partial:
            given = {"name": None, "scope": None, "amount": None} | PUT_DEFAULTS | given
        budget_update(budget=budget, actor=writer.membership, **given)
        return Response(self._serialized([budget])[0])

    @extend_schema(
        summary="Change some fields of a budget",
        description=(
            "Only the fields sent change. A new `scope` needs its field, and clears the old "
            "one. A new `amount` is in the current reporting currency."
        ),
        responses={200: BudgetSerializer, **ERRORS},
        tags=BUDGET_TAGS,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk, partial=True)

    def perform_destroy(self, instance: Budget) -> None:
        budget_delete(budget=instance, actor=self.writer().membership)


class BudgetAlertSerializer(serializers.ModelSerializer):
    budget_id = serializers.IntegerField(read_only=True)
    budget_name = serializers.CharField(source="budget.name", read_only=True)
    kind = serializers.ChoiceField(
        choices=AlertKind.choices,
        help_text="`threshold`: spend reached `threshold` percent; `forecast`: the projection "
        "is on course to exceed the amount (threshold 100); `untracked`: untracked spend is "
        "over `threshold` percent of what synced providers billed (`billed`, `untracked`).",
    )
    spent = serializers.DecimalField(**MONEY, help_text="The month's spend when it fired.")
    projected = serializers.DecimalField(**MONEY, allow_null=True)
    budget_amount = serializers.DecimalField(**MONEY)
    billed = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Untracked alerts: the month's bill when it fired."
    )
    untracked = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Untracked alerts: the bill's untracked part."
    )

    class Meta:
        model = BudgetAlert
        fields = [
            "id",
            "budget_id",
            "budget_name",
            "period",
            "kind",
            "threshold",
            "spent",
            "projected",
            "budget_amount",
            "billed",
            "untracked",
            "currency",
            "fired_at",
        ]
        read_only_fields = fields


class BudgetAlertFilter(django_filters.FilterSet):
    # A number, not a choice of budgets: another organization's budget id finds nothing
    # rather than telling that it exists.
    budget = django_filters.NumberFilter(
        field_name="budget_id", min_value=1, max_value=2**63 - 1, help_text="A budget's id."
    )
    period = django_filters.DateFilter(
        method="in_month", help_text="Any day of a month (YYYY-MM-DD): that month's alerts."
    )
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)

    class Meta:
        model = BudgetAlert
        fields = ["budget", "period", "kind"]

    def in_month(self, queryset: Any, name: str, value: date) -> Any:
        return queryset.filter(period=value.replace(day=1))


class BudgetAlertPagination(CursorPagination):
    ordering = ("-fired_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="List budget alerts, newest first", tags=ALERT_TAGS),
    retrieve=extend_schema(summary="One budget alert", tags=ALERT_TAGS),
)
class BudgetAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NativeViewSet):
    queryset = BudgetAlert.objects.all()
    serializer_class = BudgetAlertSerializer
    filterset_class = BudgetAlertFilter
    pagination_class = BudgetAlertPagination
    permission_classes = [HasApiKeyOrMember]

    def scoped_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("budget")
