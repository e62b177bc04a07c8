"""Django admin of what Stripe sold (issue 17): each plan's prices as an inline of the Plan
admin, and read-only pages of billing accounts, invoices and webhook events. Imported by
`billing.admin`, which Django's admin discovers."""

import json

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html

from billing.models import BillingAccount, Invoice, PlanPrice, StripeEvent
from billing.services.stripe_events import stripe_events_retry
from tokentracker.admin import PlanAdmin as TenancyPlanAdmin
from tokentracker.admin_readonly import ReadOnlyAdmin
from tokentracker.currencies import CURRENCY_CODE_MESSAGE, currency_code
from tokentracker.models import Plan


class PlanPriceForm(ModelForm):
    def clean_currency(self) -> str:
        # Stored as Stripe writes it: lower case ("EUR" typed is kept as "eur").
        try:
            return currency_code(self.cleaned_data["currency"]).lower()
        except ValueError:
            raise ValidationError(CURRENCY_CODE_MESSAGE) from None


class PlanPriceInline(admin.TabularInline):
    """The Stripe prices that buy the plan: what checkout's `priceId` names. The amount is
    shown to buyers; Stripe charges what its price says, so keep the two the same."""

    model = PlanPrice
    form = PlanPriceForm
    extra = 0
    fields = ["stripe_price_id", "amount", "currency", "interval", "active"]


# Plans are tenancy's (tokentracker.admin); their prices are billing's, which tenancy may not
# import: billing adds the inline to tenancy's own Plan admin.
admin.site.unregister(Plan)


@admin.register(Plan)
class PlanAdmin(TenancyPlanAdmin):
    inlines = [*TenancyPlanAdmin.inlines, PlanPriceInline]


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    """Each organization's Stripe customer and subscription as Stripe's webhooks last told
    them, read-only: Stripe is the record (change a subscription in Stripe's dashboard; its
    webhook brings the change here)."""

    list_display = [
        "organization",
        "stripe_customer_id",
        "subscription_status",
        "subscribed_plan",
        "current_period_end",
        "cancel_at_period_end",
        "grace_ends_at",
    ]
    list_filter = ["subscription_status", "cancel_at_period_end"]
    list_select_related = ["organization", "subscribed_plan"]
    search_fields = [
        "organization__slug",
        "organization__name",
        "stripe_customer_id",
        "stripe_subscription_id",
    ]
    fields = [
        "organization",
        "stripe_customer_id",
        "stripe_subscription_id",
        "subscription_status",
        "subscribed_plan",
        "stripe_price_id",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "past_due_since",
        "grace_ends_at",
        "last_event_created",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Grace ends")
    def grace_ends_at(self, account: BillingAccount) -> object:
        return account.grace_ends_at


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """The invoices Stripe issued, as its webhooks reported them; read-only."""

    list_display = [
        "__str__",
        "organization",
        "status",
        "amount_due",
        "amount_paid",
        "currency",
        "issued_at",
    ]
    list_filter = ["status", "currency"]
    list_select_related = ["organization"]
    search_fields = ["organization__slug", "stripe_invoice_id", "number"]
    date_hierarchy = "issued_at"
    fields = [
        "organization",
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
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """Every webhook event Stripe sent, with what became of it; read-only. "Process again"
    takes up failed (or ignored, or stuck) events: processing applies what Stripe says now,
    so it is safe for any of them."""

    list_display = [
        "stripe_event_id",
        "event_type",
        "status",
        "organization",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["organization"]
    search_fields = ["stripe_event_id", "organization__slug"]
    date_hierarchy = "received_at"
    fields = [
        "stripe_event_id",
        "event_type",
        "status",
        "error",
        "organization",
        "attempts",
        "stripe_created",
        "received_at",
        "claimed_at",
        "processed_at",
        "payload_shown",
    ]
    readonly_fields = fields
    actions = ["process_again"]

    @admin.display(description="Payload")
    def payload_shown(self, event: StripeEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    def has_process_permission(self, request: HttpRequest) -> bool:
        # The change permission, which the page itself never uses: events are not edited.
        return request.user.has_perm("billing.change_stripeevent")

    @admin.action(description="Process the selected events again", permissions=["process"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        queued = stripe_events_retry(event_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - queued
        message = f"{queued} events queued to be processed again."
        if skipped:
            message += f" {skipped} processed or being processed were left as they are."
        self.message_user(request, message)
