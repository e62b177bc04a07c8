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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.models import (
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    SyncedProvider,
)
from billing.selectors.spend import ProviderDay, provider_days, providers_of_service
from tokentracker.money import reporting_currency_of
from usage.models import DailyRollup

# The widths a usage report may come in: a provider's days are counted from one width only
# (daily buckets where there are any), so a sync that stored both never counts twice.
USAGE_WIDTHS = ("1d", "1h")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_of(moment: datetime | None) -> date | None:
    """The first day not wholly covered by a sync that reached `moment`."""
    return None if moment is None else moment.astimezone(UTC).date()


@dataclass(frozen=True)
class TokenCounts:
    input_tokens: int = 0  # uncached
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def __add__(self, other: "TokenCounts") -> "TokenCounts":
        return TokenCounts(
            self.input_tokens + other.input_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.output_tokens + other.output_tokens,
            self.requests + other.requests,
        )


@dataclass(frozen=True)
class ReconciledDay:
    day: date
    synced: bool
    billed: Decimal | None  # converted lines; None when not synced
    tracked: Decimal
    unconverted: dict[str, Decimal]  # lines with no exchange rate, per currency
    unpriced_events: int

    @property
    def judged(self) -> bool:
        return self.synced and not self.unconverted

    @property
    def untracked(self) -> Decimal | None:
        if not self.judged or self.billed is None:
            return None
        return max(self.billed - self.tracked, Decimal(0))

    @property
    def over_reported(self) -> Decimal | None:
        if not self.judged or self.billed is None:
            return None
        return max(self.tracked - self.billed, Decimal(0))


@dataclass(frozen=True)
class ReconciledModel:
    """One model over the period's synced days. `model` None: cost lines naming no model."""

    model: str | None
    billed: Decimal | None  # None: no cost line names it
    tracked: Decimal | None  # None: no event of it (always None for `model` None)
    unconverted: dict[str, Decimal]
    reported_tokens: TokenCounts | None  # the provider's usage report; None: not in it
    tracked_tokens: TokenCounts | None

    @property
    def compared(self) -> bool:
        """Both sides have it (and every line of it has a rate): the difference means
        something."""
        return self.billed is not None and self.tracked is not None and not self.unconverted

    @property
    def untracked(self) -> Decimal | None:
        if not self.compared:
            return None
        assert self.billed is not None and self.tracked is not None
        return max(self.billed - self.tracked, Decimal(0))

    @property
    def over_reported(self) -> Decimal | None:
        if not self.compared:
            return None
        assert self.billed is not None and self.tracked is not None
        return max(self.tracked - self.billed, Decimal(0))


@dataclass(frozen=True)
class ProviderReconciliation:
    provider: str
    currency: str  # the organization's reporting currency
    start: date
    end: date
    status: str  # the integration's (IntegrationStatus)
    status_message: str
    last_sync_at: datetime | None
    last_success_at: datetime | None
    costs_synced_until: datetime | None
    days: list[ReconciledDay]  # every day of [start, end] up to today, oldest first
    models: list[ReconciledModel]  # costliest billed first
    reported_tokens: TokenCounts  # on the days the usage report covers
    tracked_tokens: TokenCounts  # on the same days
    billed: Decimal = Decimal(0)  # judged days only, as the next three
    tracked: Decimal = Decimal(0)
    untracked: Decimal = Decimal(0)
    over_reported: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unpriced_events: int = 0  # on judged days

    @property
    def label(self) -> str:
        return SyncedProvider(self.provider).label

    @property
    def synced_days(self) -> int:
        return sum(1 for day in self.days if day.synced)

    @property
    def not_synced_days(self) -> int:
        return sum(1 for day in self.days if not day.synced)

    @property
    def untracked_percent(self) -> Decimal | None:
        """Untracked spend as a percentage of the bill, to two places."""
        if not self.billed:
            return None
        return (self.untracked * 100 / self.billed).quantize(Decimal("0.01"))


def _add(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal(0)) + amount


class _Span:
    """The days of a provider one sync side covers: from its first bucket to the day of
    its frontier (excluded)."""

    def __init__(self, first: date | None, until: date | None) -> None:
        self.first, self.until = first, until

    def __contains__(self, day: date) -> bool:
        return self.first is not None and self.until is not None and self.first <= day < self.until


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
        i.provider: _Span(first_cost.get(i.provider), _day_of(i.costs_synced_until))
        for i in integrations
    }
    usage_span = {
        i.provider: _Span(first_usage.get(i.provider), _day_of(i.usage_synced_until))
        for i in integrations
    }
    unconverted = _unconverted(organization_id, names, start, end)
    billed_models: dict[str, dict[str | None, _Billed]] = {}
    tracked = _Tracked({}, {})
    reported: dict[str, dict[str, TokenCounts]] = {}
    if with_models:
        billed_models = _billed_by_model(organization_id, names, start, end, cost_span)
        tracked = _tracked_by_model(organization_id, names, start, end, cost_span, usage_span)
        reported = _reported_tokens(organization_id, names, start, end, usage_span)
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
                _add(totals, code, amount)
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
                models=_models(
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
        ProviderCostBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            day__gte=start,
            day__lte=end,
            converted_amount__isnull=True,
        )
        .values("provider", "day", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    found: dict[tuple[str, date], dict[str, Decimal]] = {}
    for row in rows:
        _add(found.setdefault((row["provider"], row["day"]), {}), row["currency"], row["amount"])
    return found


@dataclass(frozen=True)
class _Billed:
    amount: Decimal | None  # converted lines; None when every line lacks a rate
    unconverted: dict[str, Decimal]


def _billed_by_model(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    spans: dict[str, _Span],
) -> dict[str, dict[str | None, _Billed]]:
    rows = (
        ProviderCostBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            day__gte=start,
            day__lte=end,
        )
        .values("provider", "model", "day", "currency")
        .annotate(
            converted=Sum("converted_amount"),
            lines=Count("pk"),
            missing=Count("pk", filter=Q(converted_amount__isnull=True)),
            unconverted=Sum("amount", filter=Q(converted_amount__isnull=True)),
        )
        .order_by()
    )
    sums: dict[str, dict[str | None, tuple[Decimal | None, dict[str, Decimal]]]] = {}
    for row in rows:
        if row["day"] not in spans[row["provider"]]:
            continue
        model = row["model"] or None
        amount, unconverted = sums.setdefault(row["provider"], {}).get(model, (None, {}))
        if row["lines"] > row["missing"]:
            amount = (amount or Decimal(0)) + row["converted"]
        if row["missing"]:
            unconverted = dict(unconverted)
            _add(unconverted, row["currency"], row["unconverted"])
        sums[row["provider"]][model] = (amount, unconverted)
    return {
        name: {model: _Billed(*values) for model, values in models.items()}
        for name, models in sums.items()
    }


@dataclass(frozen=True)
class _Tracked:
    models: dict[str, dict[str, Decimal]]  # cost on cost-synced days
    tokens: dict[str, dict[str, TokenCounts]]  # tokens on usage-synced days


def _tracked_by_model(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    cost_spans: dict[str, _Span],
    usage_spans: dict[str, _Span],
) -> _Tracked:
    """The events of each provider's service per model, from the daily rollups."""
    service_of = {p: service for service in providers for p in providers_of_service(service)}
    rows = (
        DailyRollup.objects.filter(
            organization_id=organization_id,
            provider__in=list(service_of),
            hour__gte=_midnight(start),
            hour__lt=_midnight(end + timedelta(days=1)),
        )
        .values("provider", "model", "hour")
        .annotate(
            cost=Sum("cost"),
            priced=Sum("priced_events"),
            events=Sum("events"),
            uncached=Sum("uncached_input_tokens"),
            cache_read=Sum("cache_read_tokens"),
            cache_write=Sum("cache_write_tokens"),
            output=Sum("output_tokens"),
        )
        .order_by()
    )
    models: dict[str, dict[str, Decimal]] = {}
    tokens: dict[str, dict[str, TokenCounts]] = {}
    for row in rows:
        name = service_of[row["provider"]]
        on = row["hour"].astimezone(UTC).date()
        if on in cost_spans[name] and row["priced"]:
            per_model = models.setdefault(name, {})
            per_model[row["model"]] = per_model.get(row["model"], Decimal(0)) + row["cost"]
        if on in usage_spans[name]:
            per_model_tokens = tokens.setdefault(name, {})
            per_model_tokens[row["model"]] = per_model_tokens.get(
                row["model"], TokenCounts()
            ) + TokenCounts(
                row["uncached"], row["cache_read"], row["cache_write"], row["output"], row["events"]
            )
    return _Tracked(models, tokens)


def _reported_tokens(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    spans: dict[str, _Span],
) -> dict[str, dict[str, TokenCounts]]:
    rows = (
        ProviderUsageBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            start__gte=_midnight(start),
            start__lt=_midnight(end + timedelta(days=1)),
        )
        .annotate(on=TruncDate("start", tzinfo=UTC))
        .values("provider", "width", "model", "on")
        .annotate(
            uncached=Sum("input_tokens"),
            cache_read=Sum("cache_read_tokens"),
            cache_write=Sum("cache_write_tokens"),
            output=Sum("output_tokens"),
            requests=Sum("requests"),
        )
        .order_by()
    )
    by_width: dict[tuple[str, str], dict[str, TokenCounts]] = {}
    for row in rows:
        if row["on"] not in spans[row["provider"]]:
            continue
        per_model = by_width.setdefault((row["provider"], row["width"]), {})
        per_model[row["model"]] = per_model.get(row["model"], TokenCounts()) + TokenCounts(
            row["uncached"], row["cache_read"], row["cache_write"], row["output"], row["requests"]
        )
    reported: dict[str, dict[str, TokenCounts]] = {}
    for name in providers:
        for width in USAGE_WIDTHS:
            if (name, width) in by_width:
                reported[name] = by_width[name, width]
                break
    return reported


def _models(
    billed: dict[str | None, _Billed],
    tracked: dict[str, Decimal],
    reported: dict[str, TokenCounts],
    tracked_tokens: dict[str, TokenCounts],
) -> list[ReconciledModel]:
    # A usage bucket not grouped by model ("") is no model's.
    named = {model for model in (*billed, *tracked, *reported, *tracked_tokens) if model}
    rows = [
        ReconciledModel(
            model=model,
            billed=billed[model].amount if model in billed else None,
            tracked=tracked.get(model),
            unconverted=billed[model].unconverted if model in billed else {},
            reported_tokens=reported.get(model),
            tracked_tokens=tracked_tokens.get(model),
        )
        for model in named
    ]
    if None in billed:
        rows.append(
            ReconciledModel(
                model=None,
                billed=billed[None].amount,
                tracked=None,
                unconverted=billed[None].unconverted,
                reported_tokens=reported.get(""),
                tracked_tokens=None,
            )
        )
    return sorted(
        rows,
        key=lambda row: (
            -(row.billed or Decimal(0)),
            -(row.tracked or Decimal(0)),
            row.model is None,
            row.model or "",
        ),
    )


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


def reconciled_spend_by_model(
    *, organization_id: int, providers: list[str], start: date, end: date
) -> dict[str | None, Decimal]:
    """The API spend of `providers` per model over [start, end] as the max rule counts it:
    each day from the side that is its spend, the provider's cost lines on a judged day it
    billed at least what the events account for (lines naming no model under None), the
    events of the day otherwise (not synced, not converted, or over-reported). So the models
    add up to the usage and untracked spend `spend_by` gives. Three queries."""
    days = provider_days(organization_id, start, end, providers=providers)
    billed_side = {key for key, day in days.items() if day.judged and day.billed >= day.tracked}
    amounts: dict[str | None, Decimal] = {}
    lines = (
        ProviderCostBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            day__gte=start,
            day__lte=end,
        )
        .values("provider", "day", "model")
        .annotate(amount=Sum("converted_amount"))
        .order_by()
    )
    for line in lines:
        if (line["provider"], line["day"]) in billed_side and line["amount"] is not None:
            model = line["model"] or None
            amounts[model] = amounts.get(model, Decimal(0)) + line["amount"]
    service_of = {p: service for service in providers for p in providers_of_service(service)}
    events = (
        DailyRollup.objects.filter(
            organization_id=organization_id,
            provider__in=list(service_of),
            hour__gte=_midnight(start),
            hour__lt=_midnight(end + timedelta(days=1)),
            priced_events__gt=0,
        )
        .values("provider", "hour", "model")
        .annotate(cost=Sum("cost"))
        .order_by()
    )
    for row in events:
        key = (service_of[row["provider"]], row["hour"].astimezone(UTC).date())
        if key not in billed_side:
            amounts[row["model"]] = amounts.get(row["model"], Decimal(0)) + row["cost"]
    return amounts


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
