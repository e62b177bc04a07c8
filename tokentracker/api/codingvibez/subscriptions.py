"""CodingVibez plan and billing reads: `GET /api/subscription-status` and
`GET /api/billing-history`.

Both translate `billing.selectors.subscriptions`: what TokenTracker knows of the
organization's Stripe subscription and invoices from Stripe's webhooks (no Stripe call), and
the plan in force with its quotas and today's use of them. They answer whether billing is
configured or not: the plan and its quotas are real either way, and without billing there
is simply no subscription and no invoice. Read by any key or member of the organization
(viewers and read-only keys included): what a plan allows is no secret inside it, and a
client checks it before it sends more.
"""

from datetime import date

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Invoice, SubscriptionStatus
from billing.selectors.subscriptions import (
    SubscriptionOverview,
    invoices_of,
    subscription_overview,
)
from tokentracker.api.base import CodingVibezView
from tokentracker.api.render import iso_or_none
from tokentracker.selectors import organization_of

from . import params
from .schemas import enveloped, errors
from .values import iso, money

TAGS = ["codingvibez"]
_STATUSES = ", ".join(SubscriptionStatus.values)


class CodingVibezPlan(BaseModel):
    slug: str = Field(examples=["pro"])
    name: str = Field(examples=["Pro"])


class CodingVibezSubscriptionPeriod(BaseModel):
    start: str = Field(description="ISO 8601, UTC.")
    end: str = Field(description="ISO 8601, UTC: when Stripe next charges, or ends it.")


class CodingVibezPerMinuteLimits(BaseModel):
    reads: int = Field(description="GET requests of this API per minute.")
    writes: int = Field(description="POST (and other write) requests per minute.")
    syncs: int = Field(description="/api/sync* requests per minute.")
    uploads: int = Field(description="/api/receipts/ocr uploads per minute.")


class CodingVibezQuotas(BaseModel):
    dailyEvents: int = Field(
        description="Events recorded per UTC day across every ingest path; beyond it ingest "
        "answers 429 until midnight UTC."
    )
    hourlyRequests: int = Field(
        description="Requests per hour to Tokenwise's public reads (/api/v1/public/*)."
    )
    perMinute: CodingVibezPerMinuteLimits = Field(
        description="This API's limits, each kind of request counted apart."
    )
    freeLiveEventsPerMonth: int | None = Field(
        description="Events live carbon-llm keys (isv_live_sk_) may track per UTC month "
        "before /api/v1/track answers 402; null: unlimited."
    )


class CodingVibezHourlyUse(BaseModel):
    surface: str = Field(examples=["Tokenwise"])
    requests: int | None = Field(
        description="Counted this hour; null when the counter cannot be read right now."
    )


class CodingVibezPlanUse(BaseModel):
    day: str = Field(description="The UTC day eventsToday counts (YYYY-MM-DD).")
    eventsToday: int = Field(description="Against quotas.dailyEvents.")
    month: str = Field(description="The UTC month liveEventsThisMonth counts (YYYY-MM).")
    liveEventsThisMonth: int = Field(description="Against quotas.freeLiveEventsPerMonth.")
    requestsThisHour: list[CodingVibezHourlyUse] = Field(
        description="Against quotas.hourlyRequests, per surface it limits. The per-minute "
        "counts are on every response of this API (X-RateLimit-*)."
    )


class CodingVibezSubscription(BaseModel):
    plan: CodingVibezPlan = Field(description="The plan in force now: its quotas apply.")
    status: str = Field(
        description=f"The Stripe subscription's status, one of {_STATUSES}; none: never "
        "subscribed. past_due keeps the paid plan until gracePeriodEndsAt; canceled, "
        "unpaid and incomplete_expired fall to the default plan."
    )
    currentPeriod: CodingVibezSubscriptionPeriod | None = Field(
        description="The period paid for; null without a subscription."
    )
    cancelAtPeriodEnd: bool = Field(
        description="Canceled, effective at currentPeriod.end: the plan stays until then."
    )
    gracePeriodEndsAt: str | None = Field(
        description="Past due only: when the plan falls to the default one unless a "
        "payment succeeds first."
    )
    quotas: CodingVibezQuotas
    usage: CodingVibezPlanUse
    billingEnabled: bool = Field(
        description="The operator has configured Stripe: plans can be bought (POST "
        "/api/checkout). False: the plan is set by the operator."
    )


class CodingVibezInvoice(BaseModel):
    id: str = Field(description="Stripe's invoice id.", examples=["in_1Q2w3E4r5T6y"])
    number: str | None = Field(description="Stripe's invoice number; null on a draft.")
    date: str = Field(description="When Stripe issued it, ISO 8601 UTC.")
    amount: float = Field(description="The amount due, in `currency`'s major unit (dollars).")
    amountPaid: float = Field(description="What has been paid of it.")
    currency: str = Field(description="ISO 4217, upper case.", examples=["USD"])
    status: str = Field(description="Stripe's: draft, open, paid, uncollectible or void.")
    periodStart: str | None
    periodEnd: str | None
    hostedInvoiceUrl: str | None = Field(description="Stripe's page to view and pay it.")
    invoicePdf: str | None = Field(description="Stripe's PDF of it.")


class CodingVibezInvoicePagination(BaseModel):
    limit: int
    offset: int
    total: int = Field(description="Invoices of the organization.")
    hasMore: bool = Field(description="More invoices after this page (offset + limit).")


class CodingVibezBillingHistory(BaseModel):
    invoices: list[CodingVibezInvoice] = Field(description="Newest first.")
    pagination: CodingVibezInvoicePagination


def _month(first_day: date) -> str:
    return f"{first_day:%Y-%m}"


def _subscription(overview: SubscriptionOverview) -> CodingVibezSubscription:
    plan = overview.plan
    usage = overview.usage
    start, end = overview.current_period_start, overview.current_period_end
    return CodingVibezSubscription(
        plan=CodingVibezPlan(slug=plan.slug, name=plan.name),
        status=overview.status,
        currentPeriod=(
            CodingVibezSubscriptionPeriod(start=iso(start), end=iso(end))
            if start is not None and end is not None
            else None
        ),
        cancelAtPeriodEnd=overview.cancel_at_period_end,
        gracePeriodEndsAt=iso_or_none(overview.grace_ends_at),
        quotas=CodingVibezQuotas(
            dailyEvents=plan.daily_event_limit,
            hourlyRequests=plan.hourly_request_limit,
            perMinute=CodingVibezPerMinuteLimits(
                reads=plan.reads_per_minute,
                writes=plan.writes_per_minute,
                syncs=plan.syncs_per_minute,
                uploads=plan.uploads_per_minute,
            ),
            freeLiveEventsPerMonth=plan.free_live_events_per_month,
        ),
        usage=CodingVibezPlanUse(
            day=usage.today.isoformat(),
            eventsToday=usage.events_today,
            month=_month(usage.month),
            liveEventsThisMonth=usage.live_events_this_month,
            requestsThisHour=[
                CodingVibezHourlyUse(surface=hour.surface, requests=hour.count)
                for hour in usage.hourly
            ],
        ),
        billingEnabled=overview.billing_enabled,
    )


def _invoice(invoice: Invoice) -> CodingVibezInvoice:
    return CodingVibezInvoice(
        id=invoice.stripe_invoice_id,
        number=invoice.number or None,
        date=iso(invoice.issued_at),
        amount=money(invoice.amount_due),
        amountPaid=money(invoice.amount_paid),
        currency=invoice.currency.upper(),
        status=invoice.status,
        periodStart=iso_or_none(invoice.period_start),
        periodEnd=iso_or_none(invoice.period_end),
        hostedInvoiceUrl=invoice.hosted_invoice_url or None,
        invoicePdf=invoice.invoice_pdf or None,
    )


class SubscriptionStatusView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_subscription_status",
        summary="The plan, its subscription and quota use (CodingVibez)",
        description=(
            "The plan the organization runs under, the state of its Stripe subscription as "
            "Stripe's webhooks last reported it, the plan's quotas and how much of them is "
            "used today and this month. Answers whether or not billing is configured "
            "(`billingEnabled`)."
        ),
        responses={200: enveloped(CodingVibezSubscription), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        overview = subscription_overview(
            organization=organization_of(self.organization_id), now=timezone.now()
        )
        return self.envelope(_subscription(overview).model_dump())


class BillingHistoryView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_billing_history",
        summary="Invoices Stripe issued the organization (CodingVibez)",
        description=(
            "Every invoice of the organization's subscription, newest first, with links to "
            "Stripe's page and PDF of it. Empty when nothing was ever bought. Paged with "
            "`limit` and `offset`."
        ),
        parameters=[
            OpenApiParameter("limit", int, description=f"1-{params.MAX_PAGE_SIZE}; default 100."),
            OpenApiParameter("offset", int, description="Invoices to skip; default 0."),
        ],
        responses={200: enveloped(CodingVibezBillingHistory), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        page = params.page(request)
        invoices = invoices_of(organization=organization_of(self.organization_id))
        total = invoices.count()
        rows = list(invoices[page.offset : page.offset + page.limit])
        body = CodingVibezBillingHistory(
            invoices=[_invoice(invoice) for invoice in rows],
            pagination=CodingVibezInvoicePagination(
                limit=page.limit,
                offset=page.offset,
                total=total,
                hasMore=page.offset + len(rows) < total,
            ),
        )
        return self.envelope(body.model_dump())
