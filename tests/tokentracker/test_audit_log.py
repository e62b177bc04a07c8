"""The audit log: every security-relevant action is recorded by the service that performs
it, whichever door it came through (a page, an API with a key, Django admin), with who,
what, on what, and from which address; entries cannot be changed."""

import json

import pytest
from django.contrib.auth import get_user_model

from billing.models import SyncedProvider
from billing.services.integrations import integration_connect, integration_remove
from tests.billing.integration_keys import OPENAI_KEY, OTHER_OPENAI_KEY
from tests.factories import MembershipFactory
from tests.tokentracker.invitation_links import emailed
from tokentracker.models import AuditAction, AuditEntry, Role
from tokentracker.services import api_key_create, api_key_revoke
from tokentracker.services.audit import audit_record
from tokentracker.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from tokentracker.services.organizations import organization_settings_update
from tokentracker.services.teams import membership_remove, membership_role_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Role.OWNER, user__email="owner@example.com")


def entries(org):
    return list(
        AuditEntry.objects.filter(organization=org)
        .order_by("id")
        .values_list("action", "actor_label", "target", "details")
    )


def test_keys_created_and_revoked(org, owner):
    created = api_key_create(organization=org, name="CI", created_by=owner.user)
    lookup = created.api_key.lookup
    api_key_revoke(api_key=created.api_key, revoked_by=owner.user)
    api_key_revoke(api_key=created.api_key, revoked_by=owner.user)  # already: not again
    assert entries(org) == [
        (
            AuditAction.API_KEY_CREATED,
            "owner@example.com",
            f"CI ({lookup}…)",
            {"scope": "write", "mode": "live"},
        ),
        (AuditAction.API_KEY_REVOKED, "owner@example.com", f"CI ({lookup}…)", {}),
    ]


def test_a_key_made_from_the_command_line_is_recorded_as_the_system(org):
    api_key_create(organization=org, name="bootstrap")
    [(action, actor, _, _)] = entries(org)
    assert (action, actor) == (AuditAction.API_KEY_CREATED, "system")


def test_members_changed_and_removed_with_the_keys_they_lose(org, owner):
    member = MembershipFactory(organization=org, role=Role.MEMBER, user__email="m@example.com")
    key = api_key_create(organization=org, name="laptop", created_by=member.user).api_key
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)  # only what follows

    membership_role_change(membership=member, role=Role.VIEWER, changed_by=owner)
    membership_remove(membership=member, removed_by=owner)

    assert entries(org) == [
        (
            AuditAction.API_KEY_REVOKED,
            "owner@example.com",
            f"laptop ({key.lookup}…)",
            {"reason": "its creator became a viewer"},
        ),
        (
            AuditAction.MEMBER_ROLE_CHANGED,
            "owner@example.com",
            "m@example.com",
            {"from": "member", "to": "viewer"},
        ),
        (AuditAction.MEMBER_REMOVED, "owner@example.com", "m@example.com", {"role": "viewer"}),
    ]


def test_invitations_sent_again_revoked_and_accepted(org, owner):
    base = "https://tt.example.com"
    first = emailed(
        lambda: invitation_create(
            invited_by=owner, email="New@Example.com", role=Role.ADMIN, base_url=base
        )
    )
    invitation_revoke(invitation=first.invitation, revoked_by=owner)
    second = emailed(
        lambda: invitation_create(
            invited_by=owner, email="new@example.com", role=Role.MEMBER, base_url=base
        )
    )
    resent = emailed(
        lambda: invitation_resend(invitation=second.invitation, resent_by=owner, base_url=base)
    )
    newcomer = get_user_model().objects.create_user(
        username="new@example.com", email="new@example.com", password="pw"
    )
    invitation_accept(token=resent.token, user=newcomer)

    assert entries(org) == [
        (
            AuditAction.MEMBER_INVITED,
            "owner@example.com",
            "new@example.com",
            {"role": "admin", "refreshed": False},
        ),
        (AuditAction.INVITATION_REVOKED, "owner@example.com", "new@example.com", {"role": "admin"}),
        (
            AuditAction.MEMBER_INVITED,
            "owner@example.com",
            "new@example.com",
            {"role": "member", "refreshed": False},
        ),
        (AuditAction.INVITATION_RESENT, "owner@example.com", "new@example.com", {"role": "member"}),
        (
            AuditAction.INVITATION_ACCEPTED,
            "new@example.com",
            "new@example.com",
            {"role": "member", "joined": True},
        ),
    ]


def test_settings_changes_say_what_changed(org, owner):
    organization_settings_update(
        organization=org,
        changed_by=owner,
        payload_storage_enabled=True,
        community_data_opt_in=False,
        quality_scale="0-1",
    )
    organization_settings_update(
        organization=org,
        changed_by=owner,
        payload_storage_enabled=True,
        community_data_opt_in=False,
    )  # nothing changed: nothing recorded
    assert entries(org) == [
        (
            AuditAction.SETTINGS_CHANGED,
            "owner@example.com",
            "",
            {
                "payload_storage_enabled": {"from": False, "to": True},
                "quality_scale": {"from": "", "to": "0-1"},
            },
        )
    ]


def test_integrations_connected_rotated_and_removed(org, owner):
    for key in (OPENAI_KEY, OTHER_OPENAI_KEY):
        integration_connect(
            actor=owner,
            organization_id=org.id,
            provider="openai",
            admin_key=key,
            created_by_id=owner.user_id,
        )
    integration_remove(
        actor=owner, organization_id=org.id, provider="openai", removed_by_id=owner.user_id
    )
    label = SyncedProvider.OPENAI.label
    assert entries(org) == [
        (
            AuditAction.INTEGRATION_CONNECTED,
            "owner@example.com",
            label,
            {"rotated": False, "key_last_four": OPENAI_KEY[-4:]},
        ),
        (
            AuditAction.INTEGRATION_CONNECTED,
            "owner@example.com",
            label,
            {"rotated": True, "key_last_four": OTHER_OPENAI_KEY[-4:]},
        ),
        (AuditAction.INTEGRATION_REMOVED, "owner@example.com", label, {}),
    ]
    # The key itself is never in the log.
    assert OPENAI_KEY not in json.dumps(entries(org))


def test_through_the_api_the_key_and_the_address_are_recorded(client, org, owner):
    created = api_key_create(organization=org, name="ops", created_by=owner.user)
    raw_key, lookup = created.raw_key, created.api_key.lookup
    response = client.post(
        "/api/v1/integrations",
        json.dumps({"provider": "openai", "admin_key": OPENAI_KEY}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 201
    entry = AuditEntry.objects.get(action=AuditAction.INTEGRATION_CONNECTED)
    assert entry.actor_user == owner.user
    assert entry.actor_key_lookup == lookup
    assert entry.actor_label == f"owner@example.com (API key {lookup}…)"
    assert entry.ip_address == "203.0.113.9"


def test_on_a_page_the_address_is_recorded_and_no_key(client, org, owner):
    client.force_login(owner.user)
    client.post(
        "/o/acme/keys/new",
        {"name": "CI", "prefix": "mtt_", "scope": "read"},
        REMOTE_ADDR="198.51.100.7",
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_user, entry.actor_key_lookup, entry.ip_address) == (
        AuditAction.API_KEY_CREATED,
        owner.user,
        "",
        "198.51.100.7",
    )


def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(client, org, owner, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    client.force_login(owner.user)
    client.post(
        "/o/acme/keys/new",
        {"name": "CI", "prefix": "mtt_", "scope": "read"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7",
    )
    assert AuditEntry.objects.get().ip_address == "198.51.100.7"


def test_an_action_that_rolls_back_leaves_no_entry(org, owner):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        api_key_create(organization=org, name="CI", created_by=owner.user)
        raise RuntimeError("the request failed later")
    assert not AuditEntry.objects.exists()


def test_entries_cannot_be_changed_or_deleted_one_by_one(org, owner):
    entry = audit_record(organization=org, action=AuditAction.PLAN_CHANGED, actor_user=owner.user)
    entry.target = "forged"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(target="forged")
    assert AuditEntry.objects.get().target == ""


def test_deleting_a_user_keeps_their_entries_with_who_they_were(org, owner):
    audit_record(organization=org, action=AuditAction.PLAN_CHANGED, actor_user=owner.user)
    owner.user.delete()
    entry = AuditEntry.objects.get()
    assert (entry.actor_user, entry.actor_label) == (None, "owner@example.com")


def test_plan_changes_are_recorded_as_billing_will_call_it(org, owner):
    audit_record(
        organization=org,
        action=AuditAction.PLAN_CHANGED,
        actor_user=owner.user_id,
        target="Pro",
        details={"from": "free", "to": "pro", "source": "stripe"},
    )
    assert entries(org) == [
        (
            AuditAction.PLAN_CHANGED,
            "owner@example.com",
            "Pro",
            {"from": "free", "to": "pro", "source": "stripe"},
        )
    ]
