"""`manual_cost_update`: the given fields change, the others stay; money fields convert the
cost again, text alone does not."""

from decimal import Decimal

import pytest

from billing.models import ManualCost
from billing.services.manual_costs import (
    ManualCostInvalid,
    manual_cost_create,
    manual_cost_update,
)
from tokentracker.models import ExchangeRate

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(db):
    # Last TARGET days of January (the 31st is a Saturday) and of February 2026.
    ExchangeRate.objects.create(day="2026-01-30", currency="USD", rate=Decimal("1.25"))
    ExchangeRate.objects.create(day="2026-02-27", currency="USD", rate=Decimal("1.5"))


@pytest.fixture
def cost(org, rates):
    return manual_cost_create(
        organization_id=org.id,
        service="aws",
        amount=40,
        month=1,
        year=2026,
        currency="EUR",
        category="Cloud",
        description="January invoice",
    )


def update(org, cost, **changes):
    return manual_cost_update(organization_id=org.id, manual_cost_id=cost.pk, **changes)


def stored(cost):
    return ManualCost.objects.get(pk=cost.pk)


def test_a_new_amount_is_converted_again(org, cost):
    assert cost.converted_amount == Decimal("50")
    updated = update(org, cost, amount="80")
    assert (updated.amount, updated.converted_amount) == (Decimal("80"), Decimal("100"))
    saved = stored(cost)
    assert (saved.amount, saved.currency, saved.converted_amount) == (
        Decimal("80"),
        "EUR",
        Decimal("100"),
    )
    assert (saved.service, saved.month, saved.category, saved.description) == (
        "aws",
        1,
        "Cloud",
        "January invoice",
    )


def test_a_new_month_converts_at_that_months_rate(org, cost):
    update(org, cost, month=2)
    assert (stored(cost).month, stored(cost).converted_amount) == (2, Decimal("60"))


def test_a_currency_without_a_rate_leaves_it_unconverted_and_none_means_reporting(org, cost):
    update(org, cost, currency="sek")
    assert (stored(cost).currency, stored(cost).converted_amount) == ("SEK", None)
    update(org, cost, currency=None)
    assert (stored(cost).currency, stored(cost).converted_amount) == ("USD", Decimal("40"))


def test_text_alone_keeps_the_conversion_it_had(org, cost):
    # A rate corrected later applies to costs converted afterwards, not to a renamed one.
    ExchangeRate.objects.filter(day="2026-01-30").update(rate=Decimal("2"))
    update(org, cost, service="Azure", category="Compute", description="")
    saved = stored(cost)
    assert (saved.service, saved.category, saved.description) == ("azure", "Compute", "")
    assert saved.converted_amount == Decimal("50")
    # The same amount sent again is no change either.
    update(org, cost, amount=40, currency="EUR")
    assert stored(cost).converted_amount == Decimal("50")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "80", "month": 13}, "month"),
        ({"description": "x", "service": "netlify"}, "service"),
        ({"amount": -1}, "amount"),
        ({"year": "2026"}, "year"),
        ({"currency": "EURO"}, "currency"),
        ({"category": "x" * 101}, "category"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(org, cost, changes, field):
    with pytest.raises(ManualCostInvalid) as raised:
        update(org, cost, **changes)
    assert raised.value.field == field
    saved = stored(cost)
    assert (saved.amount, saved.month, saved.service, saved.description) == (
        Decimal("40"),
        1,
        "aws",
        "January invoice",
    )


def test_another_organizations_cost_is_not_found_and_unchanged(outsider_org, cost):
    assert update(outsider_org, cost, amount=1) is None
    assert stored(cost).amount == Decimal("40")
