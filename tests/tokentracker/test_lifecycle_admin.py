"""Django admin and the data lifecycle: the audit log read-only, staff changes recorded in
it, an organization deleted as an owner's request deletes it, the retention editable."""

from datetime import UTC, datetime

import pytest

from tests.factories import MembershipFactory
from tests.tokentracker.test_admin import _change_form_data
from tokentracker.models import AuditAction, AuditEntry, Organization, Plan, Role
from tokentracker.services.audit import audit_record
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_audit_log_is_listed_and_read_only(staff_client, org):
    entry = audit_record(organization=org, action=AuditAction.PLAN_CHANGED, target="Pro")
    listing = staff_client.get("/admin/tokentracker/auditentry/", {"action": "plan.changed"})
    assert listing.status_code == 200
    assert "Plan changed" in listing.content.decode()
    detail = staff_client.get(f"/admin/tokentracker/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200  # viewed, with no save button
    assert 'name="_save"' not in detail.content.decode()
    assert (
        staff_client.post(
            f"/admin/tokentracker/auditentry/{entry.pk}/change/", {"target": "forged"}
        ).status_code
        == 403
    )
    assert staff_client.get("/admin/tokentracker/auditentry/add/").status_code == 403
    assert (
        staff_client.post(
            f"/admin/tokentracker/auditentry/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.get().target == "Pro"


def test_staff_changes_of_retention_settings_and_plan_are_recorded(staff_client, staff, org):
    MembershipFactory(organization=org, role=Role.OWNER)
    pro = Plan.objects.get(slug="pro")
    data = _change_form_data(staff_client, org)
    data.update(event_retention_days=90, payload_storage_enabled="on", plan=pro.pk)
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.event_retention_days, org.plan) == (90, pro)
    recorded = {
        entry.action: (entry.actor_user, entry.details)
        for entry in AuditEntry.objects.filter(organization=org)
    }
    assert recorded == {
        AuditAction.RETENTION_CHANGED: (staff, {"from": None, "to": 90}),
        AuditAction.SETTINGS_CHANGED: (
            staff,
            {"payload_storage_enabled": {"from": False, "to": True}},
        ),
        AuditAction.PLAN_CHANGED: (staff, {"from": "self-hosted", "to": "pro"}),
    }


def test_staff_cannot_set_a_retention_out_of_range(staff_client, org):
    data = _change_form_data(staff_client, org)
    data["event_retention_days"] = 7
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 200
    assert "greater than or equal to 31" in response.content.decode()
    assert Organization.objects.get(pk=org.pk).event_retention_days is None


def test_staff_cannot_change_the_currency_once_events_were_purged(staff_client, org):
    Organization.objects.filter(pk=org.pk).update(
        events_purged_before=datetime(2025, 2, 1, tzinfo=UTC)
    )
    data = _change_form_data(staff_client, org)
    data["reporting_currency"] = "EUR"
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 200
    assert "were deleted by the retention setting" in response.content.decode()
    assert Organization.objects.get(pk=org.pk).reporting_currency == "USD"


def test_deleting_in_admin_is_an_owners_deletion(
    staff_client, staff, org, outsider_org, record, django_capture_on_commit_callbacks
):
    record({"input_tokens": 5})
    record({"input_tokens": 5}, organization=outsider_org)
    confirm = staff_client.get(f"/admin/tokentracker/organization/{org.pk}/delete/")
    # No list of every row that would go: an organization has millions.
    assert "deleted in the background" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/tokentracker/organization/{org.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert not UsageEvent.objects.filter(organization_id=org.pk).exists()
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 1


def test_bulk_deleting_in_admin_marks_each_one(staff_client, org, outsider_org):
    response = staff_client.post(
        "/admin/tokentracker/organization/",
        {"action": "delete_selected", "_selected_action": [org.pk], "post": "yes"},
    )
    assert response.status_code == 302
    # Not committed in this test: shut out and marked, the data waits for the task.
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is not None
    assert Organization.objects.get(pk=outsider_org.pk).deletion_requested_at is None
    entry = AuditEntry.objects.get(organization=org)
    assert (entry.action, entry.actor_label) == (AuditAction.DELETION_REQUESTED, "root@example.com")
