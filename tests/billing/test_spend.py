"""The spend selector: usage and manual costs, grouped by service and by model."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import ManualCost
from billing.selectors.spend import (
    SOURCES,
    Spend,
    SpendRow,
    spend_by,
    spend_combined,
    spend_source,
)
from billing.services.manual_costs import (
    ManualCostInvalid,
    manual_cost_create,
    manual_cost_delete,
    rate_day,
)
from tokentracker.models import ExchangeRate

pytestmark = pytest.mark.django_db

JANUARY = {"start": date(2026, 1, 1), "end": date(2026, 1, 31)}


@pytest.fixture
def january_spend(org, outsider_org, record):
    record(
        {"occurred_at": "2025-12-31T23:59:00Z", "total_cost": 9},
        {"occurred_at": "2026-01-05T10:00:00Z", "total_cost": 1},
        {"occurred_at": "2026-01-06T10:00:00Z", "model": "gpt-4o-mini", "total_cost": 0.5},
        {
            "occurred_at": "2026-01-31T23:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "total_cost": 0.25,
        },
        {"occurred_at": "2026-01-10T12:00:00Z", "model": "mystery", "input_tokens": 3},
        {"occurred_at": "2026-02-01T00:00:00Z", "total_cost": 9},
        organization=org,
    )
    record({"occurred_at": "2026-01-05T12:00:00Z", "total_cost": 100}, organization=outsider_org)
    for month, amount in ((1, 50), (2, 70), (12, 30)):
        manual_cost_create(
            organization_id=org.id,
            service="OpenAI",
            amount=amount,
            month=month,
            year=2026 if month != 12 else 2025,
        )
    manual_cost_create(organization_id=org.id, service="cursor", amount=20, month=1, year=2026)
    manual_cost_create(
        organization_id=org.id, service="cursor", amount=15, month=1, year=2026, currency="SEK"
    )
    manual_cost_create(
        organization_id=outsider_org.id, service="cursor", amount=999, month=1, year=2026
    )


def test_spend_by_service_adds_usage_and_manual_costs(org, january_spend):
    assert spend_by(organization_id=org.id, **JANUARY) == [
        Spend("openai", None, Decimal("51.5"), {}, 1),
        Spend("cursor", None, Decimal("20"), {"SEK": Decimal("15")}, 0),
        Spend("anthropic", None, Decimal("0.25"), {}, 0),
    ]


def test_spend_by_model_keeps_manual_costs_apart_without_a_model(org, january_spend):
    assert spend_by(organization_id=org.id, group_by=("service", "model"), **JANUARY) == [
        Spend("openai", None, Decimal("50"), {}, 0),
        Spend("cursor", None, Decimal("20"), {"SEK": Decimal("15")}, 0),
        Spend("openai", "gpt-4o", Decimal("1"), {}, 0),
        Spend("openai", "gpt-4o-mini", Decimal("0.5"), {}, 0),
        Spend("anthropic", "claude-sonnet-4-0", Decimal("0.25"), {}, 0),
        Spend("openai", "mystery", Decimal("0"), {}, 1),
    ]


def test_one_service_and_one_source(org, january_spend):
    assert spend_by(organization_id=org.id, service="cursor", **JANUARY) == [
        Spend("cursor", None, Decimal("20"), {"SEK": Decimal("15")}, 0)
    ]
    assert spend_by(organization_id=org.id, sources=["usage"], group_by=(), **JANUARY) == [
        Spend(None, None, Decimal("1.75"), {}, 1)
    ]


def test_a_monthly_cost_counts_in_the_period_holding_its_first_day(org, january_spend):
    mid = spend_by(
        organization_id=org.id, sources=["manual"], start=date(2026, 1, 2), end=date(2026, 2, 1)
    )
    assert mid == [Spend("openai", None, Decimal("70"), {}, 0)]


def test_another_organization_sees_only_its_own_spend(outsider_org, january_spend):
    assert spend_by(organization_id=outsider_org.id, **JANUARY) == [
        Spend("cursor", None, Decimal("999"), {}, 0),
        Spend("openai", None, Decimal("100"), {}, 0),
    ]


def test_a_new_source_plugs_in_without_touching_the_reader(org, monkeypatch):
    monkeypatch.setitem(SOURCES, "test", lambda *_: [SpendRow("sync", "vercel", None, Decimal(3))])
    # Registered through the decorator later sources use.
    monkeypatch.setitem(SOURCES, "other", SOURCES["manual"])
    spend_source("other")(lambda *_: [SpendRow("other", "vercel", None, Decimal("1.5"))])
    assert spend_by(organization_id=org.id, **JANUARY) == [
        Spend("vercel", None, Decimal("4.5"), {}, 0)
    ]


def test_euros_convert_at_the_months_last_day_and_rate_day_rules(org):
    ExchangeRate.objects.create(day="2026-01-30", currency="USD", rate=Decimal("1.1"))
    cost = manual_cost_create(
        organization_id=org.id, service="aws", amount="10", month=1, year=2026, currency="EUR"
    )
    assert (cost.converted_amount, cost.converted_currency) == (Decimal("11"), "USD")
    assert rate_day(year=2026, month=2, today=date(2026, 3, 5)) == date(2026, 2, 28)
    assert rate_day(year=2026, month=3, today=date(2026, 3, 5)) == date(2026, 3, 5)
    assert rate_day(year=2026, month=4, today=date(2026, 3, 5)) == date(2026, 3, 5)


def test_bad_input_names_the_field_and_stores_nothing(org):
    with pytest.raises(ManualCostInvalid) as raised:
        manual_cost_create(organization_id=org.id, service="x", amount=1, month=1, year=2026)
    assert raised.value.field == "service"
    assert not ManualCost.objects.exists()


def test_delete_only_within_the_organization(org, outsider_org):
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=1, month=1, year=2026)
    assert manual_cost_delete(organization_id=outsider_org.id, manual_cost_id=cost.pk) is False
    assert manual_cost_delete(organization_id=org.id, manual_cost_id=cost.pk) is True
    assert manual_cost_delete(organization_id=org.id, manual_cost_id=cost.pk) is False


def test_spend_with_no_amount_at_all_has_no_priced_amount_not_zero(org, january_spend):
    groups = {
        (spend.service, spend.model): spend
        for spend in spend_by(organization_id=org.id, group_by=("service", "model"), **JANUARY)
    }
    mystery = groups["openai", "mystery"]  # only an unpriced event
    assert (mystery.wholly_unpriced, mystery.priced_amount) == (True, None)
    cursor = groups["cursor", None]  # 20 USD and 15 SEK with no rate
    assert (cursor.wholly_unpriced, cursor.priced_amount) == (False, Decimal("20"))
    manual_cost_create(organization_id=org.id, service="kiro", amount=5, month=1, year=2026)
    manual_cost_create(
        organization_id=org.id, service="vercel", amount=3, month=1, year=2026, currency="SEK"
    )
    by_service = {
        spend.service: spend.priced_amount for spend in spend_by(organization_id=org.id, **JANUARY)
    }
    assert (by_service["kiro"], by_service["vercel"]) == (Decimal("5"), None)
    # A priced amount of 0 stays 0.
    manual_cost_create(organization_id=org.id, service="replit", amount=0, month=1, year=2026)
    [replit] = spend_by(organization_id=org.id, service="replit", **JANUARY)
    assert replit.priced_amount == Decimal("0")


def test_spend_combined_adds_disjoint_groups(org, january_spend):
    groups = spend_by(organization_id=org.id, group_by=("service", "model"), **JANUARY)
    total = spend_combined(groups)
    assert total == Spend(None, None, Decimal("71.75"), {"SEK": Decimal("15")}, 1)
    assert total.valued
    assert spend_combined([]).priced_amount == Decimal(0)
    [only_unpriced] = [spend for spend in groups if spend.model == "mystery"]
    assert spend_combined([only_unpriced]).priced_amount is None
