"""`/api/v1/manual-costs`: costs entered by hand per service and month (list, add, one,
edit, delete). Writes go through `billing.services.manual_costs`, as CodingVibez's
`POST /api/costs/manual` does."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import ManualCost, Service
from billing.services.manual_costs import ManualCostInvalid, manual_cost_delete
from tokentracker.api.base import NativeViewSet
from tokentracker.api.manual_costs import manual_cost_create_from, manual_cost_update_from
from tokentracker.api.pagination import CursorPagination

TAGS = ["manual-costs"]


class ManualCostSerializer(serializers.ModelSerializer):
    service = serializers.ChoiceField(
        choices=Service.choices, help_text="One of the 13 services (matched in any case)."
    )
    amount = serializers.DecimalField(max_digits=28, decimal_places=12, min_value=0)
    currency = serializers.CharField(
        required=False,
        help_text="ISO 4217 code; default: the organization's reporting currency.",
    )
    converted_amount = serializers.DecimalField(
        max_digits=28,
        decimal_places=12,
        read_only=True,
        allow_null=True,
        help_text=(
            "In `converted_currency` at the rate of the month's last day (today's for the "
            "current month); null when no rate is known: unconverted, counted apart."
        ),
    )

    class Meta:
        model = ManualCost
        fields = [
            "id",
            "service",
            "amount",
            "currency",
            "converted_amount",
            "converted_currency",
            "month",
            "year",
            "category",
            "description",
            "created_at",
        ]
        read_only_fields = ["id", "converted_currency", "created_at"]


class ManualCostFilter(django_filters.FilterSet):
    class Meta:
        model = ManualCost
        fields = ["service", "year", "month"]


class ManualCostPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="List manual costs", tags=TAGS),
    retrieve=extend_schema(summary="One manual cost", tags=TAGS),
    destroy=extend_schema(summary="Delete a manual cost", tags=TAGS),
)
class ManualCostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    NativeViewSet,
):
    queryset = ManualCost.objects.all()
    serializer_class = ManualCostSerializer
    filterset_class = ManualCostFilter
    pagination_class = ManualCostPagination

    @extend_schema(
        summary="Add a manual cost",
        description=(
            "A cost for one service and calendar month, in any ISO 4217 currency, converted "
            "to the organization's reporting currency."
        ),
        responses={
            201: ManualCostSerializer,
            401: OpenApiResponse(description="Invalid or missing API token"),
            403: OpenApiResponse(description="The API key is read-only"),
            422: OpenApiResponse(description="Validation failed; details names the field"),
        },
        tags=TAGS,
    )
    def create(self, request: Request) -> Response:
        try:
            cost = manual_cost_create_from(self)
        except ManualCostInvalid as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return Response(self.get_serializer(cost).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a manual cost",
        description=(
            "Changes the fields sent and keeps the others. A new amount, currency, month or "
            "year converts the cost again, at the rate of its month's last day (today's for "
            "the current month) into the reporting currency; `currency: null` means the "
            "reporting currency."
        ),
        responses={
            200: ManualCostSerializer,
            401: OpenApiResponse(description="Invalid or missing API token"),
            403: OpenApiResponse(description="The API key is read-only"),
            404: OpenApiResponse(description="No manual cost by this id in the organization"),
            422: OpenApiResponse(description="Validation failed; details names the field"),
        },
        tags=TAGS,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        # The organization's costs only: another organization's id is a 404, like a missing one.
        cost = self.get_object()
        try:
            updated = manual_cost_update_from(self, cost.pk)
        except ManualCostInvalid as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        if updated is None:  # deleted meanwhile
            raise NotFound()
        return Response(self.get_serializer(updated).data)

    def perform_destroy(self, instance: ManualCost) -> None:
        manual_cost_delete(organization_id=self.organization_id, manual_cost_id=instance.pk)
