"""CodingVibez `GET /api/tokens/stats` and `GET /api/projections`: spend this month against
the budget that applies, and projected to the month's end.

Every amount is in the organization's reporting currency (`currency` says which). Spend
counts every source (API usage and manual costs); what cannot be valued stays out of the
amounts and is shown beside them: `unpricedRequests` (events with no price) and
`unconverted` (costs with no exchange rate, per currency, as entered). An amount none of
whose spend could be valued is null, never 0. Projections are billing.projections' method
(a weekday pattern and a damped trend, with a p10-p90 range; see the README's Projections
section).
"""

from datetime import datetime
from typing import Literal

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import BudgetScope, Service
from billing.projections import Projection
from billing.selectors.budgets import ScopeMonth, SpendScope, scope_month
from billing.selectors.overview import budget_applying
from billing.selectors.spend import providers_of_service
from tokentracker.api.base import CodingVibezView
from tokentracker.money import reporting_currency_of
from usage.selectors.dashboard import month_start, months_later
from usage.selectors.usage import UsageScope, usage_totals

from . import params
from .schemas import enveloped, errors
from .values import (
    cost_of,
    money,
    money_or_none,
    money_unless_unvalued,
    month_label,
    unconverted_money,
)

TAGS = ["codingvibez"]

UNPRICED = (
    "This month's requests with no cost in the reporting currency (a model with no known "
    "price, or an amount with no exchange rate): not in the amounts."
)
UNCONVERTED = (
    "This month's costs with no exchange rate to the reporting currency, per currency as "
    "entered: not in the amounts."
)
Trend = Literal["increasing", "decreasing", "stable"]


class CodingVibezStatsBudget(BaseModel):
    id: str | None = Field(description="The budget applied; null when there is none.")
    name: str | None
    scope: Literal["service", "organization"] | None = Field(
        description="`service`: the provider's own budget; `organization`: no budget of its "
        "own, so the organization's (then `used` is the whole organization's spend)."
    )
    limit: float | None = Field(
        description="Its monthly amount; null with no budget, or when it was set in another "
        "currency and no exchange rate is known (`problem` says so)."
    )
    used: float | None = Field(
        description="This month's spend counted against the budget (every source); with no "
        "budget, the month's spend of the provider (or the organization). Null when none "
        "of it could be valued."
    )
    remaining: float | None = Field(description="limit - used (negative once over); null.")
    unconverted: dict[str, float] = Field(description=UNCONVERTED)
    problem: str | None


class CodingVibezStatsProjections(BaseModel):
    endOfMonth: float | None = Field(
        description="The provider's (or organization's) projected spend for the whole "
        "month; null when none of this month's spend could be valued."
    )
    trend: Trend = Field(description="Of the daily spend, weekday pattern taken out.")
    low: float | None = Field(description="p10 of the month's total.")
    high: float | None = Field(description="p90 of the month's total.")
    confidence: float = Field(description="0..1: low with little history or a wide range.")


class CodingVibezStatsUsage(BaseModel):
    totalTokens: int = Field(description="This month's input + output tokens.")
    totalCost: float | None = Field(
        description="This month's API usage cost (priced requests; manual costs are in "
        "`budget.used`); null when every request is unpriced."
    )
    requests: int
    unpricedRequests: int = Field(description=UNPRICED)


class CodingVibezStats(BaseModel):
    provider: str | None = Field(description="As asked (lower case); null: every provider.")
    currency: str = Field(description="The organization's reporting currency (ISO 4217).")
    month: str = Field(description="The current UTC month (YYYY-MM).")
    budget: CodingVibezStatsBudget
    projections: CodingVibezStatsProjections
    usage: CodingVibezStatsUsage


class CodingVibezEndOfMonth(BaseModel):
    estimatedCost: float | None = Field(
        description="The organization's projected spend for the whole month; null when "
        "none of this month's spend could be valued."
    )
    confidence: float = Field(
        description="0..1: (1 - (high - low) / estimatedCost) x min(1, history days / 28)."
    )
    low: float | None = Field(description="p10 of the month's total.")
    high: float | None = Field(description="p90 of the month's total.")
    spent: float | None = Field(description="The month so far.")
    trend: Trend
    historyDays: int = Field(description="Whole days of history the projection learned from.")
    unpricedRequests: int = Field(description=UNPRICED)
    unconverted: dict[str, float] = Field(description=UNCONVERTED)


class CodingVibezBudgetImpact(BaseModel):
    willExceedBudget: bool | None = Field(
        description="estimatedCost above the organization's budget; null when there is no "
        "organization budget (or its amount cannot be converted): unknown, not false."
    )
    budget: float | None = Field(description="The organization budget's monthly amount.")
    budgetId: str | None
    budgetName: str | None


class CodingVibezProjections(BaseModel):
    currency: str
    month: str = Field(description="The current UTC month (YYYY-MM).")
    endOfMonth: CodingVibezEndOfMonth
    budgetImpact: CodingVibezBudgetImpact


def this_month(organization_id: int, now: datetime, **narrowing: tuple[str, ...]) -> UsageScope:
    """The usage of `now`'s UTC calendar month, whole."""
    first = month_start(now)
    return UsageScope(organization_id, first, months_later(first, 1), **narrowing)


def _wholly_unvalued(month: ScopeMonth) -> bool:
    """Spend this month, none of which could be valued, and nothing to project from."""
    return not month.projection.estimate and bool(
        month.unpriced_events or month.monthly.unconverted
    )


def _range(projection: Projection, *, unvalued: bool) -> tuple[float | None, float | None]:
    return (
        money_unless_unvalued(projection.low, unvalued=unvalued),
        money_unless_unvalued(projection.high, unvalued=unvalued),
    )


class TokenStatsView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_tokens_stats",
        summary="A provider's (or all) budget, projection and usage this month (CodingVibez)",
        description=(
            "`budget` is the provider's own service budget when it has one, else the "
            "organization's budget (the tightest of several); with neither, `limit` and "
            "`remaining` are null and `used` is the month's spend. `projections` and "
            "`usage` are the provider's (every provider without `provider`). The month is "
            "the current UTC month."
        ),
        parameters=[
            OpenApiParameter(
                "provider",
                str,
                enum=list(Service.values),
                description="One of the 13 services (any case); absent: every provider.",
            )
        ],
        responses={200: enveloped(CodingVibezStats), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        service = params.known_service(request, "provider")
        now = timezone.now()
        month = scope_month(SpendScope(self.organization_id, service=service), now=now)
        budget = budget_applying(self.organization_id, now=now, service=service)
        usage = usage_totals(
            this_month(
                self.organization_id,
                now,
                providers=providers_of_service(service) if service else (),
            )
        )
        unvalued = _wholly_unvalued(month)
        low, high = _range(month.projection, unvalued=unvalued)
        if budget is None:
            applied = CodingVibezStatsBudget(
                id=None,
                name=None,
                scope=None,
                limit=None,
                used=money_unless_unvalued(month.projection.spent, unvalued=unvalued),
                remaining=None,
                unconverted=unconverted_money(month.monthly.unconverted),
                problem=None,
            )
        else:
            own = BudgetScope(budget.budget.scope) == BudgetScope.SERVICE
            applied = CodingVibezStatsBudget(
                id=str(budget.budget.pk),
                name=budget.budget.name,
                scope="service" if own else "organization",
                limit=money_or_none(budget.amount),
                used=money(budget.spent),
                remaining=money_or_none(budget.remaining),
                unconverted=unconverted_money(budget.unconverted),
                problem=budget.problem,
            )
        stats = CodingVibezStats(
            provider=service,
            currency=reporting_currency_of(self.organization_id),
            month=month_label(now),
            budget=applied,
            projections=CodingVibezStatsProjections(
                endOfMonth=money_unless_unvalued(month.projection.estimate, unvalued=unvalued),
                trend=month.projection.trend,
                low=low,
                high=high,
                confidence=month.projection.confidence,
            ),
            usage=CodingVibezStatsUsage(
                totalTokens=usage.total_tokens,
                totalCost=cost_of(usage),
                requests=usage.events,
                unpricedRequests=usage.unpriced_events,
            ),
        )
        return self.envelope(stats.model_dump())


class ProjectionsView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_projections",
        summary="The organization's spend projected to the end of the month (CodingVibez)",
        description=(
            "From the month so far and recent history (weekday pattern, a damped trend), "
            "with a p10-p90 range (`low`, `high`) that is wide with little history and "
            "narrows as the month fills. `budgetImpact` compares the estimate with the "
            "organization's budget (the tightest of several); with none, "
            "`willExceedBudget` is null."
        ),
        responses={200: enveloped(CodingVibezProjections), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        month = scope_month(SpendScope(self.organization_id), now=now)
        budget = budget_applying(self.organization_id, now=now)
        projection = month.projection
        unvalued = _wholly_unvalued(month)
        low, high = _range(projection, unvalued=unvalued)
        estimate = money_unless_unvalued(projection.estimate, unvalued=unvalued)
        will_exceed = budget.will_exceed if budget is not None and estimate is not None else None
        projections = CodingVibezProjections(
            currency=reporting_currency_of(self.organization_id),
            month=month_label(now),
            endOfMonth=CodingVibezEndOfMonth(
                estimatedCost=estimate,
                confidence=projection.confidence,
                low=low,
                high=high,
                spent=money_unless_unvalued(projection.spent, unvalued=unvalued),
                trend=projection.trend,
                historyDays=projection.history_days,
                unpricedRequests=month.unpriced_events,
                unconverted=unconverted_money(month.monthly.unconverted),
            ),
            budgetImpact=CodingVibezBudgetImpact(
                willExceedBudget=will_exceed,
                budget=money_or_none(budget.amount) if budget else None,
                budgetId=str(budget.budget.pk) if budget else None,
                budgetName=budget.budget.name if budget else None,
            ),
        )
        return self.envelope(projections.model_dump())
