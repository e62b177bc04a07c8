"""The "Explorer tags" setting on `/o/<slug>/settings/`: admins and owners choose up to five
metadata keys; a change recounts the organization's tag rollups from its raw events."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import MembershipFactory
from tokentracker.models import AuditAction, AuditEntry, Organization, Role
from tokentracker.services.organizations import (
    OrganizationSettingInvalid,
    organization_tag_keys_set,
)
from usage.models import DimensionHourlyRollup
from usage.selectors.dimensions import dimension_breakdown
from usage.selectors.usage import UsageScope

pytestmark = pytest.mark.django_db
PATH = "/o/acme/settings/"


def keys_of(org):
    return Organization.objects.get(pk=org.pk).tag_keys


def regions(org):
    from datetime import UTC, datetime

    scope = UsageScope(org.id, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    return {row.value: row.totals.events for row in dimension_breakdown(scope, "tag:region")}


@pytest.fixture
def tagged_events(record):
    record(
        {"metadata": {"region": "eu"}, "occurred_at": "2026-03-20T10:00:00Z"},
        {"metadata": {"region": "eu"}, "occurred_at": "2026-03-20T11:00:00Z"},
        {"metadata": {"region": "us"}, "occurred_at": "2026-03-21T10:00:00Z"},
        {"occurred_at": "2026-03-21T10:00:00Z"},
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_a_change_is_saved_audited_and_recounts_the_tags(
    client, sign_in, org, role, tagged_events, django_capture_on_commit_callbacks
):
    user = sign_in(org, role)
    assert regions(org) == {}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PATH, {"tag_keys": "region, team"}, follow=True)
    assert response.redirect_chain == [(PATH, 302)]
    assert "Settings saved." in response.content.decode()
    assert keys_of(org) == ["region", "team"]
    entry = AuditEntry.objects.get(organization=org, action=AuditAction.SETTINGS_CHANGED)
    assert (entry.actor_user, entry.details) == (
        user,
        {"tag_keys": {"from": [], "to": ["region", "team"]}},
    )
    assert regions(org) == {"eu": 2, "us": 1, "": 1}
    # New events are folded by the new keys as they arrive; removing a key drops its rows.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PATH, {"tag_keys": "team"})
    assert keys_of(org) == ["team"]
    assert not DimensionHourlyRollup.objects.filter(dimension="tag:region").exists()
    assert DimensionHourlyRollup.objects.filter(dimension="tag:team").exists()


def test_the_page_shows_the_keys(client, sign_in, org):
    org.tag_keys = ["region", "feature"]
    org.save()
    sign_in(org, Role.VIEWER)
    content = client.get(PATH).content.decode()
    assert 'name="tag_keys" value="region, feature"' in content
    assert "Explorer tags" in content


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a, b, c, d, e, f", "At most 5 tag keys; 6 were given."),
        ("region, a.b", "“a.b” is not a tag key"),
        ("region, region", "Each tag key can be given once."),
        ("x" * 41, "is not a tag key"),
    ],
)
def test_bad_keys_are_a_form_error_and_change_nothing(client, sign_in, org, value, message):
    org.tag_keys = ["region"]
    org.save()
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"tag_keys": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert keys_of(org) == ["region"]


def test_a_viewer_cannot_change_them(client, sign_in, org):
    sign_in(org, Role.VIEWER)
    assert client.post(PATH, {"tag_keys": "region"}).status_code == 403
    assert keys_of(org) == []


def test_an_outsider_gets_404_and_changes_nothing(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.post(PATH, {"tag_keys": "region"}).status_code == 404
    assert keys_of(org) == []


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.post(PATH, {"tag_keys": "region"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")
    assert keys_of(org) == []


def test_a_post_without_the_field_keeps_the_keys(client, sign_in, org):
    org.tag_keys = ["region"]
    org.save()
    sign_in(org, Role.OWNER)
    client.post(PATH, {"payload_storage_enabled": "on"})
    assert keys_of(org) == ["region"]


def test_the_service_refuses_bad_keys_and_other_organizations(org, outsider_org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    with pytest.raises(OrganizationSettingInvalid):
        organization_tag_keys_set(organization=org, changed_by=owner, tag_keys=["a b"])
    outsider = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        organization_tag_keys_set(organization=org, changed_by=outsider, tag_keys=["region"])
    assert keys_of(org) == []


def test_the_admin_validates_the_keys_and_recounts_on_change(
    admin_client, org, tagged_events, django_capture_on_commit_callbacks
):
    url = f"/admin/tokentracker/organization/{org.pk}/change/"
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and not isinstance(value, bool)
    }
    data.update({name: "on" for name, value in form.initial.items() if value is True})
    for prefix in ("memberships", "invitations", "api_keys"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data["tag_keys"] = '["a", "b", "c", "d", "e", "f"]'
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "At most 5 tag keys" in response.content.decode()
    assert keys_of(org) == []
    data["tag_keys"] = '["region"]'
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert keys_of(org) == ["region"]
    assert regions(org) == {"eu": 2, "us": 1, "": 1}
