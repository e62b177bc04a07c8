"""The explorer's dimension breakdowns (developer, customer, tags): from their own rollups
when those answer the scope, else from its raw events, the same rows either way."""

from dataclasses import dataclass

from ..dimensions import shown, value_expression
from ..models import DimensionValue
from ..rollup_rebuild import event_sums
from .usage import UsageScope, UsageTotals, dimension_rollup_sums


@dataclass(frozen=True)
class DimensionRow:
    """One row of a dimension breakdown: `value` is None for the Other bucket (the values
    past the organization's first usage.dimensions.MAX_VALUES), "" for events with no
    value ("(none)")."""

    value: str | None
    totals: UsageTotals

    @property
    def is_other(self) -> bool:
        return self.value is None


def dimension_breakdown(scope: UsageScope, dimension: str) -> list[DimensionRow]:
    """The scope's totals per value of an explorer dimension ("developer", "customer" or
    "tag:<key>", usage.dimensions), costliest first, then by most events.

    Reads the dimension rollups (as fast as a breakdown by model) when the scope narrows
    only by provider, model, live/test and this dimension's own values; otherwise sums the
    raw events of the scope (`UsageScope.events`), values beyond the admitted ones summed
    as Other so both reads give the same rows. Either way the rows add up exactly to the
    scope's totals. A dimension the organization does not keep (a tag key not in its
    `tag_keys`) has no rollup rows: the caller checks the key first.
    """
    groups: dict[str | None, list[UsageTotals]] = {}
    if scope.answers_from_dimension_rollups(dimension):
        for part in scope.dimension_rollups(dimension):
            for row in part.values("value").annotate(**dimension_rollup_sums()).order_by():
                groups.setdefault(shown(row["value"]), []).append(UsageTotals.from_row(row))
    else:
        admitted = set(
            DimensionValue.objects.filter(
                organization_id=scope.organization_id, dimension=dimension
            ).values_list("value", flat=True)
        )
        events = scope.events().annotate(dimension_raw=value_expression(dimension))
        for row in events.values("dimension_raw").annotate(**event_sums("sum_")).order_by():
            value = row["dimension_raw"]
            key = value if value == "" or value in admitted else None
            groups.setdefault(key, []).append(UsageTotals.from_row(row))
    rows = [DimensionRow(value, UsageTotals.combined(parts)) for value, parts in groups.items()]
    rows.sort(
        key=lambda row: (-row.totals.cost, -row.totals.events, row.value is None, row.value or "")
    )
    return rows
