"""The alert history the Budgets page shows under each budget."""

from collections import defaultdict
from datetime import date

from billing.models import Budget, BudgetAlert
from billing.selectors.budgets import alerts_of_organization

# Months of alerts shown (this one included): a budget is monthly, a year is its history.
HISTORY_MONTHS = 12


def history_start(month: date) -> date:
    """The first day of the month HISTORY_MONTHS - 1 months before `month`'s."""
    index = month.year * 12 + month.month - 1 - (HISTORY_MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1)


def budget_alert_history(organization_id: int, *, month: date) -> dict[int, list[BudgetAlert]]:
    """The organization's alerts of the last HISTORY_MONTHS months up to `month`'s, by
    budget id, newest first. One query, whatever the number of budgets."""
    alerts = alerts_of_organization(organization_id).filter(period__gte=history_start(month))
    history: dict[int, list[BudgetAlert]] = defaultdict(list)
    for alert in alerts:
        history[alert.budget_id].append(alert)
    return dict(history)


def budget_of_organization(organization_id: int, budget_id: int) -> Budget | None:
    """One of the organization's budgets; None for another organization's, as for none."""
    return Budget.objects.filter(organization_id=organization_id, pk=budget_id).first()
