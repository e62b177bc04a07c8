from decimal import Decimal

import pytest

from billing.models import Budget, BudgetScope
from billing.services.manual_costs import manual_cost_create

# "Now" for the billing page tests: 12:30 UTC on Saturday 21 March 2026.
NOW = "2026-03-21T12:30:00Z"

# Reported costs, so every figure is exact whatever the price catalog says.
SPEND = [
    {"occurred_at": "2026-02-15T09:00:00Z", "total_cost": 8.0},  # last month: history only
    {"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 10.0},
    {
        "occurred_at": "2026-03-10T08:00:00Z",
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "total_cost": 5.0,
        "project": "alpha",
    },
    {"occurred_at": "2026-03-20T11:00:00Z", "total_cost": 15.0, "project": "alpha"},
]


@pytest.fixture
def now(freeze):
    freeze(NOW)


@pytest.fixture
def spend(now, record, org):
    """March so far: $30 of usage (openai $25, anthropic $5; project alpha $20) and a $20
    OpenAI manual cost; February: $8 of usage."""
    record(*SPEND)
    manual_cost_create(organization_id=org.id, service="openai", amount="20", month=3, year=2026)


def budget_of(org, name, amount, scope=BudgetScope.ORGANIZATION, **fields):
    return Budget.objects.create(
        organization=org,
        name=name,
        scope=scope,
        amount=Decimal(amount),
        currency="USD",
        **fields,
    )
