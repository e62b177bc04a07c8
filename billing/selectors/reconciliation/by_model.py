"""Reconciliation per model: the bill's lines, the events' cost and tokens, and the
provider's usage report, each per model over the days its sync covers; and the spend per
model as the max rule counts it."""

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from billing.models import ProviderCostBucket, ProviderUsageBucket
from billing.selectors.spend import provider_days, providers_of_service
from usage.models import DailyRollup

from .days import Span, add_amount, midnight
from .reports import ReconciledModel, TokenCounts

# The widths a usage report may come in: a provider's days are counted from one width only
# (daily buckets where there are any), so a sync that stored both never counts twice.
USAGE_WIDTHS = ("1d", "1h")


def cost_lines(organization_id: int, providers: list[str], start: date, end: date) -> QuerySet:
    """The providers' cost lines of [start, end]."""
    return ProviderCostBucket.objects.filter(
        organization_id=organization_id, provider__in=providers, day__gte=start, day__lte=end
    )


def service_rollups(
    organization_id: int, service_of: dict[str, str], start: date, end: date
) -> QuerySet:
    """The daily rollups of [start, end] of the providers in `service_of` (event provider to
    the synced service that bills it)."""
    return DailyRollup.objects.filter(
        organization_id=organization_id,
        provider__in=list(service_of),
        hour__gte=midnight(start),
        hour__lt=midnight(end + timedelta(days=1)),
    )


@dataclass(frozen=True)
class BilledByModel:
    amount: Decimal | None  # converted lines; None when every line lacks a rate
    unconverted: dict[str, Decimal]


def billed_by_model(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    spans: dict[str, Span],
) -> dict[str, dict[str | None, BilledByModel]]:
    rows = (
        cost_lines(organization_id, providers, start, end)
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
            add_amount(unconverted, row["currency"], row["unconverted"])
        sums[row["provider"]][model] = (amount, unconverted)
    return {
        name: {model: BilledByModel(*values) for model, values in models.items()}
        for name, models in sums.items()
    }


@dataclass(frozen=True)
class TrackedByModel:
    models: dict[str, dict[str, Decimal]]  # cost on cost-synced days
    tokens: dict[str, dict[str, TokenCounts]]  # tokens on usage-synced days


def tracked_by_model(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    cost_spans: dict[str, Span],
    usage_spans: dict[str, Span],
) -> TrackedByModel:
    """The events of each provider's service per model, from the daily rollups."""
    service_of = {p: service for service in providers for p in providers_of_service(service)}
    rows = (
        service_rollups(organization_id, service_of, start, end)
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
    return TrackedByModel(models, tokens)


def reported_tokens(
    organization_id: int,
    providers: list[str],
    start: date,
    end: date,
    spans: dict[str, Span],
) -> dict[str, dict[str, TokenCounts]]:
    rows = (
        ProviderUsageBucket.objects.filter(
            organization_id=organization_id,
            provider__in=providers,
            start__gte=midnight(start),
            start__lt=midnight(end + timedelta(days=1)),
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


def reconciled_models(
    billed: dict[str | None, BilledByModel],
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
        cost_lines(organization_id, providers, start, end)
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
        service_rollups(organization_id, service_of, start, end)
        .filter(priced_events__gt=0)
        .values("provider", "hour", "model")
        .annotate(cost=Sum("cost"))
        .order_by()
    )
    for row in events:
        key = (service_of[row["provider"]], row["hour"].astimezone(UTC).date())
        if key not in billed_side:
            amounts[row["model"]] = amounts.get(row["model"], Decimal(0)) + row["cost"]
    return amounts
