"""Budget alerts: which thresholds this month's spend has reached, each fired once.

Firing is claiming: a `BudgetAlert` row is INSERTed for (budget, month, kind, threshold)
and the unique constraint `budget_alert_once` lets exactly one INSERT win, however many
workers evaluate at once (the way healthchecks' `sendalerts` claims a check with a
conditional UPDATE). A loser gets an IntegrityError inside its savepoint and moves on; only
the winner sends `alert_fired`, after its row is committed, and the channels deliver it.

A new month is a new period, so every threshold can fire again. A threshold crossed and
then left (a cost deleted) stays fired for the month.

Forecast alerts ("on course to exceed"): fired once a month when the budget has
`forecast_alert`, the projection's estimate is above the amount, and the projection is
confident enough to act on: `confidence >= FORECAST_MIN_CONFIDENCE`. The engine's
confidence is low with little history and early in the month (billing.projections), so a
budget is not warned on its first days of data. Stored with threshold 100, the one it
foresees crossing.

Untracked-spend alerts ("untracked spend over N% of the bill"): fired once a month when the
budget has `untracked_alert_percent` N and the month's untracked spend of its scope (what
synced providers billed beyond our events, `billing.selectors.spend`'s max rule; the
organization's, or a service's for OpenAI and Anthropic) is over N% of what they billed, on
the days synced so far. Stored with threshold N, so changing N can fire the new one in the
same month; the bill and its untracked part are kept on the alert for its messages. The
other scopes (project, API key, developer) hold no provider bill and never fire it.

An amount that cannot be converted to the reporting currency (no exchange rate) is not
judged at all: no alert fires on a guessed amount; the budget's status says why.
"""

import logging
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction

from billing.models import AlertKind, BudgetAlert
from billing.selectors.budgets import BudgetStatus, alerts_claimed, budgets_status
from billing.signals import alert_fired

logger = logging.getLogger(__name__)

FORECAST_MIN_CONFIDENCE = 0.5
FORECAST_THRESHOLD = 100


def _announce(alert_id: int) -> None:
    alert_fired.send(sender=BudgetAlert, alert_id=alert_id)


def _claim(status: BudgetStatus, *, kind: str, threshold: int) -> BudgetAlert | None:
    """Insert the alert; None when another evaluation already fired it."""
    assert status.amount is not None
    untracked = kind == AlertKind.UNTRACKED
    try:
        with transaction.atomic():
            alert = BudgetAlert.objects.create(
                organization_id=status.budget.organization_id,
                budget=status.budget,
                period=status.month,
                kind=kind,
                threshold=threshold,
                spent=status.spent,
                projected=status.projection.estimate,
                budget_amount=status.amount,
                billed=status.billed.billed if untracked else None,
                untracked=status.billed.untracked if untracked else None,
                currency=status.currency,
            )
    except IntegrityError:
        return None
    transaction.on_commit(partial(_announce, alert.pk))
    return alert


def _due(status: BudgetStatus) -> list[tuple[str, int]]:
    """The (kind, threshold) pairs the status has reached."""
    due = [
        (AlertKind.THRESHOLD, threshold)
        for threshold in status.budget.thresholds
        if status.reached(threshold)
    ]
    if (
        status.budget.forecast_alert
        and status.will_exceed
        and status.projection.confidence >= FORECAST_MIN_CONFIDENCE
    ):
        due.append((AlertKind.FORECAST, FORECAST_THRESHOLD))
    if status.untracked_over:
        assert status.budget.untracked_alert_percent is not None
        due.append((AlertKind.UNTRACKED, status.budget.untracked_alert_percent))
    return due


def budgets_evaluate(organization_id: int, *, now: datetime) -> list[BudgetAlert]:
    """Fire every alert the organization's budgets have reached in `now`'s month and that
    has not fired yet; returns the alerts this call fired. Safe to run concurrently and
    again: an alert fires once."""
    fired = []
    statuses = budgets_status(organization_id, now=now)
    claimed = alerts_claimed(organization_id, periods={status.month for status in statuses})
    for status in statuses:
        if status.amount is None:
            logger.warning("budget %s not evaluated: %s", status.budget.pk, status.problem)
            continue
        for kind, threshold in _due(status):
            if (status.budget.pk, status.month, kind, threshold) in claimed:
                continue
            alert = _claim(status, kind=kind, threshold=threshold)
            if alert is not None:
                fired.append(alert)
    return fired
