"""The retention setting on `/o/<slug>/settings/`: admins and owners set how long raw events
are kept (31 to 3650 days, or empty to keep them all); the page says what is kept."""

import re
from datetime import UTC, datetime

import pytest

from tokentracker.models import AuditAction, AuditEntry, Organization, Role
from tokentracker.services.organizations import (
    OrganizationSettingInvalid,
    organization_retention_set,
)

pytestmark = pytest.mark.django_db
PATH = "/o/acme/settings/"


def retention_of(org):
    return Organization.objects.get(pk=org.pk).event_retention_days


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_set_how_long_events_are_kept(client, sign_in, org, role):
    user = sign_in(org, role)
    response = client.post(PATH, {"event_retention_days": "90"}, follow=True)
    assert response.redirect_chain == [(PATH, 302)]
    assert "Settings saved." in response.content.decode()
    assert retention_of(org) == 90
    entry = AuditEntry.objects.get(organization=org)
    assert (entry.action, entry.actor_user, entry.details, entry.ip_address) == (
        AuditAction.RETENTION_CHANGED,
        user,
        {"from": None, "to": 90},
        "127.0.0.1",
    )
    # Empty keeps every event again.
    client.post(PATH, {"event_retention_days": ""})
    assert retention_of(org) is None
    assert AuditEntry.objects.filter(organization=org).count() == 2


def test_the_page_shows_the_setting_and_what_is_kept(client, sign_in, org):
    org.event_retention_days = 400
    org.events_purged_before = datetime(2025, 2, 1, 7, tzinfo=UTC)
    org.save()
    sign_in(org, Role.VIEWER)
    content = client.get(PATH).content.decode()
    assert 'name="event_retention_days" value="400"' in content
    assert "What is kept: the hourly and daily totals" in content
    assert "Events before 1 Feb 2025, 07:00 UTC have been deleted." in content


@pytest.mark.parametrize("value", ["30", "0", "-5", "3651", "ninety", "1.5"])
def test_a_value_out_of_range_is_a_form_error_and_changes_nothing(client, sign_in, org, value):
    org.event_retention_days = 90
    org.save()
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"event_retention_days": value, "payload_storage_enabled": "on"})
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    org.refresh_from_db()
    assert (org.event_retention_days, org.payload_storage_enabled) == (90, False)
    assert not AuditEntry.objects.exists()


def test_the_bounds_themselves_are_allowed(client, sign_in, org):
    sign_in(org, Role.OWNER)
    client.post(PATH, {"event_retention_days": "31"})
    assert retention_of(org) == 31
    client.post(PATH, {"event_retention_days": "3650"})
    assert retention_of(org) == 3650


def test_left_out_of_the_post_the_retention_is_unchanged(client, sign_in, org):
    org.event_retention_days = 90
    org.save()
    sign_in(org, Role.ADMIN)
    client.post(PATH, {"payload_storage_enabled": "on"})
    assert retention_of(org) == 90


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_it(client, sign_in, org, role):
    sign_in(org, role)
    content = client.get(PATH).content.decode()
    assert re.search(r"<input[^>]*name=\"event_retention_days\"[^>]* disabled", content)
    assert client.post(PATH, {"event_retention_days": "90"}).status_code == 403
    assert retention_of(org) is None


def test_an_outsider_gets_404_and_changes_nothing(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.post(PATH, {"event_retention_days": "90"}).status_code == 404
    assert retention_of(org) is None


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.post(PATH, {"event_retention_days": "90"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")
    assert retention_of(org) is None


def test_the_service_refuses_out_of_range_values_and_other_organizations(org, outsider_org):
    from tests.factories import MembershipFactory

    owner = MembershipFactory(organization=org, role=Role.OWNER)
    with pytest.raises(OrganizationSettingInvalid) as refused:
        organization_retention_set(organization=org, changed_by=owner, event_retention_days=30)
    assert refused.value.field == "event_retention_days"
    outsider = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        organization_retention_set(organization=org, changed_by=outsider, event_retention_days=90)
    assert retention_of(org) is None
    assert not AuditEntry.objects.exists()


def test_once_events_were_deleted_the_reporting_currency_stays(client, sign_in, org):
    org.events_purged_before = datetime(2025, 2, 1, 7, tzinfo=UTC)
    org.save()
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"reporting_currency": "EUR", "event_retention_days": "90"})
    assert response.status_code == 400
    assert (
        "Events before 2025-02-01 07:00 UTC were deleted by the retention setting"
        in response.content.decode()
    )
    org.refresh_from_db()
    # Neither change was made: the page saves all or nothing.
    assert (org.reporting_currency, org.event_retention_days) == ("USD", None)
