"""The alert history the Budgets page shows under each budget, with each alert's deliveries
(the delivery log of `billing.services.deliveries`)."""

from collections import defaultdict
from datetime import date

from django.db.models import Prefetch

from billing.models import AlertDelivery, Budget, BudgetAlert
from billing.selectors.budgets import alerts_of_organization

# Months of alerts shown (this one included): a budget is monthly, a year is its history.
HISTORY_MONTHS = 12


def history_start(month: date) -> date:
    """The first day of the month HISTORY_MONTHS - 1 months before `month`'s."""
    index = month.year * 12 + month.month - 1 - (HISTORY_MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1)


def budget_alert_history(organization_id: int, *, month: date) -> dict[int, list[BudgetAlert]]:
    """The organization's alerts of the last HISTORY_MONTHS months up to `month`'s, by
    budget id, newest first, each with its deliveries (`alert.deliveries.all()`, in the
    order they were made). Two queries, whatever the number of budgets and alerts."""
    deliveries = AlertDelivery.objects.order_by("created_at", "id")
    alerts = (
        alerts_of_organization(organization_id)
        .filter(period__gte=history_start(month))
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
    )
    history: dict[int, list[BudgetAlert]] = defaultdict(list)
    for alert in alerts:
        history[alert.budget_id].append(alert)
    return dict(history)


def budget_of_organization(organization_id: int, budget_id: int) -> Budget | None:
    """One of the organization's budgets; None for another organization's, as for none."""
    return Budget.objects.filter(organization_id=organization_id, pk=budget_id).first()
