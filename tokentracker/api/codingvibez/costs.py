"""CodingVibez costs: `GET /api/costs/{provider}`, `GET /api/costs/all` and
`POST /api/costs/manual` (a cost entered by hand for a service and month).

The reads translate `billing.selectors.costs` (spend of every source through `spend_by`:
API usage, manual costs and confirmed expenses); the write goes through
`billing.services.manual_costs`, the one write every door uses. A service is one of the 13
services, matched case-insensitively ("OpenAI"); another is a VALIDATION_ERROR (400), not a
404, except `other` on the reads: the expenses whose vendor is none of the 13, which
`/api/costs/all` lists under that name. `currency` is optional and defaults to the
organization's reporting currency.

Money follows the unpriced rule of every surface: a cost is the priced part, null when the
spend it sums has no amount at all (only unpriced events, or only costs with no exchange
rate); `unpricedRequests` and `unconverted` say what it leaves out. Spend with no model
(manual costs, expenses) is under `(no model)` in `breakdown`, so the breakdown adds up to
`currentMonth`.

A service whose provider's admin API is synced (OpenAI, Anthropic) answers with the
provider's bill: `currentMonth` and `previousMonth` count the larger of the bill and our
events per day (`billing.selectors.spend`'s max rule), `breakdown` splits each day by the
provider's cost lines where its bill is that day's spend (lines naming no model under
`(no model)`) and by our events' models where they are, `dataFreshness` and `lastUpdated`
are the last successful sync's, and `reconciliation` says what was billed, tracked,
untracked and over-reported on the month's synced days.
"""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import ManualCost, Service
from billing.selectors.costs import ServiceCosts, organization_costs, service_costs
from billing.selectors.reconciliation import reconciliation_totals
from billing.selectors.spend import Spend
from billing.services.manual_costs import ManualCostInvalid
from tokentracker.api.base import CodingVibezView
from tokentracker.api.manual_costs import manual_cost_create_from
from tokentracker.api.parsers import JSONParser
from tokentracker.api.render import iso_or_none, number_or_none

from . import params
from .bodies import Freshness, freshness_label
from .params import invalid
from .reads import FreshnessMixin
from .schemas import enveloped, errors
from .values import iso, money, money_or_none

TAGS = ["codingvibez"]


class CodingVibezManualCostBody(BaseModel):
    service: str = Field(description=f"One of {', '.join(Service.values)} (any case).")
    amount: float = Field(ge=0, examples=[50.0])
    month: int = Field(ge=1, le=12)
    year: int = Field(ge=2000, le=2100)
    currency: str | None = Field(
        default=None, description="ISO 4217; default: the organization's reporting currency."
    )
    category: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class CodingVibezManualCost(BaseModel):
    id: str
    service: str
    amount: float
    currency: str
    convertedAmount: float | None = Field(
        description="In `reportingCurrency`; null when no exchange rate is known (unconverted)."
    )
    reportingCurrency: str
    month: int
    year: int
    category: str
    description: str
    createdAt: str


def manual_cost_data(cost: ManualCost) -> dict:
    return CodingVibezManualCost(
        id=str(cost.pk),
        service=cost.service,
        amount=money(Decimal(cost.amount)),
        currency=cost.currency,
        convertedAmount=money_or_none(cost.converted_amount),
        reportingCurrency=cost.converted_currency,
        month=cost.month,
        year=cost.year,
        category=cost.category,
        description=cost.description,
        createdAt=iso(cost.created_at),
    ).model_dump()


class ManualCostView(CodingVibezView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="codingvibez_costs_manual",
        summary="Add a manual cost (CodingVibez)",
        description=(
            "A cost for one service and calendar month, in any ISO 4217 currency: converted "
            "to the organization's reporting currency at the rate of the month's last day "
            "(today's for the current month); `convertedAmount` is null when no rate is "
            "known, and the cost is then shown apart as unconverted."
        ),
        request=CodingVibezManualCostBody,
        examples=[
            OpenApiExample(
                "Monthly subscription",
                value={
                    "service": "OpenAI",
                    "amount": 50.00,
                    "month": 1,
                    "year": 2026,
                    "category": "API Calls",
                    "description": "Monthly subscription",
                },
                request_only=True,
            )
        ],
        responses={200: enveloped(CodingVibezManualCost), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        try:
            cost = manual_cost_create_from(self)
        except ManualCostInvalid as error:
            raise invalid(error.field, error.message) from None
        # The seed lists 200 as its only success status (no 201).
        return self.envelope(manual_cost_data(cost))


# --- Reads ------------------------------------------------------------------------------

NO_MODEL = "(no model)"
_NULL_COST = (
    "The priced part, in `currency`; null when every part of it is unpriced or unconverted "
    "(never 0 for spend that could not be valued)."
)
_UNCONVERTED = (
    "Manual costs with no exchange rate to `currency` for their month, and expenses with "
    "none for their day, per original currency: not in any cost. (API events with no rate "
    "are counted in unpricedRequests.)"
)
_UNPRICED = (
    "API requests with no cost in `currency` (a model with no known price, or an amount "
    "with no exchange rate): not in any cost."
)
MONTH_PARAMETERS = [
    OpenApiParameter("month", int, description="1-12; default: the current UTC month."),
    OpenApiParameter("year", int, description="2000-2100; default: the current UTC year."),
]


class CodingVibezServiceTokens(BaseModel):
    inputTokens: int = Field(description="The whole prompt: uncached, cache-read, cache-write.")
    outputTokens: int = Field(description="Output tokens, reasoning included.")
    cachedTokens: int = Field(description="Cache-read tokens: a part of inputTokens.")
    totalTokens: int = Field(description="inputTokens + outputTokens.")
    requests: int


class CodingVibezReconciliation(BaseModel):
    billed: float = Field(
        description="What the provider billed on the month's synced days, in `currency`."
    )
    tracked: float = Field(description="What our events of the service cost on those days.")
    untracked: float = Field(
        description="billed - tracked per day where positive, added up: usage no integration "
        "of yours reported. Counted in currentMonth."
    )
    overReported: float = Field(
        description="tracked - billed per day where positive, added up (not counted twice: "
        "currentMonth holds the larger side of each day)."
    )
    unconverted: dict[str, float] = Field(
        description="Cost lines with no exchange rate to `currency`, per currency: their days "
        "are not compared."
    )
    syncedDays: int = Field(description="Days of the month up to today the bill covers.")
    notSyncedDays: int = Field(
        description="Days of the month up to today not synced yet: never counted as 0 billed."
    )
    lastSync: str | None = Field(description="The last successful sync (ISO 8601).")


class CodingVibezProviderCosts(BaseModel):
    service: str = Field(description="One of the 13 services, lower case, or other.")
    month: int
    year: int
    currency: str = Field(description="The organization's reporting currency (ISO 4217).")
    currentMonth: float | None = Field(description=_NULL_COST)
    previousMonth: float | None = Field(description="The month before; " + _NULL_COST)
    breakdown: dict[str, float | None] = Field(
        description=(
            "Cost per model, costliest first; spend with no model (manual costs, expenses, "
            "a synced provider's cost lines that name no model) under "
            f"`{NO_MODEL}`. The non-null values add up to currentMonth."
        )
    )
    unpricedRequests: int = Field(description=_UNPRICED)
    unconverted: dict[str, float] = Field(description=_UNCONVERTED)
    tokenUsage: CodingVibezServiceTokens = Field(
        description="The service's API usage in the month (its providers' rollups)."
    )
    lastUpdated: str | None = Field(
        description="The organization's latest event; for a synced provider, its last "
        "successful sync."
    )
    dataFreshness: Freshness = Field(
        description="fresh < 15 min since lastUpdated, stale 15-60, very_stale beyond, "
        "no_data without it."
    )
    reconciliation: CodingVibezReconciliation | None = Field(
        description="The provider's bill against our events; null when it is not synced."
    )


class CodingVibezCostComparison(BaseModel):
    previousMonth: float | None = Field(description="The month before's total; " + _NULL_COST)
    changePercent: float | None = Field(
        description="(total - previousMonth) / previousMonth x 100, to two places; null when "
        "the month before has no priced spend (nothing to compare with)."
    )


class CodingVibezAllCosts(BaseModel):
    month: int
    year: int
    currency: str = Field(description="The organization's reporting currency (ISO 4217).")
    total: float | None = Field(description=_NULL_COST)
    byProvider: dict[str, float | None] = Field(
        description=(
            "Cost per service with spend in the month, costliest first: the 13 services, "
            "a provider outside them under its own name, and `other`: expenses whose vendor "
            "is none of the 13. The non-null values add up to total."
        )
    )
    unpricedRequests: int = Field(description=_UNPRICED)
    unconverted: dict[str, float] = Field(description=_UNCONVERTED)
    comparison: CodingVibezCostComparison


def _cost(spend: Spend) -> float | None:
    return money_or_none(spend.priced_amount)


def _unconverted(spend: Spend) -> dict[str, float]:
    return {currency: money(amount) for currency, amount in sorted(spend.unconverted.items())}


def _reconciliation(costs: ServiceCosts) -> CodingVibezReconciliation | None:
    if not costs.reconciled:
        return None
    totals = reconciliation_totals(costs.reconciled)
    unconverted: dict[str, Decimal] = {}
    for provider in costs.reconciled:
        for currency, amount in provider.unconverted.items():
            unconverted[currency] = unconverted.get(currency, Decimal(0)) + amount
    return CodingVibezReconciliation(
        billed=money(totals["billed"]),
        tracked=money(totals["tracked"]),
        untracked=money(totals["untracked"]),
        overReported=money(totals["over_reported"]),
        unconverted={code: money(amount) for code, amount in sorted(unconverted.items())},
        # Several providers of one service share the month's days: the fewest synced.
        syncedDays=min(provider.synced_days for provider in costs.reconciled),
        notSyncedDays=max(provider.not_synced_days for provider in costs.reconciled),
        lastSync=iso_or_none(costs.last_sync),
    )


class ProviderCostsView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_costs_provider",
        summary="One service's costs in a month (CodingVibez)",
        description=(
            "API usage, manual costs and confirmed expenses of one of the 13 services in a "
            "UTC calendar month and the month before, by model, with the month's tokens. A "
            "manual cost counts in its own month, an expense on its day. `other` is the "
            "expenses whose vendor is none of the 13; any other service is a "
            "VALIDATION_ERROR (400). When the provider's admin API is synced (OpenAI, "
            "Anthropic), each day counts the larger of its bill and our events, the "
            "breakdown follows the provider's cost lines on the days its bill counts, "
            "freshness is the last sync's, and `reconciliation` compares the two."
        ),
        parameters=[
            OpenApiParameter(
                "provider",
                str,
                OpenApiParameter.PATH,
                enum=list(params.COST_SERVICES),
                description="One of the 13 services in any case, or other.",
            ),
            *MONTH_PARAMETERS,
        ],
        responses={200: enveloped(CodingVibezProviderCosts), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request, provider: str) -> Response:
        service = params.cost_service(provider)
        month = params.calendar_month(request)
        costs = service_costs(organization_id=self.organization_id, service=service, month=month)
        if costs.reconciled:
            # The money is the provider's bill: as fresh as its last successful sync.
            latest = costs.last_sync
            label = freshness_label(latest, timezone.now())
        else:
            latest, label = self.freshness()
        tokens = costs.tokens
        body = CodingVibezProviderCosts(
            service=service,
            month=month.month,
            year=month.year,
            currency=costs.currency,
            currentMonth=_cost(costs.current),
            previousMonth=_cost(costs.previous),
            breakdown={spend.model or NO_MODEL: _cost(spend) for spend in costs.by_model},
            unpricedRequests=costs.current.unpriced_events,
            unconverted=_unconverted(costs.current),
            tokenUsage=CodingVibezServiceTokens(
                inputTokens=tokens.prompt_tokens,
                outputTokens=tokens.output_tokens,
                cachedTokens=tokens.cache_read_tokens,
                totalTokens=tokens.total_tokens,
                requests=tokens.events,
            ),
            lastUpdated=iso_or_none(latest),
            dataFreshness=label,
            reconciliation=_reconciliation(costs),
        )
        return self.envelope(body.model_dump())


class AllCostsView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_costs_all",
        summary="Every service's costs in a month (CodingVibez)",
        description=(
            "API usage, manual costs and confirmed expenses of every service in a UTC "
            "calendar month, their total, and the total of the month before."
        ),
        parameters=MONTH_PARAMETERS,
        responses={200: enveloped(CodingVibezAllCosts), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        month = params.calendar_month(request)
        costs = organization_costs(organization_id=self.organization_id, month=month)
        body = CodingVibezAllCosts(
            month=month.month,
            year=month.year,
            currency=costs.currency,
            total=_cost(costs.total),
            byProvider={spend.service or "": _cost(spend) for spend in costs.by_service},
            unpricedRequests=costs.total.unpriced_events,
            unconverted=_unconverted(costs.total),
            comparison=CodingVibezCostComparison(
                previousMonth=_cost(costs.previous),
                changePercent=number_or_none(costs.change_percent, 2),
            ),
        )
        return self.envelope(body.model_dump())
