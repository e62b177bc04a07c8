"""The ingest side of the explorer's dimension rollups (usage.dimensions): a batch folded
per developer, customer and tag value, with the values admitted under the bound."""

from collections import defaultdict
from typing import Any

from tokentracker.models import Organization

from .dimensions import MAX_VALUES, dimensions_of, event_value, stored
from .folds import DIMENSION_COUNTERS, grouped, hour_of, sums_of
from .models import DimensionValue


def organization_dimensions(organization_id: int) -> tuple[str, ...]:
    """The dimensions an organization keeps: developer, customer and its tag keys."""
    tag_keys = (
        Organization.objects.filter(pk=organization_id).values_list("tag_keys", flat=True).first()
    )
    return dimensions_of(tag_keys or [])


def _admitted(organization_id: int, seen: dict[str, dict[str, None]]) -> dict[str, set[str]]:
    """The values of `seen` (per dimension, in order of first appearance) that have rows of
    their own, admitting new ones first come while the dimension has room."""
    admitted: dict[str, set[str]] = defaultdict(set)
    for dimension, value in DimensionValue.objects.filter(
        organization_id=organization_id, dimension__in=list(seen)
    ).values_list("dimension", "value"):
        admitted[dimension].add(value)
    fresh = []
    for dimension, values in seen.items():
        room = MAX_VALUES - len(admitted[dimension])
        new = [value for value in values if value not in admitted[dimension]][: max(room, 0)]
        fresh.extend(
            DimensionValue(organization_id=organization_id, dimension=dimension, value=value)
            for value in new
        )
    if fresh:
        # A concurrent batch may have admitted some of them (the insert then waits for it
        # and skips them): what counts is what the table holds now.
        DimensionValue.objects.bulk_create(fresh, ignore_conflicts=True)
        for row in fresh:
            admitted[row.dimension].add(row.value)
    return admitted


def dimension_fold(organization_id: int, rows: list[dict[str, Any]]) -> dict[tuple, dict]:
    """Sum a batch of one organization's event rows per hour, live/test, dimension, stored
    value, provider and model; in the caller's (ingest) transaction, as it may admit
    values."""
    if not rows:
        return {}
    dimensions = organization_dimensions(organization_id)
    values = {dimension: [event_value(row, dimension) for row in rows] for dimension in dimensions}
    # dict.fromkeys keeps each dimension's values in order of first appearance.
    seen = {dimension: dict.fromkeys(filter(None, column)) for dimension, column in values.items()}
    admitted = _admitted(organization_id, seen)
    hours = [
        (hour_of(row["occurred_at"]), row["livemode"], row["provider"], row["model"])
        for row in rows
    ]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for dimension, column in values.items():
        kept = admitted[dimension]
        stored_as = {value: stored(value, value in kept) for value in dict.fromkeys(column)}
        # Every key names its dimension: the dimensions' groups never meet.
        groups.update(
            grouped(
                (
                    (organization_id, hour, livemode, dimension, stored_as[value], provider, model),
                    row,
                )
                for row, value, (hour, livemode, provider, model) in zip(
                    rows, column, hours, strict=True
                )
            )
        )
    return {key: sums_of(group, DIMENSION_COUNTERS) for key, group in groups.items()}
