"""Read the installed genai-prices snapshot into catalog rows (no network, ever).

genai-prices describes a model's price history as a list of conditional prices, the last
active one winning. We turn that into explicit versions with `effective_from`/`effective_to`
by evaluating the list on each interval between start dates. Two kinds of genai-prices
pricing have no column here and are left out, as the note on the foundation issue says:
time-of-day discounts (DeepSeek off-peak) and request-context variants (service tiers).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from genai_prices import types as gp
from genai_prices.data_snapshot import find_provider_by_id, get_snapshot

from .models import TierClass

PRICE_QUANTUM = Decimal("0.0000000001")  # ModelPrice columns hold 10 decimal places

_PRICE_KEYS = {
    "input_mtok": "input_per_mtok",
    "output_mtok": "output_per_mtok",
    "cache_read_mtok": "cache_read_per_mtok",
    "cache_write_mtok": "cache_write_per_mtok",
    "output_reasoning_mtok": "reasoning_per_mtok",
}
_LONG_CONTEXT_KEYS = {
    "input_mtok": "long_context_input_per_mtok",
    "output_mtok": "long_context_output_per_mtok",
    "cache_read_mtok": "long_context_cache_read_per_mtok",
    "cache_write_mtok": "long_context_cache_write_per_mtok",
}
_MULTIMODAL_MARKERS = ("audio", "image", "video")


@dataclass
class CatalogRow:
    provider: str
    model: str
    effective_from: datetime | None
    effective_to: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(PRICE_QUANTUM)


def _price_fields(price: gp.ModelPrice) -> dict[str, Any]:
    values: dict[str, Any] = {column: None for column in _PRICE_KEYS.values()}
    values.update({column: None for column in _LONG_CONTEXT_KEYS.values()})
    values["long_context_threshold"] = None
    for key, column in _PRICE_KEYS.items():
        price_value = getattr(price, key, None)
        if isinstance(price_value, gp.TieredPrices):
            values[column] = _quantize(price_value.base)
            # Only the first tier has a column; every genai-prices model with several tiers
            # is an image/audio model whose later tiers we do not price.
            first = price_value.tiers[0]
            if key in _LONG_CONTEXT_KEYS:
                values[_LONG_CONTEXT_KEYS[key]] = _quantize(first.price)
                values["long_context_threshold"] = first.start
        elif price_value is not None:
            values[column] = _quantize(price_value)
    keys = [key for key, value in price.__dict__.items() if value is not None]
    values["modality"] = (
        "multimodal"
        if any(marker in key for key in keys for marker in _MULTIMODAL_MARKERS)
        else "text"
    )
    values["tier_class"] = tier_class_for(values["input_per_mtok"], values["output_per_mtok"])
    return values


def tier_class_for(input_price: Decimal | None, output_price: Decimal | None) -> str:
    """A first classification from the blended 3:1 price; admins can reclassify.

    Frontier from $3/Mtok blended (gpt-4o, Claude Sonnet, Gemini 2.5 Pro), budget up to
    $0.50 (gpt-4o-mini, Gemini Flash, Claude Haiku 3), other in between or unpriced.
    """
    if input_price is None or output_price is None:
        return TierClass.OTHER
    blended = (3 * input_price + output_price) / 4
    if blended >= 3:
        return TierClass.FRONTIER
    if blended <= Decimal("0.5"):
        return TierClass.BUDGET
    return TierClass.OTHER


def _price_at(prices: list[gp.ConditionalPrice], moment: date | None) -> gp.ModelPrice:
    """The price genai-prices would use on `moment` (None: before every start date)."""
    for conditional in reversed(prices):
        constraint = conditional.constraint
        if constraint is None:
            return conditional.prices
        if (
            isinstance(constraint, gp.StartDateConstraint)
            and moment is not None
            and constraint.start_date <= moment
        ):
            return conditional.prices
    return prices[0].prices


def _versions(info: gp.ModelInfo) -> list[tuple[date | None, date | None, gp.ModelPrice]]:
    if isinstance(info.prices, gp.ModelPrice):
        return [(None, None, info.prices)]
    starts = sorted(
        {
            conditional.constraint.start_date
            for conditional in info.prices
            if isinstance(conditional.constraint, gp.StartDateConstraint)
        }
    )
    boundaries: list[date | None] = [None, *starts]
    versions: list[tuple[date | None, date | None, gp.ModelPrice]] = []
    for index, start in enumerate(boundaries):
        end = boundaries[index + 1] if index + 1 < len(boundaries) else None
        price = _price_at(info.prices, start)
        if versions and versions[-1][2] == price:
            versions[-1] = (versions[-1][0], end, price)
        else:
            versions.append((start, end, price))
    return versions


def _as_datetime(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _exact_names(match: Any) -> Iterator[str]:
    if isinstance(match, gp.ClauseEquals):
        yield match.equals
    elif isinstance(match, gp.ClauseOr):
        for clause in match.or_:
            yield from _exact_names(clause)


def catalog_rows() -> Iterator[CatalogRow]:
    for provider in get_snapshot().providers:
        for info in provider.models:
            for start, end, price in _versions(info):
                fields = _price_fields(price)
                fields.update(
                    display_name=(info.name or "")[:200],
                    context_window=info.context_window,
                    is_active=not info.deprecated,
                )
                yield CatalogRow(
                    provider=provider.id,
                    model=info.id,
                    effective_from=_as_datetime(start),
                    effective_to=_as_datetime(end),
                    fields=fields,
                )


def catalog_aliases() -> Iterator[tuple[str, str, str]]:
    """(provider, alias, model) for every exact spelling genai-prices matches to a model."""
    for provider in get_snapshot().providers:
        seen: set[str] = set()
        for info in provider.models:
            for name in _exact_names(info.match):
                name = name.lower()
                if name != info.id and name not in seen:
                    seen.add(name)
                    yield provider.id, name, info.id


def provider_canonical(provider: str) -> str:
    """genai-prices' provider id for a spelling ("OpenAI", "gemini", "bedrock"), else as given."""
    normalised = provider.strip().lower()
    found = find_provider_by_id(get_snapshot().providers, normalised)
    return found.id if found else normalised


@cache
def provider_display(provider: str) -> str:
    """A provider id's human name ("openai" → "OpenAI"), else the id as stored."""
    found = find_provider_by_id(get_snapshot().providers, provider)
    return found.name if found else provider


def model_match(provider: str, model: str) -> tuple[str, str] | None:
    """genai-prices' own matching for a model name the catalog does not hold literally."""
    snapshot = get_snapshot()
    known_provider = find_provider_by_id(snapshot.providers, provider) is not None
    try:
        found_provider, info = snapshot.find_provider_model(
            model, None, provider if known_provider else None, None
        )
    except LookupError:
        return None
    return found_provider.id, info.id


UNKNOWN_PROVIDER = "unknown"


@lru_cache(maxsize=4096)
def model_provider_guess(model: str) -> str:
    """The provider genai-prices knows a bare model name from ("gpt-4o" → "openai"), for
    doors whose body names no provider; "unknown" when it knows none."""
    matched = model_match("", model)
    return matched[0] if matched else UNKNOWN_PROVIDER
