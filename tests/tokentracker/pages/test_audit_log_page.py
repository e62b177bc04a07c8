"""`/o/<slug>/audit/`: the audit log for admins and owners, newest first, 50 a page,
filtered by action."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tokentracker.models import AuditAction, AuditEntry, Role
from tokentracker.services.audit import audit_record

pytestmark = pytest.mark.django_db
PATH = "/o/acme/audit/"


def fill(org, count, action=AuditAction.API_KEY_CREATED, start=None):
    start = start or timezone.now() - timedelta(days=1)
    for number in range(count):
        entry = audit_record(organization=org, action=action, target=f"key {number}")
        # Spread over time so "newest first" is a real order (past the append-only guard).
        AuditEntry._base_manager.filter(pk=entry.pk).update(
            created_at=start + timedelta(minutes=number)
        )


def targets(response):
    return re.findall(r"<td>(key \d+)</td>", response.content.decode())


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_admins_and_owners_read_the_log_newest_first(client, sign_in, org, role):
    user = sign_in(org, role)
    audit_record(
        organization=org,
        action=AuditAction.RETENTION_CHANGED,
        actor_user=user,
        details={"from": None, "to": 90},
    )
    fill(org, 3)
    response = client.get(PATH)
    assert response.status_code == 200
    assert targets(response) == ["key 2", "key 1", "key 0"]
    content = response.content.decode()
    assert "Event retention changed" in content
    assert '<td class="small">— → 90</td>' in content


def test_a_change_reads_before_and_after(client, sign_in, org):
    user = sign_in(org, Role.OWNER)
    audit_record(
        organization=org,
        action=AuditAction.SETTINGS_CHANGED,
        actor_user=user,
        details={"payload_storage_enabled": {"from": False, "to": True}},
    )
    content = client.get(PATH).content.decode()
    assert "payload_storage_enabled: no → yes" in content
    assert user.email in content


def test_fifty_a_page(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    fill(org, 51)
    first = client.get(PATH)
    assert len(targets(first)) == 50
    assert targets(first)[0] == "key 50"
    assert "1\u201350 of 51" in first.content.decode()
    second = client.get(PATH, {"page": 2})
    assert targets(second) == ["key 0"]
    # A page past the end shows the last one rather than an error.
    assert targets(client.get(PATH, {"page": 99})) == ["key 0"]


def test_filtered_by_action(client, sign_in, org):
    sign_in(org, Role.OWNER)
    fill(org, 2)
    fill(org, 1, action=AuditAction.MEMBER_INVITED)
    response = client.get(PATH, {"action": AuditAction.MEMBER_INVITED})
    assert targets(response) == ["key 0"]
    assert "Member invited" in response.content.decode()


def test_an_unknown_action_is_a_form_error(client, sign_in, org):
    sign_in(org, Role.OWNER)
    fill(org, 2)
    response = client.get(PATH, {"action": "keys.stolen"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert targets(response) == []


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, sign_in, org, django_assert_num_queries
):
    sign_in(org, Role.OWNER)
    fill(org, 1)
    client.get(PATH)  # session and caches warm
    with django_assert_num_queries(6) as few:
        client.get(PATH)
    fill(org, 49)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(PATH)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_get_403(client, sign_in, org, role):
    sign_in(org, role)
    fill(org, 1)
    assert client.get(PATH).status_code == 403


def test_an_outsider_gets_404_and_never_another_organizations_entries(
    client, sign_in, org, outsider_org
):
    fill(org, 2)
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PATH).status_code == 404
    fill(outsider_org, 1)
    response = client.get("/o/outsider/audit/")
    assert targets(response) == ["key 0"]


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.get(PATH)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")


def test_linked_from_the_settings_page_for_admins_only(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    assert 'href="/o/acme/audit/"' in client.get("/o/acme/settings/").content.decode()


def test_not_linked_for_members(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    assert 'href="/o/acme/audit/"' not in client.get("/o/acme/settings/").content.decode()
