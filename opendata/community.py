"""Which community groups may be published: k-anonymity, and no small group by difference.

A group (a day and a dimension value) is published only when at least k distinct
organizations contributed to it. Dropping the small groups is not enough on its own: the
day's total is published too, so `total - (published groups of a dimension)` would give
the sum of the dropped groups, which may be one organization's usage. So, per day and
dimension, the dropped groups taken together must also stand for at least k
organizations (or for none); while they do not, the published group with the fewest
contributors is dropped as well (secondary suppression).

Not covered: differences across dimensions (a provider minus the published models of that
provider), which would need suppression across the dimension hierarchy.
"""

from dataclasses import dataclass, field
from functools import cached_property

from usage.selectors import UsageTotals


@dataclass
class Group:
    """One day's dimension value: the rollup sums of each organization behind it."""

    parts: list[UsageTotals] = field(default_factory=list)
    organizations: set[int] = field(default_factory=set)

    def add(self, organization_id: int, sums: UsageTotals) -> None:
        self.parts.append(sums)
        self.organizations.add(organization_id)

    @cached_property
    def totals(self) -> UsageTotals:
        return UsageTotals.combined(self.parts)

    @property
    def contributors(self) -> int:
        return len(self.organizations)


def groups_publishable(groups: dict[str, Group], k: int) -> dict[str, Group]:
    """The groups of one day and dimension that may be published (see the module doc)."""
    published = {value: g for value, g in groups.items() if g.contributors >= k}
    dropped_orgs: set[int] = set()
    for value, group in groups.items():
        if value not in published:
            dropped_orgs |= group.organizations
    while published and 0 < len(dropped_orgs) < k:
        smallest = min(
            published, key=lambda v: (published[v].contributors, published[v].totals.events, v)
        )
        dropped_orgs |= published.pop(smallest).organizations
    return published
