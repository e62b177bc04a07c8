"""groups_publishable: k-anonymity per group, and no small group recoverable by difference."""

from opendata.community import Group, groups_publishable
from usage.selectors import UsageTotals


def group(*organizations: int) -> Group:
    made = Group()
    for organization_id in organizations:
        made.add(organization_id, UsageTotals(events=1))
    return made


def test_groups_below_k_are_dropped_when_the_dropped_ones_together_reach_k():
    groups = {"a": group(1, 2, 3), "b": group(4, 5), "c": group(6)}

    assert list(groups_publishable(groups, 3)) == ["a"]


def test_the_smallest_published_group_goes_until_the_dropped_ones_reach_k():
    groups = {
        "big": group(1, 2, 3, 4, 5),
        "small": group(6, 7, 8),
        "tiny": group(9),
    }

    # "tiny" alone would be total - big - small: "small" is dropped with it.
    assert list(groups_publishable(groups, 3)) == ["big"]


def test_when_nothing_is_dropped_every_group_of_k_is_published():
    groups = {"a": group(1, 2, 3), "b": group(1, 2, 3, 4)}

    assert set(groups_publishable(groups, 3)) == {"a", "b"}


def test_organizations_in_several_groups_are_counted_once():
    # b and c both come from organization 4 alone: together still one organization.
    groups = {"a": group(1, 2, 3), "b": group(4), "c": group(4)}

    assert groups_publishable(groups, 2) == {}
