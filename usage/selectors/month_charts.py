"""Charts of the month, day by day, that apps above usage add to the overview.

The overview is usage's page, but budgets and end-of-month projections are billing's, and
billing sits above usage (the import-linter layers of DESIGN.md): usage may not ask billing
for them. So usage offers this extension point, as `billing.selectors.spend` offers its
`SOURCES`: an app registers a provider when it starts (`BillingConfig.ready`) and the
overview draws every chart the providers return. The overview knows days and lines, never
what a budget is; a deployment without billing shows none of these charts.

A line has one value per day of the month, None where it has none (a projection before
today, spend after it); values are money in `MonthChart.currency`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class LineKind(StrEnum):
    """How a line reads, so every provider's lines look alike (static/js/month_chart.js)."""

    ACTUAL = "actual"  # what was spent: solid
    LIMIT = "limit"  # a ceiling, a budget: dashed, in the danger colour
    ESTIMATE = "estimate"  # a projection: dashed
    LOW = "low"  # with HIGH right after it, the band of a range
    HIGH = "high"


@dataclass(frozen=True)
class MonthLine:
    label: str
    kind: LineKind
    values: tuple[Decimal | None, ...]  # one per day of the month

    @property
    def last(self) -> Decimal | None:
        """Its latest value: spend to date, the budget, the month-end estimate."""
        return next((value for value in reversed(self.values) if value is not None), None)


@dataclass(frozen=True)
class MonthChart:
    title: str
    currency: str
    days: tuple[date, ...]  # every day of the month, in order
    lines: tuple[MonthLine, ...]
    note: str = ""  # a sentence under the chart: how it was drawn

    def __post_init__(self) -> None:
        for line in self.lines:
            assert len(line.values) == len(self.days), f"{line.label}: one value per day"

    @property
    def script_data(self) -> dict[str, Any]:
        """What the chart script reads (json_script): plain numbers, days as ISO dates."""
        return {
            "currency": self.currency,
            "labels": [day.isoformat() for day in self.days],
            "lines": [
                {
                    "label": line.label,
                    "kind": str(line.kind),
                    "values": [None if value is None else float(value) for value in line.values],
                }
                for line in self.lines
            ],
        }

    @property
    def rows(self) -> Iterator[tuple[date, list[Decimal | None]]]:
        """Day by day, each line's value: the table that carries the numbers without
        JavaScript."""
        for index, day in enumerate(self.days):
            yield day, [line.values[index] for line in self.lines]


class MonthChartProvider(Protocol):
    def __call__(self, organization_id: int, *, now: datetime) -> MonthChart | None: ...


PROVIDERS: list[MonthChartProvider] = []


def month_chart_provider(provider: MonthChartProvider) -> MonthChartProvider:
    """Register a provider of a chart of `now`'s month (None: nothing to draw)."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def month_charts(organization_id: int, *, now: datetime) -> list[MonthChart]:
    """Every registered provider's chart of the organization's month, in registration
    order."""
    charts = (provider(organization_id, now=now) for provider in PROVIDERS)
    return [chart for chart in charts if chart is not None]
