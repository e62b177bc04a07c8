"""The usage app's models, by domain noun: the price catalog, events (with receipts,
payloads, evals and pending tracks), the rollups, and the session summaries."""

# Session summaries live in usage.sessions; imported here so Django registers them with
# the usage app.
from usage.sessions.models import SessionDelta, SessionSummary

from .events import (
    COST,
    CostSource,
    Eval,
    IngestReceipt,
    Outcome,
    PendingTrack,
    RequestPayload,
    UsageEvent,
)
from .prices import (
    PRICE,
    ModelAlias,
    ModelPrice,
    PriceSource,
    TierClass,
)
from .rollups import (
    DIMENSION_ROLLUP_DIMENSIONS,
    DIMENSION_ROLLUP_KEY,
    ROLLUP_DIMENSIONS,
    DailyRollup,
    DimensionDailyRollup,
    DimensionHourlyRollup,
    DimensionRollupDelta,
    DimensionRollupFields,
    DimensionSetAsideDelta,
    DimensionValue,
    HourlyRollup,
    RollupCounters,
    RollupDelta,
    RollupFields,
    SetAsideDelta,
)

__all__ = [
    "COST",
    "DIMENSION_ROLLUP_DIMENSIONS",
    "DIMENSION_ROLLUP_KEY",
    "PRICE",
    "ROLLUP_DIMENSIONS",
    "CostSource",
    "DailyRollup",
    "DimensionDailyRollup",
    "DimensionHourlyRollup",
    "DimensionRollupDelta",
    "DimensionRollupFields",
    "DimensionSetAsideDelta",
    "DimensionValue",
    "Eval",
    "HourlyRollup",
    "IngestReceipt",
    "ModelAlias",
    "ModelPrice",
    "Outcome",
    "PendingTrack",
    "PriceSource",
    "RequestPayload",
    "RollupCounters",
    "RollupDelta",
    "RollupFields",
    "SessionDelta",
    "SessionSummary",
    "SetAsideDelta",
    "TierClass",
    "UsageEvent",
]
