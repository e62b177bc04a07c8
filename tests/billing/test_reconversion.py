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


# --- Expenses ---------------------------------------------------------------------------


def _expense(organization, amount, day, currency="USD", **fields):
    from billing.services.expenses import expense_create

    return expense_create(
        organization_id=organization.id,
        vendor="Notion Labs",
        amount=amount,
        date=day,
        currency=currency,
        **fields,
    )


def test_a_rate_saved_later_converts_a_waiting_expense_at_its_days_rate(org, outsider_org):
    from billing.models import Expense, ExpenseStatus

    waiting = _expense(org, 10, "2026-01-14", currency="EUR")
    theirs = _expense(outsider_org, 4, "2026-01-14", currency="EUR")
    draft = Expense.objects.create(
        organization=org, status=ExpenseStatus.DRAFT, amount=8, currency="EUR", date="2026-01-14"
    )
    assert waiting.converted_amount is None
    with committed():
        ExchangeRate.objects.create(day="2026-01-13", currency="USD", rate=Decimal("1.5"))
        ExchangeRate.objects.create(day="2026-01-15", currency="USD", rate=Decimal("3"))
    assert Expense.objects.get(pk=waiting.pk).converted_amount == Decimal("15")
    assert Expense.objects.get(pk=theirs.pk).converted_amount == Decimal("6")
    # A draft is not spend: it is converted when it is confirmed, not before.
    assert Expense.objects.get(pk=draft.pk).converted_amount is None


def test_loading_the_ecb_file_converts_waiting_expenses(org):
    from billing.models import Expense
    from tests.money import rates_load

    # 1 May 2024 is a holiday: the rate of that day is 30 April's.
    expense = _expense(org, 100, "2024-05-01", currency="JPY")
    assert expense.converted_amount is None
    rates_load()
    expense.refresh_from_db()
    # 100 JPY x 1.0665 USD / 168.45 JPY a euro
    assert expense.converted_amount == Decimal("0.633125556545")
    assert not Expense.objects.filter(converted_amount__isnull=True).exists()


def test_a_new_reporting_currency_converts_every_expense_of_the_organization(org, outsider_org):
    from billing.models import Expense

    ExchangeRate.objects.create(day="2026-01-14", currency="USD", rate=Decimal("1.25"))
    expense = _expense(org, 5, "2026-01-14")
    euros = _expense(org, 7, "2026-01-14", currency="EUR")
    theirs = _expense(outsider_org, 5, "2026-01-14")
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    with committed():
        services.organization_settings_update(
            organization=org,
            changed_by=owner,
            payload_storage_enabled=org.payload_storage_enabled,
            community_data_opt_in=org.community_data_opt_in,
            reporting_currency="EUR",
        )
    expense.refresh_from_db()
    assert (expense.amount, expense.currency) == (Decimal("5"), "USD")
    assert (expense.converted_amount, expense.converted_currency) == (Decimal("4"), "EUR")
    euros.refresh_from_db()
    assert (euros.converted_amount, euros.converted_currency) == (Decimal("7"), "EUR")
    theirs.refresh_from_db()
    assert (theirs.converted_amount, theirs.converted_currency) == (Decimal("5"), "USD")
    # A currency with no rate for the day: unconverted in the new currency, not left in USD.
    with committed():
        services.organization_settings_update(
            organization=org,
            changed_by=owner,
            payload_storage_enabled=org.payload_storage_enabled,
            community_data_opt_in=org.community_data_opt_in,
            reporting_currency="GBP",
        )
    expense.refresh_from_db()
    assert (expense.converted_amount, expense.converted_currency) == (None, "GBP")
    assert Expense.objects.get(pk=euros.pk).converted_amount is None
