"""Reconciliation: what a synced provider billed against what the organization's own events
account for, per UTC day and per model, over a period.

- **billed**: the provider's cost lines (`ProviderCostBucket`) converted to the reporting
  currency; lines with no exchange rate are kept apart (`unconverted`) and their day is not
  judged.
- **tracked**: the cost of the organization's priced events booked to the provider's
  service (`service_of_provider`), from the daily rollups; unpriced events are counted.
- **untracked** = billed - tracked when positive (usage no integration of ours reported),
  **over-reported** = tracked - billed when positive (events the bill does not hold: test
  traffic priced from the catalog, a reported cost above the real one, a bill not final).

A day is **synced** from the provider's first billed day (the cost report says nothing of
the days before it) to the last whole day the sync covers (`costs_synced_until`); any other
day is "not synced" and never "0 billed". Totals add the judged days only (synced, every
line converted), so billed and tracked are compared over the same days. The spend readers
apply the same figures (`billing.selectors.spend`'s max rule).

Per model, where both sides have it: the bill's lines naming a model against the events of
that model, over the synced days; lines naming no model are one row of their own. Tokens:
what the provider's usage report counts (`ProviderUsageBucket`, over the days the usage
sync covers) against the events' tokens of those days.
"""

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db.models import Min, Sum
from django.utils import timezone

from billing.models import ProviderCostBucket, ProviderIntegration, ProviderUsageBucket
from billing.selectors.spend import ProviderDay, provider_days
from tokentracker.money import reporting_currency_of

from .by_model import (
    BilledByModel,
    TrackedByModel,
    billed_by_model,
    cost_lines,
    reconciled_models,
    reconciled_spend_by_model,
    reported_tokens,
    tracked_by_model,
)
from .days import Span, add_amount, day_of
from .reports import ProviderReconciliation, ReconciledDay, ReconciledModel, TokenCounts


def reconciliation(
    *,
    organization_id: int,
    start: date,
    end: date,
    providers: Iterable[str] | None = None,
    today: date | None = None,
    with_models: bool = True,
) -> list[ProviderReconciliation]:
    """Each connected provider of the organization (or of those named) over the UTC days of
    [start, end] (both included), by provider name. Eight queries whatever the period;
    five without the models and tokens (`with_models` False: `models` empty, tokens 0)."""
    today = today or timezone.now().astimezone(UTC).date()
    integrations = ProviderIntegration.objects.filter(organization_id=organization_id)
    if providers is not None:
        integrations = integrations.filter(provider__in=list(providers))
    integrations = list(integrations.order_by("provider"))
    if not integrations:
        return []
    names = [integration.provider for integration in integrations]
    days = provider_days(organization_id, start, end, providers=names)
    first_cost, first_usage = _first_days(organization_id, names, usage=with_models)
    cost_span = {
        i.provider: Span(first_cost.get(i.provider), day_of(i.costs_synced_until))
        for i in integrations
    }
    usage_span = {
        i.provider: Span(first_usage.get(i.provider), day_of(i.usage_synced_until))
        for i in integrations
    }
    unconverted = _unconverted(organization_id, names, start, end)
    billed_models: dict[str, dict[str | None, BilledByModel]] = {}
    tracked = TrackedByModel({}, {})
    reported: dict[str, dict[str, TokenCounts]] = {}
    if with_models:
        billed_models = billed_by_model(organization_id, names, start, end, cost_span)
        tracked = tracked_by_model(organization_id, names, start, end, cost_span, usage_span)
        reported = reported_tokens(organization_id, names, start, end, usage_span)
    currency = reporting_currency_of(organization_id)
    last = min(end, today)
    shown = [start + timedelta(days=n) for n in range((last - start).days + 1)]
    result = []
    for integration in integrations:
        name = integration.provider
        rows = [
            _day(name, on, days.get((name, on)), on in cost_span[name], unconverted) for on in shown
        ]
        judged = [row for row in rows if row.judged]
        totals: dict[str, Decimal] = {}
        for row in rows:
            for code, amount in row.unconverted.items():
                add_amount(totals, code, amount)
        result.append(
            ProviderReconciliation(
                provider=name,
                currency=currency,
                start=start,
                end=end,
                status=integration.status,
                status_message=integration.status_message,
                last_sync_at=integration.last_sync_at,
                last_success_at=integration.last_success_at,
                costs_synced_until=integration.costs_synced_until,
                days=rows,
                models=reconciled_models(
                    billed_models.get(name, {}),
                    tracked.models.get(name, {}),
                    reported.get(name, {}),
                    tracked.tokens.get(name, {}),
                ),
                reported_tokens=sum(reported.get(name, {}).values(), TokenCounts()),
                tracked_tokens=sum(tracked.tokens.get(name, {}).values(), TokenCounts()),
                billed=sum((row.billed or Decimal(0) for row in judged), Decimal(0)),
                tracked=sum((row.tracked for row in judged), Decimal(0)),
                untracked=sum((row.untracked or Decimal(0) for row in judged), Decimal(0)),
                over_reported=sum((row.over_reported or Decimal(0) for row in judged), Decimal(0)),
                unconverted=totals,
                unpriced_events=sum(row.unpriced_events for row in judged),
            )
        )
    return result


def _day(
    provider: str,
    on: date,
    found: ProviderDay | None,
    synced: bool,
    unconverted: dict[tuple[str, date], dict[str, Decimal]],
) -> ReconciledDay:
    return ReconciledDay(
        day=on,
        synced=synced,
        billed=(found.billed if found else Decimal(0)) if synced else None,
        tracked=found.tracked if found else Decimal(0),
        unconverted=unconverted.get((provider, on), {}) if synced else {},
        unpriced_events=found.unpriced_events if found else 0,
    )


def _first_days(
    organization_id: int, providers: list[str], *, usage: bool
) -> tuple[dict[str, date], dict[str, date]]:
    """Each provider's first billed day and (with `usage`) first day of usage report,
    ever."""
    costs = (
        ProviderCostBucket.objects.filter(organization_id=organization_id, provider__in=providers)
        .values("provider")
        .annotate(first=Min("day"))
        .order_by()
    )
    first_cost = {row["provider"]: row["first"] for row in costs}
    if not usage:
        return first_cost, {}
    reports = (
        ProviderUsageBucket.objects.filter(organization_id=organization_id, provider__in=providers)
        .values("provider")
        .annotate(first=Min("start"))
        .order_by()
    )
    return first_cost, {row["provider"]: row["first"].astimezone(UTC).date() for row in reports}


def _unconverted(
    organization_id: int, providers: list[str], start: date, end: date
) -> dict[tuple[str, date], dict[str, Decimal]]:
    rows = (
        cost_lines(organization_id, providers, start, end)
        .filter(converted_amount__isnull=True)
        .values("provider", "day", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    found: dict[tuple[str, date], dict[str, Decimal]] = {}
    for row in rows:
        add_amount(
            found.setdefault((row["provider"], row["day"]), {}), row["currency"], row["amount"]
        )
    return found


def synced_integrations(
    organization_id: int, providers: Iterable[str]
) -> list[ProviderIntegration]:
    """The organization's integrations among `providers` whose costs have been synced."""
    return list(
        ProviderIntegration.objects.filter(
            organization_id=organization_id,
            provider__in=list(providers),
            costs_synced_until__isnull=False,
        ).order_by("provider")
    )


def reconciliation_totals(
    reconciled: Iterable[ProviderReconciliation],
) -> dict[str, Decimal]:
    """billed, tracked, untracked and over_reported of several providers together."""
    totals = dict.fromkeys(("billed", "tracked", "untracked", "over_reported"), Decimal(0))
    for provider in reconciled:
        for name in totals:
            totals[name] += getattr(provider, name)
    return totals


__all__ = [
    "ProviderReconciliation",
    "ReconciledDay",
    "ReconciledModel",
    "TokenCounts",
    "reconciled_spend_by_model",
    "reconciliation",
    "reconciliation_totals",
    "synced_integrations",
]
