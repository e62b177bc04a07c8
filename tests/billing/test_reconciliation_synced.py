"""Reconciliation end to end: the sync reads both providers' admin APIs from the local
server (tests/provider_servers.py), then the Costs reads, budgets and alerts see the bills
against the events. Syncing again changes no figure."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import Budget, BudgetAlert
from billing.selectors.reconciliation import reconciliation
from billing.services.alerts import budgets_evaluate
from billing.services.sync import integration_sync
from tests.api.codingvibez.helpers import data
from tests.billing.sync_helpers import integration_make

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 5, 10, 30, tzinfo=UTC)
NOVEMBER = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


@pytest.fixture
def synced(org, record, freeze, provider_server):
    freeze("2026-11-05T10:30:00Z")
    record(
        {"occurred_at": "2026-11-02T09:00:00Z", "total_cost": 1.00},
        {"occurred_at": "2026-11-03T09:00:00Z", "total_cost": 2.00},
        {
            "occurred_at": "2026-11-02T09:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-20250514",
            "total_cost": 1.00,
        },
    )
    cost = provider_server.openai.cost
    cost(day="2026-11-02", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="1.25")
    cost(day="2026-11-02", line_item="Web search tool calls", project_id="proj_a", value="0.25")
    cost(day="2026-11-03", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="1.5")
    cost(day="2026-11-05", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="0.8")
    provider_server.anthropic.cost(
        day="2026-11-02",
        description="Claude Sonnet 4 Usage - Input Tokens",
        workspace_id="wrkspc_a",
        model="claude-sonnet-4-20250514",
        amount="300",  # cents
    )
    integrations = [integration_make(org, "openai"), integration_make(org, "anthropic")]
    for integration in integrations:
        assert integration_sync(integration.pk, trigger="api", now=NOW).status == "ok"
    return integrations


def _figures(org):
    return {
        p.provider: (p.billed, p.tracked, p.untracked, p.over_reported, p.synced_days)
        for p in reconciliation(organization_id=org.id, **NOVEMBER)
    }


def test_synced_bills_are_reconciled_and_counted_once(api, org, raw_key, synced):
    # OpenAI: 2 Nov billed 1.50 against 1.00; 3 Nov 1.50 against 2.00; today's 0.80 line is
    # not a synced day yet. Anthropic: 3.00 against 1.00.
    expected = {
        "anthropic": (Decimal(3), Decimal(1), Decimal(2), Decimal(0), 3),
        "openai": (Decimal(3), Decimal(3), Decimal("0.5"), Decimal("0.5"), 3),
    }
    assert _figures(org) == expected
    costs = data(api.get("/api/costs/openai", raw_key, month="11", year="2026"))
    # 1.50 (billed) + 2.00 (events): the larger side of each day.
    assert costs["currentMonth"] == 3.5
    assert costs["breakdown"] == {"gpt-4o": 3.25, "(no model)": 0.25}
    assert costs["reconciliation"]["untracked"] == 0.5
    assert costs["dataFreshness"] == "fresh"
    assert (
        data(api.get("/api/costs/anthropic", raw_key, month="11", year="2026"))["currentMonth"]
        == 3.0
    )

    # The same window synced again: every figure stays.
    for integration in synced:
        integration_sync(integration.pk, trigger="schedule", now=NOW)
    assert _figures(org) == expected


def test_the_untracked_spend_alert_fires_once_after_a_sync(org, synced):
    Budget.objects.create(
        organization=org,
        name="All",
        scope="organization",
        amount=Decimal(100),
        currency="USD",
        untracked_alert_percent=30,
    )
    # 2.50 untracked of 6.00 billed: 41.67%.
    fired = budgets_evaluate(org.id, now=NOW)
    assert [(a.kind, a.threshold, a.billed, a.untracked) for a in fired] == [
        ("untracked", 30, Decimal(6), Decimal("2.5"))
    ]
    for integration in synced:
        integration_sync(integration.pk, trigger="schedule", now=NOW)
    assert budgets_evaluate(org.id, now=NOW) == []


def test_a_sync_that_brings_a_bill_evaluates_the_budgets_at_once(
    org, record, freeze, provider_server, django_capture_on_commit_callbacks
):
    # No waiting for beat's five-minute round: the bill is what the alert is about.
    freeze("2026-11-05T10:30:00Z")
    record({"occurred_at": "2026-11-02T09:00:00Z", "total_cost": 1.00})
    provider_server.openai.cost(
        day="2026-11-02", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="4"
    )
    Budget.objects.create(
        organization=org,
        name="All",
        scope="organization",
        amount=Decimal(100),
        currency="USD",
        untracked_alert_percent=50,
    )
    integration = integration_make(org, "openai")
    with django_capture_on_commit_callbacks(execute=True):
        assert integration_sync(integration.pk, trigger="schedule", now=NOW).status == "ok"
    # 3.00 untracked of 4.00 billed: 75%.
    alerts = BudgetAlert.objects.filter(organization=org)
    assert [(a.kind, a.threshold, a.billed, a.untracked) for a in alerts] == [
        ("untracked", 50, Decimal(4), Decimal(3))
    ]
