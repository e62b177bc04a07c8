"""`/api/v1/expenses`: money spent on a day with a vendor, typed in or read from a receipt
(list, add, one, edit or confirm, delete). Writes go through `billing.services.expenses`,
as CodingVibez's `POST /api/expenses` does; members write, viewers and read-only keys read.

A confirmed expense counts in costs, budgets and projections on its day, under its
vendor's service (one of the 13) or `other`; a draft counts nowhere until it is confirmed
(`PATCH` with `"confirm": true`). Deleting an expense deletes its receipt and the file.
"""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Expense, ExpenseSource, ExpenseStatus, Service
from billing.selectors.spend import OTHER_SERVICE
from billing.services.expenses import ExpenseInvalid, expense_delete
from tokentracker.api.base import NativeViewSet
from tokentracker.api.expenses import expense_create_from, expense_update_from
from tokentracker.api.pagination import CursorPagination
from tokentracker.permissions import HasApiKeyOrMember

TAGS = ["expenses"]
MONEY = {"max_digits": 28, "decimal_places": 12}
SERVICES = [*Service.choices, (OTHER_SERVICE, "Other: a vendor outside the 13 services")]


class ExpenseSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(
        **MONEY,
        read_only=True,
        allow_null=True,
        help_text="As entered, tax included; null only on a draft.",
    )
    currency = serializers.SerializerMethodField(
        help_text="ISO 4217, as entered; null only on a draft."
    )
    tax = serializers.DecimalField(
        **MONEY, read_only=True, allow_null=True, help_text="Within the amount."
    )
    converted_amount = serializers.DecimalField(
        **MONEY,
        read_only=True,
        allow_null=True,
        help_text=(
            "In `converted_currency` at the rate of `date`; null when no rate is known "
            "(unconverted, counted apart) and on a draft (not spend yet)."
        ),
    )
    converted_currency = serializers.SerializerMethodField(
        help_text="The reporting currency it was converted into; null on a draft."
    )
    service = serializers.SerializerMethodField(
        help_text="One of the 13 services when the vendor is one of them, else `other`: "
        "where the expense counts in costs and budgets."
    )
    receipt_id = serializers.SerializerMethodField(help_text="The receipt it was read from.")

    class Meta:
        model = Expense
        fields = [
            "id",
            "status",
            "source",
            "amount",
            "currency",
            "tax",
            "converted_amount",
            "converted_currency",
            "vendor",
            "service",
            "date",
            "category",
            "description",
            "receipt_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_currency(self, expense: Expense) -> str | None:
        return expense.currency or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_converted_currency(self, expense: Expense) -> str | None:
        return expense.converted_currency or None

    @extend_schema_field(serializers.ChoiceField(choices=SERVICES))
    def get_service(self, expense: Expense) -> str:
        return expense.service or OTHER_SERVICE

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_receipt_id(self, expense: Expense) -> int | None:
        receipt = getattr(expense, "receipt", None)  # a reverse one-to-one: absent is an error
        return receipt.pk if receipt is not None else None


class ExpenseCreateSerializer(serializers.Serializer):
    """What a client sends (for the schema: the service validates, naming the field)."""

    amount = serializers.DecimalField(**MONEY, min_value=0, help_text="Tax included.")
    currency = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="ISO 4217; default: the organization's reporting currency.",
    )
    vendor = serializers.CharField(max_length=200)
    date = serializers.DateField(help_text="The day it was spent (YYYY-MM-DD).")
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    tax = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, min_value=0, help_text="Not above the amount."
    )


class ExpenseEditSerializer(ExpenseCreateSerializer):
    """Every field optional: the ones sent change, the others are kept."""

    amount = serializers.DecimalField(**MONEY, min_value=0, required=False)
    vendor = serializers.CharField(max_length=200, required=False)
    date = serializers.DateField(required=False)
    confirm = serializers.BooleanField(
        required=False,
        help_text="true turns a draft into spend; it then needs an amount, a currency, a "
        "date and a vendor. false (the default) leaves the status as it is.",
    )


class ExpenseFilter(django_filters.FilterSet):
    start = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="First day (YYYY-MM-DD), included."
    )
    end = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="Last day (YYYY-MM-DD), included."
    )
    status = django_filters.ChoiceFilter(choices=ExpenseStatus.choices)
    source = django_filters.ChoiceFilter(choices=ExpenseSource.choices)
    service = django_filters.ChoiceFilter(choices=SERVICES, method="of_service")
    category = django_filters.CharFilter(
        lookup_expr="iexact", max_length=100, help_text="Exact, in any case."
    )
    search = django_filters.CharFilter(
        method="matching", max_length=200, help_text="In the vendor, category or description."
    )

    class Meta:
        model = Expense
        fields = ["start", "end", "status", "source", "service", "category", "search"]

    def of_service(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(service="" if value == OTHER_SERVICE else value)

    def matching(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(vendor__icontains=value)
            | Q(category__icontains=value)
            | Q(description__icontains=value)
        )


class ExpensePagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(description="A read-only key or a viewer"),
    404: OpenApiResponse(description="No expense by this id in your organization"),
    422: OpenApiResponse(description="Validation failed; details names the field"),
}


@extend_schema_view(
    list=extend_schema(summary="List expenses, newest added first", tags=TAGS),
    retrieve=extend_schema(summary="One expense", tags=TAGS),
    destroy=extend_schema(
        summary="Delete an expense, with its receipt and the receipt's file",
        responses={204: None, **{code: ERRORS[code] for code in (401, 403, 404)}},
        tags=TAGS,
    ),
)
class ExpenseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    NativeViewSet,
):
    queryset = Expense.objects.all()
    serializer_class = ExpenseSerializer
    filterset_class = ExpenseFilter
    pagination_class = ExpensePagination
    permission_classes = [HasApiKeyOrMember]
    viewer_write_refusal = "Viewers cannot add, edit or delete expenses."

    def scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("receipt")

    @staticmethod
    def _refused(error: ExpenseInvalid) -> serializers.ValidationError:
        return serializers.ValidationError({error.field: [error.message]})

    @extend_schema(
        summary="Add an expense",
        description=(
            "A confirmed expense, counted at once in costs, budgets and projections on its "
            "day. In any ISO 4217 currency: converted to the reporting currency at the rate "
            "of its day, or kept unconverted (`converted_amount` null) until that rate is "
            "loaded. Fields not listed are ignored."
        ),
        request=ExpenseCreateSerializer,
        responses={201: ExpenseSerializer, **{c: ERRORS[c] for c in (401, 403, 422)}},
        tags=TAGS,
    )
    def create(self, request: Request) -> Response:
        try:
            expense = expense_create_from(self)
        except ExpenseInvalid as error:
            raise self._refused(error) from None
        return Response(self.get_serializer(expense).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit or confirm an expense",
        description=(
            'Changes the fields sent and keeps the others; `"confirm": true` turns a draft '
            "into spend. A confirmed expense whose amount, currency or date changes is "
            "converted again (the rate of its day, into today's reporting currency); "
            "`currency: null` means the reporting currency."
        ),
        request=ExpenseEditSerializer,
        responses={200: ExpenseSerializer, **ERRORS},
        tags=TAGS,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        # The organization's expenses only: another organization's id is a 404.
        expense = self.get_object()
        try:
            updated = expense_update_from(self, expense.pk)
        except ExpenseInvalid as error:
            raise self._refused(error) from None
        if updated is None:  # deleted meanwhile
            raise NotFound()
        return Response(self.get_serializer(updated).data)

    def perform_destroy(self, instance: Any) -> None:
        expense_delete(organization_id=self.organization_id, expense_id=instance.pk)
