"""Django admin for exchange rates, and the organization's reporting currency there."""

from datetime import date
from decimal import Decimal

import pytest

from tests.money import committed, rates_load
from tokentracker.models import ExchangeRate, Organization, RateSource
from usage.models import CostSource, UsageEvent

pytestmark = pytest.mark.django_db
LIST = "/admin/tokentracker/exchangerate/"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_the_rates_are_listed_filtered_and_searched(staff_client):
    rates_load()
    response = staff_client.get(LIST)
    assert response.status_code == 200
    assert "164.62" in response.content.decode()
    filtered = staff_client.get(LIST, {"currency": "GBP"})
    assert {rate.currency for rate in filtered.context["cl"].result_list} == {"GBP"}
    searched = staff_client.get(LIST, {"q": "JPY"})
    assert len(searched.context["cl"].result_list) == 4


def test_an_admin_adds_a_rate_in_any_case_and_waiting_events_are_converted(
    staff_client, org, record, freeze
):
    freeze("2024-05-04T00:00:00Z")
    record({"total_cost": 10.0, "currency": "EUR", "occurred_at": "2024-05-03T09:00:00Z"})
    assert UsageEvent.objects.get().cost_source == CostSource.UNCONVERTED
    with committed():
        response = staff_client.post(
            f"{LIST}add/", {"day": "2024-05-03", "currency": "usd", "rate": "1.0745"}
        )
    assert response.status_code == 302, response.content
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.rate, rate.source) == ("USD", Decimal("1.0745"), RateSource.ADMIN)
    assert UsageEvent.objects.get().total_cost == Decimal("10.745")


def test_a_rate_for_a_code_that_is_not_iso_4217_is_refused(staff_client):
    response = staff_client.post(
        f"{LIST}add/", {"day": "2024-05-03", "currency": "XYZ", "rate": "1"}
    )
    assert response.status_code == 200
    assert "currency must be an ISO 4217 code, e.g. EUR" in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_editing_a_loaded_rate_marks_it_as_an_admins(staff_client):
    rates_load()
    rate = ExchangeRate.objects.get(currency="USD", day=date(2024, 5, 3))
    response = staff_client.post(
        f"{LIST}{rate.pk}/change/", {"day": "2024-05-03", "currency": "USD", "rate": "1.08"}
    )
    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.rate, rate.source) == (Decimal("1.08"), RateSource.ADMIN)


def test_an_organizations_reporting_currency_is_set_in_admin(staff_client, org, record, freeze):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    record({"total_cost": 2.5, "currency": "EUR", "occurred_at": "2024-05-03T09:00:00Z"})
    page = staff_client.get(f"/admin/tokentracker/organization/{org.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, bool)
    }
    data.update({"reporting_currency": "eur", "plan": org.plan_id})
    for prefix in ("memberships", "invitations", "api_keys"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    with committed():
        response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Organization.objects.get(pk=org.pk).reporting_currency == "EUR"
    assert UsageEvent.objects.get().total_cost == Decimal("2.5")
