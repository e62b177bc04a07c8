"""Reconciliation of provider bills against our events (billing.selectors.reconciliation) and
the max rule every spend reader applies (billing.selectors.spend's "untracked" source), on
the known month of tests/billing/reconciliation_data.py."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import Budget, BudgetScope
from billing.selectors.budgets import budget_daily_spend, budget_month_spend, budget_status
from billing.selectors.reconciliation import TokenCounts, reconciliation
from billing.selectors.spend import spend_by, spend_combined
from tests.billing.reconciliation_data import (
    ANTHROPIC_LAST_SYNC,
    NOW,
    OPENAI_LAST_SYNC,
    bill,
    integration,
    march_reconciled,
)

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
D = Decimal


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def _of(org, **period):
    return {
        provider.provider: provider
        for provider in reconciliation(organization_id=org.id, **(period or MARCH))
    }


def _days(provider, last=date(2026, 3, 5)):
    return [
        (day.day.day, day.synced, day.billed, day.tracked, day.untracked, day.over_reported)
        for day in provider.days
        if day.day <= last
    ]


def test_each_synced_day_compares_the_bill_with_the_events(org, month):
    openai = _of(org)["openai"]
    assert _days(openai) == [
        (1, True, D(0), D(0), D(0), D(0)),  # synced, nothing billed, nothing tracked
        (2, True, D("2.50"), D("2.00"), D("0.50"), D(0)),
        (3, True, D("1.50"), D("2.00"), D(0), D("0.50")),
        (4, True, D("4.25"), D("1.00"), D("3.25"), D(0)),
        # A line is stored for the 5th, but the sync has not covered the day: not 0 billed.
        (5, False, None, D("3.00"), None, None),
    ]
    assert [day.unpriced_events for day in openai.days[:4]] == [0, 0, 1, 0]
    # Every day of the month up to today is listed; the 5th to the 20th are not synced.
    assert (len(openai.days), openai.synced_days, openai.not_synced_days) == (20, 4, 16)
    assert (openai.billed, openai.tracked, openai.untracked, openai.over_reported) == (
        D("8.25"),
        D("5.00"),
        D("3.75"),
        D("0.50"),
    )
    assert openai.billed - openai.tracked == openai.untracked - openai.over_reported
    assert (openai.unpriced_events, openai.unconverted) == (1, {})
    assert openai.untracked_percent == D("45.45")
    assert (openai.last_success_at, openai.status, openai.currency) == (
        OPENAI_LAST_SYNC,
        "ok",
        "USD",
    )


def test_days_before_the_first_bill_are_not_synced(org, month):
    anthropic = _of(org)["anthropic"]
    # Its first line is on the 2nd: the 1st is unknown, not "0 billed, 0 over-reported".
    assert _days(anthropic, last=date(2026, 3, 4)) == [
        (1, False, None, D(0), None, None),
        (2, True, D("1.00"), D("0.75"), D("0.25"), D(0)),
        (3, True, D("0.25"), D("0.25"), D(0), D(0)),
        (4, False, None, D(0), None, None),
    ]
    assert (anthropic.billed, anthropic.tracked, anthropic.untracked, anthropic.over_reported) == (
        D("1.25"),
        D("1.00"),
        D("0.25"),
        D(0),
    )
    assert anthropic.last_success_at == ANTHROPIC_LAST_SYNC


def test_models_are_compared_where_both_sides_have_them(org, month):
    models = {model.model: model for model in _of(org)["openai"].models}
    assert list(models) == ["gpt-4o", None, "gpt-4o-mini", "mystery"]
    gpt4o, no_model, mini, mystery = models.values()
    assert (gpt4o.billed, gpt4o.tracked, gpt4o.untracked, gpt4o.over_reported) == (
        D("7.20"),
        D("4.50"),
        D("2.70"),
        D(0),
    )
    assert (mini.billed, mini.tracked, mini.untracked, mini.over_reported) == (
        D("0.50"),
        D("0.50"),
        D(0),
        D(0),
    )
    # Lines naming no model (tool calls), and a model only our events name (unpriced): one
    # side each, no difference made up.
    assert (no_model.billed, no_model.tracked, no_model.untracked) == (D("0.55"), None, None)
    assert (mystery.billed, mystery.tracked, mystery.untracked) == (None, None, None)


def test_tokens_of_the_usage_report_against_the_events(org, month):
    openai = _of(org)["openai"]
    gpt4o = next(model for model in openai.models if model.model == "gpt-4o")
    # The 2nd agrees; on the 4th the provider saw 5,000 uncached input and 500 output tokens
    # in 4 requests where our events hold 1,000 and 100 in one; the 3rd is in no bucket.
    assert gpt4o.reported_tokens == TokenCounts(5800, 200, 0, 600, 5)
    assert gpt4o.tracked_tokens == TokenCounts(3800, 200, 0, 400, 3)
    assert openai.reported_tokens == TokenCounts(6200, 200, 0, 640, 6)
    assert openai.tracked_tokens == TokenCounts(4500, 200, 0, 440, 5)
    # Anthropic's usage has not been synced: nothing reported, nothing compared.
    assert _of(org)["anthropic"].reported_tokens == TokenCounts()


def test_every_reader_sees_the_larger_of_bill_and_events_per_day(org, month):
    march = {s.service: s for s in spend_by(organization_id=org.id, **MARCH)}
    # OpenAI: 2.50 + 2.00 + 4.25 (billed, events, billed) + 3.00 on the 5th (not synced).
    assert (march["openai"].amount, march["openai"].unpriced_events) == (D("11.75"), 1)
    assert march["anthropic"].amount == D("1.25")
    untracked = spend_by(organization_id=org.id, **MARCH, sources=["untracked"])
    assert {s.service: s.amount for s in untracked} == {"openai": D("3.75"), "anthropic": D("0.25")}
    february = spend_by(
        organization_id=org.id, start=date(2026, 2, 1), end=date(2026, 2, 28), service="openai"
    )
    assert spend_combined(february).amount == D("0.40")  # billed 0.40 against 0.10 of events


def test_the_untracked_source_reads_once(org, month, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(spend_by(organization_id=org.id, **MARCH, sources=["untracked"]))


def test_a_budget_counts_the_real_bill_once(org, month):
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    whole = Budget.objects.create(
        organization=org, name="All", scope=BudgetScope.ORGANIZATION, amount=100, currency="USD"
    )
    openai = Budget.objects.create(
        organization=org,
        name="OpenAI",
        scope=BudgetScope.SERVICE,
        service="openai",
        amount=100,
        currency="USD",
    )
    project = Budget.objects.create(
        organization=org,
        name="Default project",
        scope=BudgetScope.PROJECT,
        project="p",
        amount=100,
        currency="USD",
    )
    # Events 8.00 + 1.00, plus what the bills hold beyond them: 3.75 + 0.25.
    assert budget_status(whole, now=now).spent == D("13.00")
    assert budget_month_spend(whole, month=date(2026, 3, 1)) == D("13.00")
    assert budget_status(openai, now=now).spent == D("11.75")
    assert budget_status(openai, now=now).billed.billed == D("8.25")
    assert budget_status(openai, now=now).billed.untracked == D("3.75")
    assert budget_status(project, now=now).spent == D(0)
    # Untracked spend is daily spend, as usage: on the days it was billed.
    daily = budget_daily_spend(openai, start=date(2026, 3, 1), end=date(2026, 3, 5))
    assert daily == {
        date(2026, 3, 2): D("2.50"),
        date(2026, 3, 3): D("2.00"),
        date(2026, 3, 4): D("4.25"),
        date(2026, 3, 5): D("3.00"),
    }


def test_a_day_with_a_line_without_exchange_rate_is_not_judged(org, outsider_org, record, freeze):
    freeze(NOW)
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 1.00}, organization=org)
    integration(org, "openai", costs_until=datetime(2026, 3, 3, tzinfo=UTC))
    bill(org, "openai", date(2026, 3, 2), "gpt-4o, input", 2.00, model="gpt-4o")
    bill(
        org,
        "openai",
        date(2026, 3, 2),
        "gpt-4o, output",
        7,
        model="gpt-4o",
        currency="jpy",
        rate=False,
    )
    openai = _of(org)["openai"]
    day = openai.days[1]
    assert (day.synced, day.billed, day.unconverted, day.untracked) == (
        True,
        D("2.00"),
        {"jpy": D(7)},
        None,
    )
    assert (openai.billed, openai.untracked, openai.unconverted) == (D(0), D(0), {"jpy": D(7)})
    # Spend keeps our events' 1.00: a bill we cannot value adds nothing.
    assert spend_combined(spend_by(organization_id=org.id, **MARCH)).amount == D("1.00")


def test_without_an_integration_nothing_is_reconciled_or_added(org, outsider_org, record, freeze):
    freeze(NOW)
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 1.00}, organization=org)
    # Lines left behind by a removed integration count for nothing.
    bill(org, "openai", date(2026, 3, 2), "gpt-4o, input", 5.00, model="gpt-4o")
    assert reconciliation(organization_id=org.id, **MARCH) == []
    assert spend_combined(spend_by(organization_id=org.id, **MARCH)).amount == D("1.00")


def test_another_organization_sees_none_of_it(org, outsider_org, month):
    outsider = _of(outsider_org)
    assert list(outsider) == ["openai"]
    assert (outsider["openai"].billed, outsider["openai"].tracked) == (D(500), D(100))
    assert spend_combined(spend_by(organization_id=outsider_org.id, **MARCH)).amount == D(500)
    # And org's own figures hold none of the outsider's 500 or 100.
    assert _of(org)["openai"].billed == D("8.25")


def test_one_provider_can_be_asked_for(org, month):
    only = reconciliation(organization_id=org.id, providers=["anthropic"], **MARCH)
    assert [provider.provider for provider in only] == ["anthropic"]
