"""Events converted again: once rates arrive, and when the reporting currency changes."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.factories import MembershipFactory
from tests.money import committed, rates_load
from tokentracker import services
from tokentracker.models import ExchangeRate, Role
from usage.models import CostSource, HourlyRollup, UsageEvent
from usage.services.conversions import events_reconvert

pytestmark = pytest.mark.django_db
FRIDAY = "2024-05-03T12:00:00Z"


@pytest.fixture(autouse=True)
def _after_friday(freeze):
    freeze("2024-05-04T00:00:00Z")


def event(**fields):
    return {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "occurred_at": FRIDAY,
        **fields,
    }


def rolled_up(organization):
    return HourlyRollup.objects.filter(organization=organization).aggregate(
        cost=Sum("cost"), priced=Sum("priced_events"), unpriced=Sum("unpriced_events")
    )


def currency_set(organization, currency):
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    with committed():
        services.organization_settings_update(
            organization=organization,
            changed_by=owner,
            payload_storage_enabled=organization.payload_storage_enabled,
            community_data_opt_in=organization.community_data_opt_in,
            reporting_currency=currency,
        )


def test_loading_rates_converts_the_events_waiting_for_them(org, outsider_org, record):
    record(event(total_cost=12.3, currency="EUR"), event(total_cost=1.0))
    record(event(total_cost=5.0, currency="GBP"), organization=outsider_org)
    assert rolled_up(org) == {"cost": Decimal("1"), "priced": 1, "unpriced": 1}

    rates_load()

    waiting = UsageEvent.objects.get(organization=org, reported_currency="EUR")
    assert (waiting.total_cost, waiting.cost_source, waiting.currency) == (
        Decimal("13.216350000000"),  # 12.30 EUR * 1.0745
        CostSource.REPORTED,
        "USD",
    )
    assert rolled_up(org) == {"cost": Decimal("14.216350000000"), "priced": 2, "unpriced": 0}
    # 5 GBP * 1.0745 / 0.85693
    assert rolled_up(outsider_org)["cost"] == Decimal("6.269473585941")


def test_an_event_still_without_a_rate_stays_unconverted(org, record):
    record(event(total_cost=3.0, currency="SEK"))
    rates_load()  # no SEK in the file
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.cost_source) == (None, CostSource.UNCONVERTED)
    assert rolled_up(org) == {"cost": Decimal("0"), "priced": 0, "unpriced": 1}


def test_a_rate_saved_by_an_admin_converts_waiting_events(org, record):
    record(event(total_cost=2.0, currency="EUR"))
    with committed():
        ExchangeRate.objects.create(day="2024-05-03", currency="USD", rate=Decimal("1.5"))
    assert UsageEvent.objects.get(organization=org).total_cost == Decimal("3")
    assert rolled_up(org)["cost"] == Decimal("3")


def test_a_new_reporting_currency_converts_every_event_and_the_rollups(org, outsider_org, record):
    rates_load()
    record(
        event(total_cost=2.5, currency="EUR"),  # reported in euros
        event(output_tokens=100),  # priced from the catalog: $0.0035
        event(model="no-such-model"),  # unpriced
    )
    record(event(total_cost=1.0), organization=outsider_org)

    currency_set(org, "EUR")

    events = {e.cost_source: e for e in UsageEvent.objects.filter(organization=org)}
    assert events[CostSource.REPORTED].total_cost == Decimal("2.5")
    catalog = events[CostSource.CATALOG]
    assert (catalog.input_cost, catalog.output_cost, catalog.total_cost) == (
        Decimal("0.002326663564"),
        Decimal("0.000930665426"),
        Decimal("0.003257328990"),
    )
    assert {e.currency for e in events.values()} == {"EUR"}
    assert rolled_up(org) == {"cost": Decimal("2.503257328990"), "priced": 2, "unpriced": 1}
    # Another organization's events and rollups are not touched.
    assert UsageEvent.objects.get(organization=outsider_org).currency == "USD"
    assert rolled_up(outsider_org)["cost"] == Decimal("1")


def test_going_back_to_dollars_restores_the_catalog_price_exactly(org, record):
    rates_load()
    record(event(output_tokens=100), event(total_cost=2.5, currency="EUR"))
    currency_set(org, "GBP")
    currency_set(org, "USD")
    assert sorted(
        UsageEvent.objects.filter(organization=org).values_list("cost_source", "total_cost")
    ) == [
        (CostSource.CATALOG, Decimal("0.0035")),
        (CostSource.REPORTED, Decimal("2.68625")),
    ]
    assert rolled_up(org)["cost"] == Decimal("2.68975")


def test_a_currency_without_rates_leaves_the_events_unconverted_not_zero(org, record):
    record(event(output_tokens=100))
    currency_set(org, "EUR")  # no rates loaded
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.total_cost, stored.input_cost, stored.cost_source) == (
        None,
        None,
        CostSource.UNCONVERTED,
    )
    assert stored.catalog_cost_usd == Decimal("0.0035")
    assert rolled_up(org) == {"cost": Decimal("0"), "priced": 0, "unpriced": 1}
    rates_load()
    assert UsageEvent.objects.get(organization=org).total_cost == Decimal("0.003257328990")


def test_reconverting_twice_changes_nothing_the_second_time(org, record):
    rates_load()
    record(event(total_cost=2.5, currency="EUR"))
    currency_set(org, "GBP")
    assert events_reconvert(organization_id=org.id) == 0


def test_converting_in_batches_reaches_every_event(org, record):
    rates_load()
    record(*[event(total_cost=1.0, currency="EUR", id=f"e{n}") for n in range(5)])
    org.reporting_currency = "GBP"
    org.save()
    assert events_reconvert(organization_id=org.id, batch_size=2) == 5
    assert set(UsageEvent.objects.values_list("total_cost", flat=True)) == {Decimal("0.85693")}


def test_a_currency_change_is_queued_as_a_task_when_a_worker_runs(
    org, record, settings, monkeypatch
):
    from usage import tasks

    rates_load()
    record(event(total_cost=1.0))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(tasks.events_reconvert_task, "delay", lambda *args: queued.append(args))
    currency_set(org, "EUR")
    assert queued == [(org.id,)]
    assert UsageEvent.objects.get(organization=org).currency == "USD"  # the worker's job
    assert tasks.events_reconvert_task(org.id) == 1
    assert UsageEvent.objects.get(organization=org).total_cost == Decimal("0.930665425779")
