"""Provider costs follow the money mechanism: converted to the reporting currency at the
rate of their day when synced, when a waiting rate arrives, and again when the reporting
currency changes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import ProviderCostBucket
from billing.services.sync import integration_sync
from tests.billing.sync_helpers import integration_make
from tests.factories import MembershipFactory
from tests.money import committed
from tokentracker import services
from tokentracker.models import ExchangeRate, Role

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def _reporting_currency(organization, currency):
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    with committed():
        services.organization_settings_update(
            organization=organization,
            changed_by=owner,
            payload_storage_enabled=organization.payload_storage_enabled,
            community_data_opt_in=organization.community_data_opt_in,
            reporting_currency=currency,
        )


def converted():
    return list(
        ProviderCostBucket.objects.order_by("day").values_list(
            "day", "amount", "currency", "converted_amount", "converted_currency"
        )
    )


def test_costs_are_converted_at_the_rate_of_their_day(provider_server, org):
    ExchangeRate.objects.create(day="2026-11-02", currency="USD", rate=Decimal("1.25"))
    # The 7th (a Saturday) takes the rate of the Friday before it.
    ExchangeRate.objects.create(day="2026-11-06", currency="USD", rate=Decimal("1.2"))
    _reporting_currency(org, "EUR")
    provider_server.openai.cost(day="2026-11-02", line_item="gpt-4o, input", value="5")
    provider_server.openai.cost(day="2026-11-07", line_item="gpt-4o, input", value="0.3")
    provider_server.openai.cost(day="2026-11-25", line_item="gpt-4o, input", value="1")
    integration = integration_make(org, "openai")

    integration_sync(integration.pk, trigger="api", now=NOW)

    day = datetime(2026, 11, 2).date()
    assert converted() == [
        (day, Decimal("5"), "USD", Decimal("4"), "EUR"),
        (day.replace(day=7), Decimal("0.3"), "USD", Decimal("0.25"), "EUR"),
        # No rate within a week of the 25th: shown apart, never as if it were euros.
        (day.replace(day=25), Decimal("1"), "USD", None, "EUR"),
    ]

    with committed():
        ExchangeRate.objects.create(day="2026-11-25", currency="USD", rate=Decimal("1.6"))
    assert converted()[2] == (day.replace(day=25), Decimal("1"), "USD", Decimal("0.625"), "EUR")


def test_a_new_reporting_currency_converts_the_organizations_provider_costs(
    provider_server, org, outsider_org
):
    ExchangeRate.objects.create(day="2026-11-02", currency="USD", rate=Decimal("1.25"))
    provider_server.anthropic.cost(day="2026-11-02", description="Claude", amount="1000")
    integration_sync(integration_make(org, "anthropic").pk, trigger="api", now=NOW)
    integration_sync(integration_make(outsider_org, "anthropic").pk, trigger="api", now=NOW)
    assert {row[3:] for row in converted()} == {(Decimal("10"), "USD")}

    _reporting_currency(org, "EUR")

    rows = dict(ProviderCostBucket.objects.values_list("organization_id", "converted_amount"))
    assert rows == {org.id: Decimal("8"), outsider_org.id: Decimal("10")}
    assert set(
        ProviderCostBucket.objects.filter(organization=org).values_list(
            "converted_currency", flat=True
        )
    ) == {"EUR"}
