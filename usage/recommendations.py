"""Cheaper models an organization could have used, priced on its own token mix.

For every model the organization used in a window (from the rollups), each catalog model of
the same price class and modality, from a provider the organization already uses, with a
context window at least as large, is priced on exactly the token parts the organization
sent (uncached input, cache reads and writes, output, reasoning). The cheapest one that
saves at least `MIN_SAVINGS_SHARE` becomes the recommendation. Where events carry success
and quality, an alternative the organization has used with worse results is never
suggested, and one that did as well raises the confidence. No data, no recommendation: a
model with unpriced events or no catalog entry is skipped.

Both sides are in the organization's reporting currency, as every other cost it is shown.
What it paid is its own cost (each event converted at the rate of its UTC day,
`usage.costs`); the alternative's catalog price is in USD, so it is converted the same way:
each token part's cost at the rates of the days those tokens were sent (`_conversion`). A
model used on a day with no USD rate gets no recommendation rather than a guessed one.
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from tokentracker.money import MONEY_QUANTUM, money_convert, reporting_currency_of
from usage.selectors.usage import UsageScope, UsageTotals, usage_by_day

from .costs import CATALOG_CURRENCY
from .models import ModelPrice
from .price_book import CatalogKey, price_book_get
from .pricing import CostParts, Rates, TokenParts, cost_compute

MIN_SAVINGS_SHARE = Decimal("0.05")
# Observed results count as "as good" within these margins.
SUCCESS_RATE_MARGIN = 0.02
QUALITY_SHARE_MARGIN = 0.05


@dataclass(frozen=True)
class Recommendation:
    provider: str
    model: str
    alternative_provider: str
    alternative: str
    requests: int
    # In `currency`, the organization's reporting currency.
    current_cost: Decimal
    alternative_cost: Decimal
    potential_savings: Decimal
    currency: str
    confidence: float
    reasoning: str


@dataclass(frozen=True)
class _CatalogModel:
    key: CatalogKey
    rates: Rates
    tier_class: str
    modality: str
    context_window: int | None
    is_active: bool


def _catalog(providers: set[str]) -> dict[CatalogKey, _CatalogModel]:
    rows = ModelPrice.objects.filter(provider__in=providers, effective_to__isnull=True)
    catalog = {}
    for row in rows:
        rates = Rates(
            input=row.input_per_mtok,
            output=row.output_per_mtok,
            cache_read=row.cache_read_per_mtok,
            cache_write=row.cache_write_per_mtok,
            reasoning=row.reasoning_per_mtok,
        )
        key = (row.provider, row.model)
        catalog[key] = _CatalogModel(
            key, rates, row.tier_class, row.modality, row.context_window, row.is_active
        )
    return catalog


def _mix(totals: UsageTotals) -> TokenParts:
    return TokenParts(
        uncached_input=totals.uncached_input_tokens,
        cache_read=totals.cache_read_tokens,
        cache_write=totals.cache_write_tokens,
        output=totals.output_tokens - totals.reasoning_tokens,
        reasoning=totals.reasoning_tokens,
    )


def _as_good(alternative: UsageTotals, used: UsageTotals) -> bool | None:
    """Did the alternative do as well where both were observed? None: nothing to compare."""
    verdicts = []
    if alternative.success_rate is not None and used.success_rate is not None:
        verdicts.append(alternative.success_rate >= used.success_rate - SUCCESS_RATE_MARGIN)
    if alternative.quality_average is not None and used.quality_average is not None:
        floor = used.quality_average * (1 - QUALITY_SHARE_MARGIN)
        verdicts.append(alternative.quality_average >= floor)
    return all(verdicts) if verdicts else None


# Each token part (a TokenParts field) and its cost (the CostParts field).
COST_OF_PART = {
    "uncached_input": "input",
    "cache_read": "cache_read",
    "cache_write": "cache_write",
    "output": "output",
    "reasoning": "reasoning",
}
PARTS = tuple(COST_OF_PART)


@dataclass(frozen=True)
class _Conversion:
    """Per token part, what one USD of its catalog cost is in the reporting currency over
    the window: each day's rate, weighted by that part's tokens that day."""

    per_part: dict[str, Decimal]

    def convert(self, costs: CostParts) -> Decimal:
        with localcontext() as context:
            context.prec = 60
            total = sum(
                (getattr(costs, COST_OF_PART[part]) * rate for part, rate in self.per_part.items()),
                Decimal(0),
            )
            return total.quantize(MONEY_QUANTUM)


def _conversion(days: dict[date, UsageTotals], currency: str) -> _Conversion | None:
    """How a model's tokens convert from USD, or None when one of its days has no rate.

    A catalog cost is linear in each part's tokens, so converting a whole window's cost
    part by part at these weighted rates gives what converting each day's cost at its own
    rate would, with one pricing per alternative instead of one per day.
    """
    weighted = dict.fromkeys(PARTS, Decimal(0))
    tokens = dict.fromkeys(PARTS, 0)
    with localcontext() as context:
        context.prec = 60  # exact: the only rounding is the cost's, to twelve places
        for day, totals in days.items():
            rate = money_convert(amount=Decimal(1), currency=CATALOG_CURRENCY, to=currency, on=day)
            if rate is None:
                return None
            mix = _mix(totals)
            for part in PARTS:
                count = getattr(mix, part)
                weighted[part] += rate * count
                tokens[part] += count
        return _Conversion({part: weighted[part] / tokens[part] for part in PARTS if tokens[part]})


def _money(amount: Decimal, currency: str) -> str:
    """USD as $1.12 (below one, four places: $0.4480); another currency with its code
    after the number (0.3584 EUR), as the dashboard writes money."""
    number = f"{amount:,.2f}" if abs(amount) >= 1 else f"{amount:,.4f}"
    return f"${number}" if currency == "USD" else f"{number} {currency}"


def _confidence(requests: int, same_provider: bool, proven: bool) -> float:
    # More observed requests make the token mix representative; a proven alternative and an
    # existing provider relationship make the switch cheaper to try.
    volume = min(1.0, math.log10(max(requests, 1)) / 3)
    score = 0.5 + 0.25 * volume + (0.1 if same_provider else 0) + (0.1 if proven else 0)
    return round(min(score, 0.95), 2)


def recommendations_for(scope: UsageScope) -> list[Recommendation]:
    """Cheaper models for the usage of `scope`, most savings first; every amount in the
    organization's reporting currency."""
    used = usage_by_day(scope, "provider", "model")
    if not used:
        return []
    currency = reporting_currency_of(scope.organization_id)
    book = price_book_get()
    catalog = _catalog({dims["provider"] for dims, _ in used})
    observed: dict[CatalogKey, UsageTotals] = {}
    resolved: list[tuple[dict[str, str], dict[date, UsageTotals], UsageTotals, _CatalogModel]]
    resolved = []
    for dims, days in used:
        key = book.resolve(dims["provider"], dims["model"])
        if key is None or key not in catalog:
            continue
        totals = UsageTotals.combined(days.values())
        observed.setdefault(key, totals)
        resolved.append((dims, days, totals, catalog[key]))

    found = []
    for dims, days, totals, current in resolved:
        if totals.unpriced_events or totals.cost <= 0:
            continue
        conversion = _conversion(days, currency)
        if conversion is None:
            continue
        mix = _mix(totals)
        best: tuple[Decimal, _CatalogModel, bool] | None = None
        for candidate in catalog.values():
            if (
                candidate.key == current.key
                or not candidate.is_active
                or candidate.tier_class != current.tier_class
                or candidate.modality != current.modality
                or (current.context_window or 0) > (candidate.context_window or 0)
            ):
                continue
            costs = cost_compute(mix, candidate.rates)
            if costs is None:
                continue
            cost = conversion.convert(costs)
            if totals.cost - cost < totals.cost * MIN_SAVINGS_SHARE:
                continue
            verdict = (
                _as_good(observed[candidate.key], totals) if candidate.key in observed else None
            )
            if verdict is False:
                continue
            if best is None or cost < best[0]:
                best = (cost, candidate, bool(verdict))
        if best is None:
            continue
        alternative_cost, candidate, proven = best
        found.append(
            _recommendation(
                dims, totals, current, candidate, alternative_cost, currency, proven=proven
            )
        )
    found.sort(key=lambda r: (-r.potential_savings, r.model))
    return found


def _recommendation(
    dims: dict[str, str],
    totals: UsageTotals,
    current: _CatalogModel,
    candidate: _CatalogModel,
    alternative_cost: Decimal,
    currency: str,
    *,
    proven: bool,
) -> Recommendation:
    savings = totals.cost - alternative_cost
    share = savings / totals.cost * 100
    prompt = totals.uncached_input_tokens + totals.cache_read_tokens + totals.cache_write_tokens
    reasoning = (
        f"{candidate.key[1]} would have cost {_money(alternative_cost, currency)} instead of "
        f"{_money(totals.cost, currency)} ({share:.0f}% less) for the {prompt:,} prompt and "
        f"{totals.output_tokens:,} output tokens sent to {dims['model']} in "
        f"{totals.events:,} requests; both are {current.tier_class}-class {current.modality} "
        f"models"
    )
    if candidate.context_window:
        reasoning += f" and {candidate.key[1]} takes {candidate.context_window:,} tokens of context"
    if proven:
        reasoning += ", and it did as well on your own requests"
    reasoning += "."
    return Recommendation(
        provider=dims["provider"],
        model=dims["model"],
        alternative_provider=candidate.key[0],
        alternative=candidate.key[1],
        requests=totals.events,
        current_cost=totals.cost,
        alternative_cost=alternative_cost,
        potential_savings=savings,
        currency=currency,
        confidence=_confidence(
            totals.events, same_provider=candidate.key[0] == dims["provider"], proven=proven
        ),
        reasoning=reasoning,
    )
