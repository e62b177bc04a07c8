"""The reporting currency on the settings page: admins and owners change it, and the
recorded events are converted again; members, viewers and outsiders cannot."""

from decimal import Decimal

import pytest

from tests.money import committed, rates_load
from tokentracker.models import Organization, Role
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db
PATH = "/o/acme/settings/"
FRIDAY = "2024-05-03T12:00:00Z"


def test_the_page_says_what_changing_the_currency_does(client, sign_in, org):
    sign_in(org, Role.OWNER)
    content = client.get(PATH).content.decode()
    assert "Reporting currency" in content
    assert '<option value="USD" selected>USD · US Dollar</option>' in content
    assert "Changing it converts every recorded event again" in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_change_it_and_every_event_is_converted(
    client, sign_in, org, record, freeze, role
):
    freeze("2024-05-04T00:00:00Z")
    rates_load()
    record({"total_cost": 2.5, "currency": "EUR", "occurred_at": FRIDAY})
    assert UsageEvent.objects.get().total_cost == Decimal("2.68625")
    sign_in(org, role)
    with committed():
        response = client.post(PATH, {"reporting_currency": "EUR"}, follow=True)
    assert "Settings saved." in response.content.decode()
    org.refresh_from_db()
    assert org.reporting_currency == "EUR"
    stored = UsageEvent.objects.get()
    assert (stored.total_cost, stored.currency) == (Decimal("2.5"), "EUR")


def test_a_code_that_is_not_iso_4217_is_refused_and_nothing_changes(client, sign_in, org):
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"reporting_currency": "EURO"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Organization.objects.get(pk=org.pk).reporting_currency == "USD"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_it(client, sign_in, org, role):
    sign_in(org, role)
    assert client.post(PATH, {"reporting_currency": "EUR"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).reporting_currency == "USD"


def test_an_outsider_cannot_change_it(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.post(PATH, {"reporting_currency": "EUR"}).status_code == 404
    assert Organization.objects.get(pk=org.pk).reporting_currency == "USD"


def test_an_anonymous_visitor_cannot_change_it(client, org):
    response = client.post(PATH, {"reporting_currency": "EUR"})
    assert response.status_code == 302
    assert Organization.objects.get(pk=org.pk).reporting_currency == "USD"
