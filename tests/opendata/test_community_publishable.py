"""groups_publishable: k-anonymity per group, and no small group recoverable by subtracting
published rows, within a dimension or across dimensions."""

from decimal import Decimal
from itertools import combinations

from opendata.community import Cell, day_groups, groups_publishable
from usage.selectors.usage import UsageTotals


def cell(organization_id, provider="openai", model="gpt-4o", platform="", use_case="", cost="1"):
    values = (provider, model, platform or "unspecified", use_case or "unspecified")
    return Cell(organization_id, values, UsageTotals(events=1, cost=Decimal(cost)))


def publishable(cells, k=3):
    return groups_publishable(day_groups(cells), k)


def keys(published, dimension):
    return sorted(value for d, value in published if d == dimension)


def test_groups_below_k_are_dropped_when_the_dropped_ones_together_reach_k():
    cells = [cell(o, "openai") for o in (1, 2, 3)]
    cells += [cell(o, "anthropic", "claude") for o in (4, 5)] + [cell(6, "mistral", "small")]

    published = publishable(cells)

    assert keys(published, "provider") == ["openai"]
    assert published[("total", "all")].contributors == 6


def test_the_smallest_published_group_goes_until_the_dropped_ones_reach_k():
    cells = [cell(o, "big") for o in (1, 2, 3, 4, 5)]
    cells += [cell(o, "small") for o in (6, 7, 8)] + [cell(9, "tiny")]

    # "tiny" alone would be total - big - small: "small" is dropped with it.
    assert keys(publishable(cells), "provider") == ["big"]


def test_when_nothing_is_dropped_every_group_of_k_is_published():
    cells = [cell(o, "openai", "gpt-4o") for o in (1, 2, 3)]
    cells += [cell(o, "openai", "gpt-4.1") for o in (1, 2, 3, 4)]

    assert keys(publishable(cells), "model") == ["gpt-4.1", "gpt-4o"]


def test_organizations_in_several_groups_are_counted_once():
    # b and c both come from organization 4 alone: together still one organization.
    cells = [cell(o, "a") for o in (1, 2)] + [cell(4, "b"), cell(4, "c")]

    assert keys(publishable(cells, k=2), "provider") == []


def reviewer_day():
    """Org 0 is the only organization on o1; every dimension holds k=3 or more on its own
    rule: the dropped models (o1, haiku, opus) stand for 3 organizations together."""
    cells = [cell(o, "openai", "gpt-4o", cost=f"1.0{o}") for o in (0, 1, 2)]
    cells.append(cell(0, "openai", "o1", cost="0.123457"))
    cells += [cell(o, "anthropic", "claude-sonnet", cost=f"2.0{o}") for o in (3, 4, 5)]
    cells += [cell(6, "anthropic", "claude-haiku", cost="3"), cell(7, "anthropic", "opus")]
    return cells


def test_a_provider_minus_its_published_models_cannot_give_away_one_organization():
    published = publishable(reviewer_day())

    # openai - gpt-4o would be org 0's o1; anthropic - claude-sonnet orgs 6 and 7 only.
    assert keys(published, "provider") == ["anthropic", "openai"]
    assert keys(published, "model") == []
    secret = Decimal("0.123457")
    costs = {key: group.totals.cost for key, group in published.items()}
    for parent in costs:
        others = [cost for key, cost in costs.items() if key != parent]
        for size in range(len(others) + 1):
            for subtracted in combinations(others, size):
                assert costs[parent] - sum(subtracted) != secret


def test_one_more_model_goes_when_a_provider_s_dropped_models_are_one_organization():
    cells = [cell(o, "openai", "gpt-4o") for o in (1, 2, 3)]
    cells += [cell(o, "openai", "gpt-4.1") for o in (4, 5, 6)]
    cells += [cell(o, "openai", "o1") for o in (7, 8, 9)]
    cells.append(cell(1, "openai", "o3"))

    published = publishable(cells)

    # openai - (gpt-4o + gpt-4.1 + o1) would be org 1's o3: the smallest (a tie: the first
    # by name, gpt-4.1) goes, and openai - (gpt-4o + o1) is then four organizations' usage.
    assert keys(published, "model") == ["gpt-4o", "o1"]
    assert keys(published, "provider") == ["openai"]


def test_groups_that_happen_to_nest_are_checked_against_each_other():
    # Every cursor event went to openai, and every anthropic one to copilot: openai - cursor
    # and copilot - anthropic would both be org 4's openai usage on copilot.
    cells = [cell(o, "openai", platform="cursor") for o in (1, 2, 3)]
    cells.append(cell(4, "openai", platform="copilot"))
    cells += [cell(o, "anthropic", "claude", platform="copilot") for o in (5, 6, 7)]

    published = publishable(cells)

    assert keys(published, "provider") == ["openai"]
    assert keys(published, "platform") == ["copilot"]
    assert keys(published, "model") == ["gpt-4o"]


def test_platforms_and_use_cases_are_checked_against_the_total():
    cells = [cell(o, use_case="coding") for o in (1, 2, 3)] + [cell(4, use_case="chat")]

    published = publishable(cells)

    assert published[("total", "all")].contributors == 4
    assert keys(published, "use_case") == []
