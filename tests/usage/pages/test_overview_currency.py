"""The overview in the organization's reporting currency, with unconverted costs apart."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.money import rates_load
from tokentracker.models import Role
from usage.selectors.conversions import UnconvertedAmount, unconverted_amounts
from usage.selectors.dashboard import month_start

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _may_2024(freeze):
    freeze("2024-05-06T12:00:00Z")


def event(**fields):
    return {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2024-05-03T09:00:00Z",
        **fields,
    }


def test_a_euro_organization_sees_euros_not_dollars(client, sign_in, org, record):
    rates_load()
    org.reporting_currency = "EUR"
    org.save()
    record(event(total_cost=12.3, currency="EUR"), event(total_cost=1.0745))  # $1.0745 = 1 EUR
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/").content.decode()
    assert "13.30 EUR" in content
    assert "Spend (EUR)" in content
    assert "$" not in content.split('<section class="stats"')[1].split("</section>")[0]


def test_costs_without_a_rate_are_shown_apart_never_as_zero(client, sign_in, org, record):
    record(
        event(total_cost=12.3, currency="EUR"),
        event(total_cost=0.7, currency="EUR"),
        event(total_cost=5.0, currency="GBP"),
        event(total_cost=2.0),
    )
    sign_in(org, Role.OWNER)
    content = client.get("/o/acme/").content.decode()
    assert "$2.00" in content
    assert "+ 3 unpriced" in content
    assert "plus 13.00 EUR unconverted (2 events): no EUR to USD rate for their days" in content
    assert "plus 5.00 GBP unconverted (1 event): no GBP to USD rate for its day" in content


def test_unconverted_amounts_are_summed_per_original_currency_for_the_period(
    org, outsider_org, record
):
    org.reporting_currency = "EUR"
    org.save()
    record(
        event(total_cost=12.3, currency="GBP"),
        event(input_tokens=1000),  # catalog USD $0.0025, no USD rate
        event(total_cost=1.0, currency="GBP", occurred_at="2024-04-30T09:00:00Z"),
    )
    record(event(total_cost=99.0, currency="GBP"), organization=outsider_org)
    start = month_start(timezone.now())
    end = start.replace(month=6)
    assert unconverted_amounts(org.id, start=start, end=end) == [
        UnconvertedAmount("GBP", Decimal("12.3"), 1),
        UnconvertedAmount("USD", Decimal("0.0025"), 1),
    ]
