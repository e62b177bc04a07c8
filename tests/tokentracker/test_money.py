"""Conversion through the euro at the rate of the day (tokentracker.money)."""

from datetime import date
from decimal import Decimal

import pytest

from tests.money import rates_load
from tokentracker.currencies import currency_code
from tokentracker.models import ExchangeRate
from tokentracker.money import money_convert

pytestmark = pytest.mark.django_db
FRIDAY = date(2024, 5, 3)


@pytest.fixture(autouse=True)
def rates(db):
    rates_load()


def test_euros_convert_to_dollars_at_the_days_rate():
    # 1 EUR = 1.0745 USD on 2024-05-03.
    converted = money_convert(amount=Decimal("100"), currency="EUR", to="USD", on=FRIDAY)
    assert converted == Decimal("107.45")
    assert str(converted) == "107.450000000000"


def test_dollars_convert_to_euros_by_dividing_by_the_days_rate():
    converted = money_convert(amount=Decimal("0.0025"), currency="USD", to="EUR", on=FRIDAY)
    assert converted == Decimal("0.002326663564")  # 0.0025 / 1.0745, 12 places


def test_pounds_convert_to_dollars_through_the_euro():
    # 10 GBP * 1.0745 USD/EUR / 0.85693 GBP/EUR
    converted = money_convert(amount=Decimal("10"), currency="GBP", to="USD", on=FRIDAY)
    assert converted == Decimal("12.538947171881")


def test_the_same_currency_is_returned_unchanged_without_a_rate():
    assert money_convert(
        amount=Decimal("1.5"), currency="CHF", to="CHF", on=date(1990, 1, 1)
    ) == Decimal("1.5")


def test_a_weekend_uses_fridays_rate():
    for day in (date(2024, 5, 4), date(2024, 5, 5)):
        assert money_convert(amount=Decimal(1), currency="EUR", to="USD", on=day) == Decimal(
            "1.0745"
        )


def test_a_day_between_two_publications_uses_the_earlier_one():
    # 2024-05-01 is a TARGET holiday: the 30 April rate.
    assert money_convert(
        amount=Decimal(1), currency="EUR", to="USD", on=date(2024, 5, 1)
    ) == Decimal("1.0665")


def test_a_rate_older_than_a_week_is_no_rate():
    assert money_convert(
        amount=Decimal(1), currency="EUR", to="USD", on=date(2024, 5, 10)
    ) == Decimal("1.0745")
    assert money_convert(amount=Decimal(1), currency="EUR", to="USD", on=date(2024, 5, 11)) is None
    # Before the first rate, and a currency the table does not hold.
    assert money_convert(amount=Decimal(1), currency="EUR", to="USD", on=date(2007, 1, 1)) is None
    assert money_convert(amount=Decimal(1), currency="EUR", to="SEK", on=FRIDAY) is None


def test_either_side_without_a_rate_is_no_conversion():
    assert money_convert(amount=Decimal(1), currency="SEK", to="USD", on=FRIDAY) is None
    assert money_convert(amount=Decimal(1), currency="USD", to="SEK", on=FRIDAY) is None


def test_an_edited_rate_is_used_at_once():
    assert money_convert(amount=Decimal(1), currency="EUR", to="USD", on=FRIDAY) == Decimal(
        "1.0745"
    )
    rate = ExchangeRate.objects.get(currency="USD", day=FRIDAY)
    rate.rate = Decimal("1.1")
    rate.save()
    assert money_convert(amount=Decimal(1), currency="EUR", to="USD", on=FRIDAY) == Decimal("1.1")


def test_conversion_reads_each_currency_once_per_book(django_assert_num_queries):
    money_convert(amount=Decimal(1), currency="GBP", to="USD", on=FRIDAY)
    with django_assert_num_queries(0):
        for _ in range(100):
            money_convert(amount=Decimal(1), currency="GBP", to="USD", on=FRIDAY)


@pytest.mark.parametrize(("sent", "stored"), [("EUR", "EUR"), ("eur", "EUR"), (" gbp ", "GBP")])
def test_currency_codes_are_normalised_to_upper_case(sent, stored):
    assert currency_code(sent) == stored


@pytest.mark.parametrize("sent", ["EURO", "XYZ", "", "€", "US"])
def test_a_code_that_is_not_iso_4217_is_refused(sent):
    with pytest.raises(ValueError, match=r"currency must be an ISO 4217 code, e\.g\. EUR"):
        currency_code(sent)
