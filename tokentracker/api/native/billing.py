"""`GET /api/v1/billing/subscription` and `GET /api/v1/billing/invoices`: the plan in force
with its quotas and their use, the Stripe subscription's state, and the invoices Stripe
issued, as `billing.selectors.subscriptions` reads them (from what Stripe's webhooks
reported: no Stripe call). Read-only; any key or member of the organization. Both answer
when billing is not configured: the plan is real, there is no subscription or invoice."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Invoice, SubscriptionStatus
from billing.selectors.subscriptions import (
    SubscriptionOverview,
    invoices_of,
    subscription_overview,
)
from tokentracker.api.base import NativeViewSet
from tokentracker.api.pagination import CursorPagination
from tokentracker.permissions import HasApiKeyOrMember
from tokentracker.selectors import organization_of

from .reconciliation import OneObjectSchema

TAGS = ["billing"]
MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_PAGE_SIZE = 500
UNAUTHORIZED = {401: OpenApiResponse(description="Invalid or missing API token")}


class BillingPlanSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class BillingQuotasSerializer(serializers.Serializer):
    daily_event_limit = serializers.IntegerField(
        help_text="Events recorded per UTC day across every ingest path; beyond it ingest "
        "answers 429 until midnight UTC."
    )
    hourly_request_limit = serializers.IntegerField(
        help_text="Requests per hour to Tokenwise's public reads (/api/v1/public/*)."
    )
    reads_per_minute = serializers.IntegerField(help_text="CodingVibez API GET requests.")
    writes_per_minute = serializers.IntegerField(help_text="CodingVibez API writes.")
    syncs_per_minute = serializers.IntegerField(help_text="CodingVibez /api/sync* requests.")
    uploads_per_minute = serializers.IntegerField(help_text="CodingVibez receipt uploads.")
    free_live_events_per_month = serializers.IntegerField(
        allow_null=True,
        help_text="Live carbon-llm events (isv_live_sk_ keys) per UTC month before "
        "/api/v1/track answers 402; null: unlimited.",
    )


class BillingHourlyUseSerializer(serializers.Serializer):
    surface = serializers.CharField()
    requests = serializers.IntegerField(
        allow_null=True, help_text="Counted this hour; null when the counter cannot be read."
    )


class BillingPlanUseSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The UTC day events_today counts.")
    events_today = serializers.IntegerField(help_text="Against daily_event_limit.")
    month = serializers.DateField(help_text="The first day of the UTC month counted.")
    live_events_this_month = serializers.IntegerField(
        help_text="Against free_live_events_per_month."
    )
    requests_this_hour = BillingHourlyUseSerializer(
        many=True, help_text="Against hourly_request_limit, per surface it limits."
    )


class BillingSubscriptionSerializer(serializers.Serializer):
    plan = BillingPlanSerializer(help_text="The plan in force now: its quotas apply.")
    status = serializers.ChoiceField(
        choices=SubscriptionStatus.choices,
        help_text="The Stripe subscription's status; none: never subscribed. past_due keeps "
        "the paid plan until grace_ends_at; canceled, unpaid and incomplete_expired fall to "
        "the default plan.",
    )
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(
        allow_null=True, help_text="When Stripe next charges, or ends the subscription."
    )
    cancel_at_period_end = serializers.BooleanField(
        help_text="Canceled, effective at current_period_end: the plan stays until then."
    )
    grace_ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Past due only: when the plan falls to the default one unless a payment "
        "succeeds first.",
    )
    has_customer = serializers.BooleanField(
        help_text="A Stripe customer exists: the customer portal can be opened."
    )
    billing_enabled = serializers.BooleanField(
        help_text="The operator has configured Stripe: plans can be bought."
    )
    quotas = BillingQuotasSerializer()
    usage = BillingPlanUseSerializer()


class InvoiceSerializer(serializers.ModelSerializer):
    amount_due = serializers.DecimalField(
        **MONEY, help_text="In the currency's major unit (dollars, not cents)."
    )
    amount_paid = serializers.DecimalField(**MONEY)
    currency = serializers.SerializerMethodField(help_text="ISO 4217, upper case.")
    status = serializers.CharField(help_text="Stripe's: draft, open, paid, uncollectible, void.")
    number = serializers.SerializerMethodField(help_text="null on a draft.")
    hosted_invoice_url = serializers.SerializerMethodField(
        help_text="Stripe's page to view and pay it."
    )
    invoice_pdf = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "stripe_invoice_id",
            "number",
            "status",
            "amount_due",
            "amount_paid",
            "currency",
            "issued_at",
            "period_start",
            "period_end",
            "hosted_invoice_url",
            "invoice_pdf",
        ]
        read_only_fields = fields

    def get_currency(self, invoice: Invoice) -> str:
        return invoice.currency.upper()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_number(self, invoice: Invoice) -> str | None:
        return invoice.number or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_hosted_invoice_url(self, invoice: Invoice) -> str | None:
        return invoice.hosted_invoice_url or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_invoice_pdf(self, invoice: Invoice) -> str | None:
        return invoice.invoice_pdf or None


def _subscription(overview: SubscriptionOverview) -> dict[str, Any]:
    plan = overview.plan
    usage = overview.usage
    return {
        "plan": {"slug": plan.slug, "name": plan.name},
        "status": overview.status,
        "current_period_start": overview.current_period_start,
        "current_period_end": overview.current_period_end,
        "cancel_at_period_end": overview.cancel_at_period_end,
        "grace_ends_at": overview.grace_ends_at,
        "has_customer": overview.has_customer,
        "billing_enabled": overview.billing_enabled,
        "quotas": {
            "daily_event_limit": plan.daily_event_limit,
            "hourly_request_limit": plan.hourly_request_limit,
            "reads_per_minute": plan.reads_per_minute,
            "writes_per_minute": plan.writes_per_minute,
            "syncs_per_minute": plan.syncs_per_minute,
            "uploads_per_minute": plan.uploads_per_minute,
            "free_live_events_per_month": plan.free_live_events_per_month,
        },
        "usage": {
            "day": usage.today,
            "events_today": usage.events_today,
            "month": usage.month,
            "live_events_this_month": usage.live_events_this_month,
            "requests_this_hour": [
                {"surface": hour.surface, "requests": hour.count} for hour in usage.hourly
            ],
        },
    }


class BillingSubscriptionViewSet(NativeViewSet):
    # What the answer is about; the view reads it through the subscription selector only.
    queryset = Invoice.objects.all()
    permission_classes = [HasApiKeyOrMember]
    schema = OneObjectSchema()

    @extend_schema(
        operation_id="billing_subscription",
        summary="The plan, its Stripe subscription and quota use",
        description=(
            "The plan the organization runs under, the state of its Stripe subscription as "
            "Stripe's webhooks last reported it, and the plan's quotas with how much of them "
            "is used today and this month. Answers whether or not billing is configured."
        ),
        responses={200: BillingSubscriptionSerializer, **UNAUTHORIZED},
        tags=TAGS,
    )
    def list(self, request: Request) -> Response:
        overview = subscription_overview(
            organization=organization_of(self.organization_id), now=timezone.now()
        )
        return Response(BillingSubscriptionSerializer(_subscription(overview)).data)


class InvoicePagination(CursorPagination):
    ordering = ("-issued_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Invoices per page, 1-{MAX_PAGE_SIZE}; default 50."

    def get_page_size(self, request: Request) -> int:
        # DRF falls back to the default page for a limit it cannot read; a client that
        # asked for 0 or "ten" is told so instead of getting a page it did not ask for.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE):
            raise serializers.ValidationError(
                {"limit": [f"must be a whole number from 1 to {MAX_PAGE_SIZE}"]}
            )
        return super().get_page_size(request)


class InvoiceViewSet(NativeViewSet):
    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    pagination_class = InvoicePagination
    permission_classes = [HasApiKeyOrMember]

    @extend_schema(
        operation_id="billing_invoices_list",
        summary="Invoices Stripe issued the organization, newest first",
        description=(
            "Every invoice of the organization's subscription as Stripe's webhooks reported "
            "it, with links to Stripe's page and PDF of it. Empty when nothing was bought."
        ),
        responses={
            200: InvoiceSerializer(many=True),
            **UNAUTHORIZED,
            404: OpenApiResponse(description="Invalid cursor"),
            422: OpenApiResponse(description="A bad limit; details names it"),
        },
        tags=TAGS,
    )
    def list(self, request: Request) -> Response:
        invoices = invoices_of(organization=organization_of(self.organization_id))
        page = self.paginate_queryset(invoices)
        assert page is not None, "paginated"
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
