"""Manual costs follow the money mechanism: converted when their rate arrives, and again
when the reporting currency changes."""

from decimal import Decimal

import pytest

from billing.models import ManualCost
from billing.services.manual_costs import manual_cost_create
from tests.factories import MembershipFactory
from tests.money import committed
from tokentracker import services
from tokentracker.models import ExchangeRate, Role

pytestmark = pytest.mark.django_db


def test_a_rate_saved_later_converts_a_waiting_cost(org, outsider_org):
    waiting = manual_cost_create(
        organization_id=org.id, service="aws", amount=10, month=1, year=2026, currency="EUR"
    )
    other = manual_cost_create(
        organization_id=outsider_org.id, service="aws", amount=4, month=1, year=2026
    )
    assert waiting.converted_amount is None
    with committed():
        ExchangeRate.objects.create(day="2026-01-30", currency="USD", rate=Decimal("1.5"))
    assert ManualCost.objects.get(pk=waiting.pk).converted_amount == Decimal("15")
    assert ManualCost.objects.get(pk=other.pk).converted_amount == Decimal("4")


def test_a_new_reporting_currency_converts_every_cost_of_the_organization(org, outsider_org):
    ExchangeRate.objects.create(day="2026-01-30", currency="USD", rate=Decimal("1.25"))
    cost = manual_cost_create(organization_id=org.id, service="aws", amount=5, month=1, year=2026)
    other = manual_cost_create(
        organization_id=outsider_org.id, service="aws", amount=5, month=1, year=2026
    )
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    with committed():
        services.organization_settings_update(
            organization=org,
            changed_by=owner,
            payload_storage_enabled=org.payload_storage_enabled,
            community_data_opt_in=org.community_data_opt_in,
            reporting_currency="EUR",
        )
    cost.refresh_from_db()
    assert (cost.amount, cost.currency) == (Decimal("5"), "USD")
    assert (cost.converted_amount, cost.converted_currency) == (Decimal("4"), "EUR")
    other.refresh_from_db()
    assert (other.converted_amount, other.converted_currency) == (Decimal("5"), "USD")
