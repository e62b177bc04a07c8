"""CodingVibez `GET /api/dashboard`: this month's and last month's costs, this month's
tokens and costliest models, every budget against this month's spend, the latest alerts.

Amounts follow /api/projections' rules (tokentracker/api/codingvibez/projections.py): the
reporting currency, unpriced requests and unconverted costs beside the amounts, null
when none of the spend could be valued.
"""

from typing import Literal

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import BudgetAlert, BudgetScope
from billing.selectors.budgets import BudgetStatus, budgets_status
from billing.selectors.overview import MonthSpend, alerts_latest, month_spend
from tokentracker.api.base import CodingVibezView
from tokentracker.api.render import number_or_none
from tokentracker.money import reporting_currency_of
from usage.selectors.dashboard import month_start, months_later
from usage.selectors.usage import UsageTotals, usage_by

from .projections import UNCONVERTED, UNPRICED, this_month
from .schemas import enveloped, errors
from .values import (
    cost_of,
    iso,
    money,
    money_or_none,
    money_unless_unvalued,
    month_label,
    unconverted_money,
)

TAGS = ["codingvibez"]
TOP_MODELS = 5
LATEST_ALERTS = 10


class CodingVibezMonthPair(BaseModel):
    currentMonth: int
    previousMonth: int


class CodingVibezMonthUnconverted(BaseModel):
    currentMonth: dict[str, float]
    previousMonth: dict[str, float]


class CodingVibezTotalCosts(BaseModel):
    currentMonth: float | None = Field(
        description="This UTC month's spend, every source; null when none of it could be valued."
    )
    previousMonth: float | None
    currency: str
    unpricedRequests: CodingVibezMonthPair
    unconverted: CodingVibezMonthUnconverted


class CodingVibezTokenUsage(BaseModel):
    inputTokens: int = Field(description="The whole prompt (uncached + cache read + write).")
    outputTokens: int = Field(description="Output tokens, reasoning included.")
    cachedTokens: int = Field(description="Cache reads: a part of inputTokens.")
    totalTokens: int = Field(description="inputTokens + outputTokens.")
    requests: int
    unpricedRequests: int = Field(description=UNPRICED)


class CodingVibezTopModel(BaseModel):
    provider: str
    model: str
    cost: float | None = Field(description="Priced requests' cost; null when all unpriced.")
    totalTokens: int
    requests: int
    unpricedRequests: int


class CodingVibezBudgetState(BaseModel):
    id: str
    name: str
    scope: str = Field(description="organization, service, project, api_key or developer.")
    target: str | None = Field(
        description="The service, project, API key name or developer; null for the organization."
    )
    limit: float | None = Field(description="Null when its currency has no rate today.")
    spent: float
    remaining: float | None
    percentUsed: float | None
    projected: float = Field(description="The scope's projected spend for the month.")
    willExceed: bool | None
    unpricedRequests: int = Field(description=UNPRICED)
    unconverted: dict[str, float] = Field(description=UNCONVERTED)
    problem: str | None


class CodingVibezAlert(BaseModel):
    id: str
    budgetId: str
    budget: str = Field(description="The budget's name.")
    kind: Literal["threshold", "forecast"]
    threshold: int = Field(description="Percent of the budget's amount.")
    spent: float = Field(description="Spend when it fired, in `currency`.")
    projected: float | None = Field(description="The projection when it fired (forecast).")
    budgetAmount: float
    currency: str
    period: str = Field(description="The month it belongs to (YYYY-MM).")
    firedAt: str


class CodingVibezDashboard(BaseModel):
    month: str = Field(description="The current UTC month (YYYY-MM).")
    totalCosts: CodingVibezTotalCosts
    tokenUsage: CodingVibezTokenUsage = Field(description="This month's.")
    topModels: list[CodingVibezTopModel] = Field(
        description=f"This month's {TOP_MODELS} costliest provider/models."
    )
    budgetStatus: list[CodingVibezBudgetState] = Field(description="Every budget, by name.")
    alerts: list[CodingVibezAlert] = Field(
        description=f"The {LATEST_ALERTS} latest budget alerts, newest first."
    )


def _target(status: BudgetStatus) -> str | None:
    budget = status.budget
    return {
        BudgetScope.ORGANIZATION: None,
        BudgetScope.SERVICE: budget.service,
        BudgetScope.PROJECT: budget.project,
        BudgetScope.API_KEY: budget.api_key.name if budget.api_key else None,
        BudgetScope.DEVELOPER: budget.developer_id,
    }[BudgetScope(budget.scope)]


def _budget_state(status: BudgetStatus) -> CodingVibezBudgetState:
    return CodingVibezBudgetState(
        id=str(status.budget.pk),
        name=status.budget.name,
        scope=status.budget.scope,
        target=_target(status),
        limit=money_or_none(status.amount),
        spent=money(status.spent),
        remaining=money_or_none(status.remaining),
        percentUsed=number_or_none(status.percent, 2),
        projected=money(status.projection.estimate),
        willExceed=status.will_exceed,
        unpricedRequests=status.unpriced_events,
        unconverted=unconverted_money(status.unconverted),
        problem=status.problem,
    )


def _alert(alert: BudgetAlert) -> CodingVibezAlert:
    return CodingVibezAlert(
        id=str(alert.pk),
        budgetId=str(alert.budget_id),
        budget=alert.budget.name,
        kind=alert.kind,
        threshold=alert.threshold,
        spent=money(alert.spent),
        projected=money_or_none(alert.projected),
        budgetAmount=money(alert.budget_amount),
        currency=alert.currency,
        period=f"{alert.period:%Y-%m}",
        firedAt=iso(alert.fired_at),
    )


def _month_costs(current: MonthSpend, previous: MonthSpend, currency: str) -> CodingVibezTotalCosts:
    return CodingVibezTotalCosts(
        currentMonth=money_unless_unvalued(current.amount, unvalued=current.wholly_unvalued),
        previousMonth=money_unless_unvalued(previous.amount, unvalued=previous.wholly_unvalued),
        currency=currency,
        unpricedRequests=CodingVibezMonthPair(
            currentMonth=current.unpriced_events, previousMonth=previous.unpriced_events
        ),
        unconverted=CodingVibezMonthUnconverted(
            currentMonth=unconverted_money(current.unconverted),
            previousMonth=unconverted_money(previous.unconverted),
        ),
    )


class DashboardView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_dashboard",
        summary="This month's costs, tokens, top models, budgets and alerts (CodingVibez)",
        description=(
            "`totalCosts` counts every source (API usage and manual costs) for the current "
            "and the previous UTC month; `tokenUsage` and `topModels` are this month's API "
            "usage; `budgetStatus` is every budget against this month's spend with its "
            "projection; `alerts` the latest budget alerts."
        ),
        responses={200: enveloped(CodingVibezDashboard), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        first = month_start(now)
        current = month_spend(self.organization_id, month=first.date())
        previous = month_spend(self.organization_id, month=months_later(first, -1).date())
        scope = this_month(self.organization_id, now)
        models = usage_by(scope, "provider", "model")
        tokens = UsageTotals.combined(totals for _, totals in models)
        dashboard = CodingVibezDashboard(
            month=month_label(now),
            totalCosts=_month_costs(current, previous, reporting_currency_of(self.organization_id)),
            tokenUsage=CodingVibezTokenUsage(
                inputTokens=tokens.prompt_tokens,
                outputTokens=tokens.output_tokens,
                cachedTokens=tokens.cache_read_tokens,
                totalTokens=tokens.total_tokens,
                requests=tokens.events,
                unpricedRequests=tokens.unpriced_events,
            ),
            topModels=[
                CodingVibezTopModel(
                    provider=keys["provider"],
                    model=keys["model"],
                    cost=cost_of(totals),
                    totalTokens=totals.total_tokens,
                    requests=totals.events,
                    unpricedRequests=totals.unpriced_events,
                )
                for keys, totals in models[:TOP_MODELS]
            ],
            budgetStatus=[
                _budget_state(status) for status in budgets_status(self.organization_id, now=now)
            ],
            alerts=[
                _alert(alert) for alert in alerts_latest(self.organization_id, limit=LATEST_ALERTS)
            ],
        )
        return self.envelope(dashboard.model_dump())
