"""How the pages write money, CO2e and energy (usage/templatetags/usage_format.py)."""

from decimal import Decimal

import pytest

from tokentracker.models import Organization
from usage.selectors.usage import UsageTotals
from usage.templatetags.usage_format import cost, energy, grams, money


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        ("1234.567", "$1,234.57"),
        ("1", "$1.00"),
        ("0.999999", "$1.00"),
        ("0.366854", "$0.3669"),
        ("0.1", "$0.10"),
        ("0.00725", "$0.00725"),
        ("0.000145833", "$0.000146"),
        ("0.0000004", "<$0.000001"),
        ("0", "$0.00"),
        ("-2.5", "-$2.50"),
    ],
)
def test_money_keeps_enough_digits_for_small_amounts(amount, written):
    assert money(Decimal(amount)) == written


def test_money_of_nothing_priced_is_unpriced_not_zero():
    assert money(None) == "unpriced"
    assert cost({}, UsageTotals(events=3, unpriced_events=3))["unpriced_only"] is True
    assert cost({}, UsageTotals(events=3, priced_events=2, unpriced_events=1))["unpriced"] == 1
    assert cost({}, UsageTotals())["unpriced_only"] is False  # no events: $0.00 is the truth


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        ("1234.5", "USD", "$1,234.50"),
        ("1234.5", "EUR", "1,234.50 EUR"),
        ("0.00725", "GBP", "0.00725 GBP"),
        ("0", "EUR", "0.00 EUR"),
        ("-12.3", "JPY", "-12.30 JPY"),
        ("0.0000001", "EUR", "<0.000001 EUR"),
    ],
)
def test_money_in_another_currency_carries_its_code_never_a_dollar_sign(amount, currency, written):
    assert money(Decimal(amount), currency) == written


def test_the_cost_tag_takes_the_organizations_reporting_currency():
    organization = Organization(reporting_currency="EUR")
    shown = cost({"organization": organization}, UsageTotals(events=1, priced_events=1))
    assert shown["currency"] == "EUR"
    assert cost({}, UsageTotals())["currency"] == "USD"


@pytest.mark.parametrize(
    ("value", "written"),
    [("0", "0.0 g"), ("0.0421", "0.0421 g"), ("337.2", "337.2 g"), ("1500", "1.50 kg")],
)
def test_grams_switch_to_kilograms_and_tonnes(value, written):
    assert grams(Decimal(value)) == written
    assert grams(Decimal("2500000")) == "2.50 t"


def test_energy_switches_to_kilowatt_hours():
    assert (energy(Decimal("0.793")), energy(Decimal("1040"))) == ("0.793 Wh", "1.04 kWh")
