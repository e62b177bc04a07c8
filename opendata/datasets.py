"""The published datasets: their names, wrappers and field dictionary.

Field names, types and units follow MyTokenTracker's open data (`schema.json`), so a client
written for its datasets reads ours unchanged. `/api/v1/data/schema` serves this dictionary.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

USD_PER_MTOK = "USD/Mtok"
NO_SEPARATE_PRICE = "0 when not priced apart (or unknown)."


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string | number | integer | boolean | date
    description: str = ""
    unit: str = ""

    def as_dict(self) -> dict[str, str]:
        described = {"name": self.name, "type": self.type}
        if self.unit:
            described["unit"] = self.unit
        if self.description:
            described["description"] = self.description
        return described


@dataclass(frozen=True)
class Dataset:
    key: str
    name: str
    description: str
    fields: tuple[Field, ...]
    unit: str | None = None  # the wrapper's `unit`, when the dataset has one
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"/api/v1/data/{self.key}"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


COST_INDEX = Dataset(
    key="cost-index",
    name="AI Cost Index",
    description=(
        "Blended price ($/Mtok, 3:1 input:output) of fixed model baskets, over time: the "
        "mean over the basket's models of each model's closing price of the day."
    ),
    unit="USD per 1,000,000 tokens",
    extra={"blend_ratio": "3:1"},
    fields=(
        Field("index_key", "string", "Basket: frontier or budget."),
        Field("date", "date", "Index date (UTC)."),
        Field("blended_per_mtok", "number", "Blended price, 3:1 input:output.", USD_PER_MTOK),
        Field("input_per_mtok", "number", "Average input price across the basket.", USD_PER_MTOK),
        Field("output_per_mtok", "number", "Average output price across the basket.", USD_PER_MTOK),
        Field("constituents", "integer", "Models present in the basket that day."),
    ),
)

COMMUNITY = Dataset(
    key="community",
    name="Community AI Usage",
    description=(
        "Anonymized daily aggregate of AI usage and cost across opted-in organizations. "
        "k-anonymity gated: a group is published only with at least k organizations behind it."
    ),
    fields=(
        Field("date", "date", "Aggregation date (UTC)."),
        Field("dimension", "string", "total | provider | model | platform | use_case."),
        Field(
            "dimension_value",
            "string",
            "The dimension value (e.g. 'openai'), 'unspecified' when not reported, or 'all' "
            "for the total.",
        ),
        Field("events", "integer", "Number of usage events."),
        Field("tokens", "integer", "Total tokens (input + output + cache)."),
        Field("cost", "number", "Total cost.", "USD"),
        Field("contributors", "integer", "Distinct opted-in organizations."),
        Field("success", "integer", "Events flagged success=true."),
        Field(
            "quality_avg",
            "number",
            "Average quality score on a 0 to 1 scale, or null. Each organization declares "
            "the scale of its scores (0 to 1, or 0 to 100: divided by 100); scores of an "
            "organization that declared none, or another scale, are left out.",
        ),
        Field("latency_avg_ms", "integer", "Average latency in ms, or null."),
    ),
)

MODELS = Dataset(
    key="models",
    name="AI Model Price Catalog",
    description=(
        "Current per-model prices ($/Mtok) for input, output, cache, and reasoning. "
        "0 = unknown or not applicable: a cache or reasoning price of 0 means no separate "
        "price (such tokens are charged as input, resp. output), a context_window or "
        "max_output of 0 that the catalog does not know it."
    ),
    unit="USD per 1,000,000 tokens",
    fields=(
        Field("provider", "string", "Provider slug."),
        Field("model", "string", "Model key/identifier."),
        Field("input_per_mtok", "number", unit=USD_PER_MTOK),
        Field("output_per_mtok", "number", unit=USD_PER_MTOK),
        Field("cache_read_per_mtok", "number", NO_SEPARATE_PRICE, USD_PER_MTOK),
        Field("cache_write_per_mtok", "number", NO_SEPARATE_PRICE, USD_PER_MTOK),
        Field("reasoning_per_mtok", "number", NO_SEPARATE_PRICE, USD_PER_MTOK),
        Field("context_window", "integer", "0 when the catalog does not know it.", "tokens"),
        Field("max_output", "integer", "0 when the catalog does not know it.", "tokens"),
        Field("modality", "string"),
        Field(
            "effective_date",
            "date",
            "Day the price took effect; for a price older than the catalog's history, the day "
            "the catalog recorded it.",
        ),
        Field("source", "string"),
        Field("is_active", "boolean"),
    ),
)

DATASETS: dict[str, Dataset] = {d.key: d for d in (COST_INDEX, COMMUNITY, MODELS)}


def publisher() -> dict[str, Any]:
    """License and attribution of this deployment (settings, from the environment)."""
    return {"license": settings.OPENDATA_LICENSE, "attribution": settings.OPENDATA_ATTRIBUTION}
