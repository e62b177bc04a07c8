"""A time series stacked by model or provider, as the explorer's and the overview's charts
draw it: the costliest few values apart, the rest together as "Other" so a chart of
forty models stays legible. Every bucket's parts add up to the unstacked series."""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from usage.genai_catalog import provider_display

from .series import usage_series_by
from .usage import UsageScope, UsageTotals

STACK_DIMENSIONS = ("model", "provider")
STACK_TOP = 5
OTHER = "Other"


@dataclass(frozen=True)
class StackedSeries:
    dimension: str
    buckets: list[datetime]
    # (label, totals per bucket), costliest first, "Other" last when there is one.
    parts: list[tuple[str, list[UsageTotals]]]

    def rows(self) -> list[tuple[datetime, list[UsageTotals]]]:
        """Bucket by bucket, each part's totals in the order of `parts` (the table)."""
        return [
            (bucket, [totals[index] for _, totals in self.parts])
            for index, bucket in enumerate(self.buckets)
        ]

    def chart_data(self, granularity: str) -> dict:
        """What static/js/charts.js reads (json_script): labels (in UTC, as
        `dashboard.series_points` writes them) and one dataset a part."""
        label_format = "%Y-%m-%d %H:00" if granularity == "hour" else "%Y-%m-%d"
        return {
            "labels": [bucket.strftime(label_format) for bucket in self.buckets],
            "datasets": [
                {
                    "label": label,
                    "cost": [float(totals.cost) for totals in series],
                    "events": [totals.events for totals in series],
                    "unpriced": [totals.unpriced_events for totals in series],
                }
                for label, series in self.parts
            ],
        }


def _rank(totals: list[UsageTotals]) -> tuple:
    combined = UsageTotals.combined(totals)
    return (-combined.cost, -combined.events)


def stacked_series(
    scope: UsageScope,
    granularity: str,
    dimension: str,
    top: int = STACK_TOP,
    zone: tzinfo = UTC,
) -> StackedSeries:
    """The scope's series split by `dimension` (model or provider): the `top` costliest
    values (then most events), and every other value summed as "Other". Buckets as
    `usage_series` makes them in `zone`."""
    if dimension not in STACK_DIMENSIONS:
        raise ValueError(f"a series is stacked by {' or '.join(STACK_DIMENSIONS)}")
    by_value = usage_series_by(scope, granularity, dimension, zone)
    ranked = sorted(by_value.items(), key=lambda item: (*_rank([t for _, t in item[1]]), item[0]))
    buckets = [bucket for bucket, _ in next(iter(by_value.values()), [])]
    parts: list[tuple[str, list[UsageTotals]]] = []
    for value, series in ranked[:top]:
        label = provider_display(value) if dimension == "provider" else value or "(none)"
        parts.append((label, [totals for _, totals in series]))
    rest = ranked[top:]
    if rest:
        parts.append(
            (
                OTHER,
                [
                    UsageTotals.combined(series[index][1] for _, series in rest)
                    for index in range(len(buckets))
                ],
            )
        )
    return StackedSeries(dimension, buckets, parts)
