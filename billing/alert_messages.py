"""What a budget alert says on each channel: the Standard Webhooks JSON body, Slack's
`{"text": ...}` and the email's subject and text. Made once per delivery and stored with it,
so every attempt sends the same bytes."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.template.loader import render_to_string

from usage.dates import iso_z

from .models import AlertEventType, AlertKind, BudgetAlert, WebhookEndpoint

CENT = Decimal("0.01")


def alert_event_type(alert: BudgetAlert) -> str:
    if alert.kind == AlertKind.FORECAST:
        return AlertEventType.FORECAST_EXCEEDED
    if alert.kind == AlertKind.UNTRACKED:
        return AlertEventType.UNTRACKED_SPEND
    return AlertEventType.THRESHOLD_CROSSED


def _number(amount: Decimal | None) -> float | None:
    # JSON renders numbers, as every API of ours does (tokentracker.api.render.number).
    return None if amount is None else float(amount)


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def _percent_used(alert: BudgetAlert) -> Decimal | None:
    if not alert.budget_amount:
        return None
    return (alert.spent * 100 / alert.budget_amount).quantize(CENT, rounding=ROUND_HALF_UP)


def _percent_untracked(alert: BudgetAlert) -> Decimal | None:
    """Untracked spend as a percentage of the bill (untracked-spend alerts)."""
    if not alert.billed or alert.untracked is None:
        return None
    return (alert.untracked * 100 / alert.billed).quantize(CENT, rounding=ROUND_HALF_UP)


def alert_webhook_body(alert: BudgetAlert) -> dict[str, Any]:
    """The generic webhook's body: `{type, timestamp, data}` as Standard Webhooks suggests.
    `timestamp` is when the alert fired; the `webhook-timestamp` header is when it is sent."""
    budget = alert.budget
    percent = _percent_used(alert)
    return {
        "type": alert_event_type(alert),
        "timestamp": iso_z(alert.fired_at),
        "data": {
            "alert_id": alert.pk,
            "organization": {"id": alert.organization_id, "slug": alert.organization.slug},
            "budget": {
                "id": budget.pk,
                "name": budget.name,
                "scope": budget.scope,
                "service": budget.service or None,
                "project": budget.project or None,
                "api_key_id": budget.api_key_id,
                "developer_id": budget.developer_id or None,
            },
            "period": alert.period.strftime("%Y-%m"),
            "kind": alert.kind,
            "threshold_percent": alert.threshold,
            "budget_amount": _number(alert.budget_amount),
            "spent": _number(alert.spent),
            "projected": _number(alert.projected),
            "percent_used": _number(percent),
            # Untracked-spend alerts only (null otherwise): the month's bill of the synced
            # providers, the part of it our events do not account for, and its share.
            "billed": _number(alert.billed),
            "untracked": _number(alert.untracked),
            "percent_untracked": _number(_percent_untracked(alert)),
            "currency": alert.currency,
        },
    }


def _headline(alert: BudgetAlert) -> str:
    budget = alert.budget
    month = alert.period.strftime("%B %Y")
    amount = f"{_money(alert.budget_amount)} {alert.currency}"
    if alert.kind == AlertKind.FORECAST:
        projected = _money(alert.projected) if alert.projected is not None else "?"
        return (
            f'Budget "{budget.name}" is on course to exceed {amount} in {month}: '
            f"{projected} {alert.currency} projected by the end of the month."
        )
    if alert.kind == AlertKind.UNTRACKED:
        billed = _money(alert.billed) if alert.billed is not None else "?"
        untracked = _money(alert.untracked) if alert.untracked is not None else "?"
        share = _percent_untracked(alert)
        return (
            f'Budget "{budget.name}": untracked spend is over {alert.threshold}% of the bill '
            f"in {month}: {untracked} of {billed} {alert.currency} billed by synced providers "
            f"({share}%) was not reported by your integrations."
        )
    return f'Budget "{budget.name}" has reached {alert.threshold}% of {amount} in {month}.'


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters (links, mentions).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_slack_body(alert: BudgetAlert) -> dict[str, Any]:
    """Slack's incoming-webhook format: `text` is all a compatible receiver needs."""
    spent = f"{_money(alert.spent)} {alert.currency}"
    percent = _percent_used(alert)
    used = f" ({percent}% of the budget)" if percent is not None else ""
    text = (
        f":warning: *{_slack_escape(alert.organization.name)}*: "
        f"{_slack_escape(_headline(alert))} Spent so far: {spent}{used}."
    )
    return {"text": text}


def alert_email(alert: BudgetAlert) -> dict[str, str]:
    context = {
        "alert": alert,
        "organization": alert.organization,
        "budget": alert.budget,
        "headline": _headline(alert),
        "spent": _money(alert.spent),
        "projected": _money(alert.projected) if alert.projected is not None else None,
        "budget_amount": _money(alert.budget_amount),
        "percent_used": _percent_used(alert),
        "is_forecast": alert.kind == AlertKind.FORECAST,
        "is_untracked": alert.kind == AlertKind.UNTRACKED,
        "billed": _money(alert.billed) if alert.billed is not None else None,
        "untracked": _money(alert.untracked) if alert.untracked is not None else None,
    }
    subject = render_to_string("billing/email/alert_subject.txt", context)
    return {
        # A header: one line, whatever a budget's name holds.
        "subject": " ".join(subject.split()),
        "body": render_to_string("billing/email/alert.txt", context),
    }


def webhook_test_body(endpoint: WebhookEndpoint, *, sent_at: Any) -> dict[str, Any]:
    return {
        "type": AlertEventType.TEST,
        "timestamp": iso_z(sent_at),
        "data": {
            "organization": {"id": endpoint.organization_id},
            "endpoint": {"id": endpoint.pk, "name": endpoint.name},
            "message": "A test event from TokenTracker: budget alerts will arrive like this.",
        },
    }


def slack_test_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "text": (
            f"TokenTracker test: budget alerts will be posted here "
            f"({_slack_escape(endpoint.name)})."
        )
    }
