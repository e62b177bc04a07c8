"""The account settings page `/accounts/settings`: the time zone of a person's pages."""

import pytest

from tokentracker.models import Role, UserProfile

pytestmark = pytest.mark.django_db


def test_the_time_zone_is_utc_until_chosen_and_then_saved(client, sign_in, org):
    user = sign_in(org, Role.VIEWER)
    response = client.get("/accounts/settings")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="UTC" selected>UTC</option>' in html
    assert '<option value="America/Los_Angeles">America/Los_Angeles</option>' in html
    response = client.post("/accounts/settings", {"time_zone": "America/Los_Angeles"})
    assert response.status_code == 302 and response["Location"] == "/accounts/settings"
    assert UserProfile.objects.get(user=user).time_zone == "America/Los_Angeles"
    again = client.get("/accounts/settings").content.decode()
    assert '<option value="America/Los_Angeles" selected>' in again
    assert "Your pages now count days in America/Los_Angeles." in again
    # Changed again: the one profile is updated.
    client.post("/accounts/settings", {"time_zone": "Asia/Kolkata"})
    assert list(UserProfile.objects.values_list("time_zone", flat=True)) == ["Asia/Kolkata"]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "localtime", "America/Los_Angeles\x00"])
def test_a_zone_that_is_not_one_is_a_form_error_and_changes_nothing(client, sign_in, org, zone):
    sign_in(org, Role.VIEWER)
    response = client.post("/accounts/settings", {"time_zone": zone})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    assert not UserProfile.objects.exists()


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/accounts/settings")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login")
    assert client.post("/accounts/settings", {"time_zone": "UTC"}).status_code == 302
    assert not UserProfile.objects.exists()


def test_the_account_menu_links_to_it(client, sign_in, org):
    sign_in(org, Role.VIEWER)
    assert 'href="/accounts/settings"' in client.get("/o/acme/").content.decode()


def test_each_person_has_their_own_zone(client, sign_in, org):
    first = sign_in(org, Role.VIEWER)
    client.post("/accounts/settings", {"time_zone": "Europe/Paris"})
    second = sign_in(org, Role.MEMBER)
    client.post("/accounts/settings", {"time_zone": "Asia/Tokyo"})
    assert UserProfile.objects.get(user=first).time_zone == "Europe/Paris"
    assert UserProfile.objects.get(user=second).time_zone == "Asia/Tokyo"


def test_the_service_refuses_a_zone_the_form_did_not_check(org, sign_in):
    from tokentracker.services.profiles import TimeZoneInvalid, profile_time_zone_set

    user = sign_in(org, Role.VIEWER)
    with pytest.raises(TimeZoneInvalid):
        profile_time_zone_set(user=user, time_zone="Nowhere/Special")
    assert not UserProfile.objects.exists()
