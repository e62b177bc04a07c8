"""Which community groups of one day may be published: k-anonymity, with no small group
recoverable by subtracting published rows from one another.

A group is a day's dimension value (`provider=openai`, `model=o1`, or the day's `total`),
the sum of *cells*: one organization's usage of one provider, model, platform and use case.

Rules, with k = `OPENDATA_COMMUNITY_MIN_CONTRIBUTORS`:

1. Primary suppression: a group is published only with at least k organizations behind it.
2. Secondary suppression, across dimensions. A published group P *contains* a group G of
   another dimension when all of G's cells lie in P: the total contains every group; a
   provider contains each model only it serves (the model-within-provider hierarchy); and
   any group contains another when the data happen to nest that way (every `cursor` event
   went to openai). For every published P and every other dimension D,
   `P - (the published D-groups P contains)` is the sum of the rest of P's cells, and
   must stand for 0 or at least k organizations. While it does not, the published D-group
   inside P with the fewest organizations is suppressed too.

   So `provider=openai - model=gpt-4o` cannot be one organization's `o1`: with `o1`
   dropped, `gpt-4o` goes as well (or more openai models stand between). The same rule
   with P = total is the within-dimension one: `total - published providers` (or
   platforms, use cases, models) hides either nothing or at least k organizations.

Suppressing a group never breaks the rule elsewhere (the remainder of any P containing it
gains the group's own >= k organizations), so one pass settles a day; a second pass checks.

Limits, what this does not guarantee:
- Unions of parents: a model served by two providers lies in neither alone, so
  `openai + azure - (their shared and own models)` is not checked; only the total is. The
  same holds for any sum of several published groups of one dimension.
- Differences mixing three dimensions (a provider minus some models minus some platforms)
  need the intersections, which are never published, but could still be solved for by an
  attacker with other knowledge.
- Dominance: a remainder of k organizations may be almost all one organization's usage;
  k-anonymity counts organizations, not shares.
- Across days, each day stands alone: a published day is never recomputed (see
  `opendata.services.community_refresh`), because two versions of one day would differ by
  exactly the organizations that joined or left between them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from tokentracker.models import QualityScale
from usage.selectors.usage import UsageTotals

TOTAL = "total"
TOTAL_VALUE = "all"
UNSPECIFIED = "unspecified"
# The dimensions besides total, in the order of a cell's `values`.
DIMENSIONS = ("provider", "model", "platform", "use_case")

GroupKey = tuple[str, str]  # (dimension, dimension_value)

# Quality scores are "your scale" on every ingest path; the dataset publishes them on 0..1.
# What each organization's scores are out of is what it declares (QualityScale); without a
# declaration nothing is inferred and its scores stay out of `quality_avg`.
QUALITY_OUT_OF = {QualityScale.UNIT: 1.0, QualityScale.PERCENT: 100.0}


def quality_on_published_scale(totals: UsageTotals, scale: str) -> UsageTotals:
    """One organization's sums with its quality scores on 0..1, or without them: when its
    scale is not declared comparable, or when the mean of its scores lands outside 0..1
    (scores not on the scale it declared: a rollup keeps sums, not single scores)."""
    out_of = QUALITY_OUT_OF.get(QualityScale(scale))
    if out_of is None or not totals.quality_count:
        return replace(totals, quality_sum=0.0, quality_count=0)
    quality_sum = totals.quality_sum / out_of
    if not 0 <= quality_sum / totals.quality_count <= 1:
        return replace(totals, quality_sum=0.0, quality_count=0)
    return replace(totals, quality_sum=quality_sum)


@dataclass(frozen=True)
class Cell:
    """One organization's sums for one (provider, model, platform, use_case) of the day."""

    organization_id: int
    values: tuple[str, ...]  # one per DIMENSIONS
    totals: UsageTotals

    def value(self, dimension: str) -> str:
        return TOTAL_VALUE if dimension == TOTAL else self.values[DIMENSIONS.index(dimension)]


@dataclass
class Group:
    """One day's dimension value: the cells behind it."""

    cells: list[Cell] = field(default_factory=list)

    @cached_property
    def organizations(self) -> frozenset[int]:
        return frozenset(cell.organization_id for cell in self.cells)

    @cached_property
    def totals(self) -> UsageTotals:
        return UsageTotals.combined(cell.totals for cell in self.cells)

    @property
    def contributors(self) -> int:
        return len(self.organizations)

    @cached_property
    def spans(self) -> dict[str, frozenset[str]]:
        """Per dimension, the values this group's cells take (one value: contained in it)."""
        return {d: frozenset(cell.value(d) for cell in self.cells) for d in DIMENSIONS}


def day_groups(cells: Iterable[Cell]) -> dict[GroupKey, Group]:
    """Every group of one day: the total and each value of each dimension."""
    groups: dict[GroupKey, Group] = {}
    for cell in cells:
        for dimension in (TOTAL, *DIMENSIONS):
            key = (dimension, cell.value(dimension))
            groups.setdefault(key, Group()).cells.append(cell)
    return groups


def _containment(
    groups: dict[GroupKey, Group], keys: set[GroupKey]
) -> dict[tuple[GroupKey, str], list[GroupKey]]:
    """{(parent key, dimension): the `keys` of that dimension the parent contains}."""
    inside: dict[tuple[GroupKey, str], list[GroupKey]] = {}
    for key in sorted(keys):
        dimension = key[0]
        if dimension == TOTAL:
            continue
        inside.setdefault(((TOTAL, TOTAL_VALUE), dimension), []).append(key)
        for other, values in groups[key].spans.items():
            if other != dimension and len(values) == 1:
                (value,) = values
                inside.setdefault(((other, value), dimension), []).append(key)
    return inside


def _smallest(keys: list[GroupKey], groups: dict[GroupKey, Group]) -> GroupKey:
    return min(keys, key=lambda k: (groups[k].contributors, groups[k].totals.events, k))


def _suppress_leaks(groups: dict[GroupKey, Group], published: set[GroupKey], k: int) -> int:
    """One pass of rule 2 over every published parent; returns how many were suppressed."""
    suppressed = 0
    containment = _containment(groups, published)
    # Parents from the top of the hierarchy down, so a provider settles before its models.
    for parent in sorted(published, key=lambda key: ((TOTAL, *DIMENSIONS).index(key[0]), key)):
        if parent not in published:
            continue
        for dimension in DIMENSIONS:
            inside = [key for key in containment.get((parent, dimension), []) if key in published]
            if not inside:
                continue  # the remainder is the parent itself: k or more
            subtracted = {value for _, value in inside}
            remainder = {
                cell.organization_id
                for cell in groups[parent].cells
                if cell.value(dimension) not in subtracted
            }
            if 0 < len(remainder) < k:
                published.discard(_smallest(inside, groups))
                suppressed += 1
    return suppressed


def groups_publishable(groups: dict[GroupKey, Group], k: int) -> dict[GroupKey, Group]:
    """The groups of one day that may be published (see the module doc)."""
    published = {key for key, group in groups.items() if group.contributors >= k}
    while _suppress_leaks(groups, published, k):
        pass
    return {key: groups[key] for key in sorted(published)}
