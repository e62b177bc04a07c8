"""The overview's chart of the month against the budget: spend to date, the organization's
budget and the end-of-month projection with its p10-p90 range, day by day.

Registered with usage's extension point (`usage.selectors.month_charts`) when billing
starts (`BillingConfig.ready`): usage draws it without importing billing.

Spend is cumulative, as a budget counts it (`scope_month` of the whole organization:
usage per UTC day, plus the month's manual costs and other monthly sources counted from
the 1st). The projection starts from today's spend and runs straight to the month-end
estimate; its range opens from the same point to p10 and p90. Only organization budgets
are drawn: a service's or project's budget measures another spend than this line.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.models import Budget, BudgetScope
from billing.selectors.budgets import (
    SpendScope,
    budget_amount,
    month_last,
    scope_month,
)
from tokentracker.money import reporting_currency_of
from usage.selectors.month_charts import LineKind, MonthChart, MonthLine, month_chart_provider


def _cumulative(
    days: list[date], daily: dict[date, Decimal], start: Decimal, today: date
) -> tuple[Decimal | None, ...]:
    total, values = start, []
    for day in days:
        if day > today:
            values.append(None)
            continue
        total += daily.get(day, Decimal(0))
        values.append(total)
    return tuple(values)


def _straight(
    days: list[date], today: date, start: Decimal, end: Decimal
) -> tuple[Decimal | None, ...]:
    """From `start` today to `end` on the month's last day; None before today."""
    span = (days[-1] - today).days
    values: list[Decimal | None] = []
    for day in days:
        if day < today:
            values.append(None)
        elif span == 0:
            values.append(end)
        else:
            values.append(start + (end - start) * (day - today).days / span)
    return tuple(values)


@month_chart_provider
def organization_month_chart(organization_id: int, *, now: datetime) -> MonthChart | None:
    """None when there is nothing to draw: no organization budget and no spend yet."""
    now = now.astimezone(UTC)
    today = now.date()
    month = scope_month(SpendScope(organization_id), now=now)
    projection = month.projection
    budgets = list(
        Budget.objects.filter(organization_id=organization_id, scope=BudgetScope.ORGANIZATION)
    )
    if not budgets and not projection.spent and not projection.estimate:
        return None
    first = projection.month
    days = [first + timedelta(days=n) for n in range((month_last(first) - first).days + 1)]
    month_days = {day: cost for day, cost in month.daily.items() if day >= first}
    lines = [
        MonthLine(
            "Spent", LineKind.ACTUAL, _cumulative(days, month_days, month.monthly.amount, today)
        )
    ]
    for budget in budgets:
        amount = budget_amount(budget, on=today).amount
        if amount is not None:  # set in another currency with no rate today: not drawn
            label = "Budget" if len(budgets) == 1 else f"Budget: {budget.name}"
            lines.append(MonthLine(label, LineKind.LIMIT, (amount,) * len(days)))
    lines += [
        MonthLine(
            "Projection",
            LineKind.ESTIMATE,
            _straight(days, today, projection.spent, projection.estimate),
        ),
        MonthLine("p10", LineKind.LOW, _straight(days, today, projection.spent, projection.low)),
        MonthLine("p90", LineKind.HIGH, _straight(days, today, projection.spent, projection.high)),
    ]
    note = (
        "Spend counts every source, manual costs from the 1st. The projection runs straight "
        "from today to the month-end estimate, between its p10 and p90; "
        f"confidence {projection.confidence:.0%}."
    )
    return MonthChart(
        title="This month against budget" if budgets else "This month and its projection",
        currency=reporting_currency_of(organization_id),
        days=tuple(days),
        lines=tuple(lines),
        note=note,
    )
