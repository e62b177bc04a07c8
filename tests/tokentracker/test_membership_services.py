"""Role changes and removals: who may do what, and an organization always keeps an owner."""

import pytest

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Membership, Role
from tokentracker.services.teams import (
    TeamError,
    TeamPermissionError,
    membership_remove,
    membership_role_change,
    organization_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Role.OWNER)


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


@pytest.fixture
def member(org):
    return MembershipFactory(organization=org, role=Role.MEMBER)


def test_the_last_owner_cannot_demote_themself(owner):
    with pytest.raises(TeamError, match="needs an owner"):
        membership_role_change(membership=owner, role=Role.ADMIN, changed_by=owner)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_the_last_owner_cannot_be_removed(owner):
    with pytest.raises(TeamError, match="last owner cannot be removed"):
        membership_remove(membership=owner, removed_by=owner)
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_an_owner_can_step_down_once_there_is_another_owner(owner, member):
    membership_role_change(membership=member, role=Role.OWNER, changed_by=owner)
    membership_role_change(membership=owner, role=Role.VIEWER, changed_by=owner)
    assert {m.role for m in Membership.objects.all()} == {Role.OWNER, Role.VIEWER}


def test_an_owner_removes_another_owner_while_one_remains(owner, org):
    second = MembershipFactory(organization=org, role=Role.OWNER)
    membership_remove(membership=second, removed_by=owner)
    assert list(Membership.objects.values_list("role", flat=True)) == [Role.OWNER]


def test_an_admin_changes_a_members_role(admin, member):
    membership_role_change(membership=member, role=Role.VIEWER, changed_by=admin)
    member.refresh_from_db()
    assert member.role == Role.VIEWER


def test_an_admin_cannot_make_an_owner(admin, member):
    with pytest.raises(TeamPermissionError, match="Only an owner can make someone an owner"):
        membership_role_change(membership=member, role=Role.OWNER, changed_by=admin)


def test_an_admin_cannot_demote_or_remove_an_owner(admin, owner, org):
    MembershipFactory(organization=org, role=Role.OWNER)  # not the last one
    with pytest.raises(TeamPermissionError):
        membership_role_change(membership=owner, role=Role.MEMBER, changed_by=admin)
    with pytest.raises(TeamPermissionError):
        membership_remove(membership=owner, removed_by=admin)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_manage_no_one(org, member, role):
    actor = MembershipFactory(organization=org, role=role)
    with pytest.raises(TeamPermissionError, match="Only admins and owners"):
        membership_role_change(membership=member, role=Role.VIEWER, changed_by=actor)
    with pytest.raises(TeamPermissionError):
        membership_remove(membership=member, removed_by=actor)


def test_an_owner_of_another_organization_cannot_touch_this_one(member):
    stranger = MembershipFactory(organization=OrganizationFactory(slug="else"), role=Role.OWNER)
    with pytest.raises(TeamPermissionError, match="not in this organization"):
        membership_remove(membership=member, removed_by=stranger)


def test_a_new_organization_gets_a_unique_slug_and_its_creator_as_owner(owner):
    organization = organization_create(name="Acme", owner=owner.user)
    assert organization.slug == "acme-2"
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    assert organization_create(name="!!!", owner=owner.user).slug == "organization"


def _key(membership, scope="write", name="laptop"):
    from tokentracker.services import api_key_create

    return api_key_create(
        organization=membership.organization, name=name, scope=scope, created_by=membership.user
    )


def _status(client, raw_key):
    return client.get("/api/v1/public/requests", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code


def test_a_removed_members_keys_stop_working_at_once(client, owner, member, outsider_org):
    from tokentracker.models import ApiKey

    write, read = _key(member), _key(member, scope="read", name="dashboard")
    elsewhere = MembershipFactory(organization=outsider_org, user=member.user)
    kept_elsewhere = _key(elsewhere)
    colleagues = _key(owner)
    assert _status(client, write.raw_key) == 200  # the lookup is now cached
    membership_remove(membership=member, removed_by=owner)
    assert _status(client, write.raw_key) == 401
    assert _status(client, read.raw_key) == 401
    revoked = set(ApiKey.objects.exclude(revoked_at=None).values_list("pk", flat=True))
    assert revoked == {write.api_key.pk, read.api_key.pk}
    assert _status(client, kept_elsewhere.raw_key) == 200
    assert _status(client, colleagues.raw_key) == 200


def test_a_refused_removal_revokes_nothing(owner, member):
    from tokentracker.models import ApiKey

    _key(owner)
    with pytest.raises(TeamPermissionError):
        membership_remove(membership=owner, removed_by=member)
    assert not ApiKey.objects.exclude(revoked_at=None).exists()


def test_a_member_demoted_to_viewer_loses_their_write_keys_and_keeps_read_ones(
    client, owner, member
):
    write, read = _key(member), _key(member, scope="read", name="dashboard")
    assert _status(client, write.raw_key) == 200
    membership_role_change(membership=member, role=Role.VIEWER, changed_by=owner)
    assert _status(client, write.raw_key) == 401
    assert _status(client, read.raw_key) == 200
    write.api_key.refresh_from_db()
    assert write.api_key.revoked_at is not None


def test_a_demotion_that_keeps_write_rights_keeps_the_keys(client, owner, admin):
    write = _key(admin)
    membership_role_change(membership=admin, role=Role.MEMBER, changed_by=owner)
    assert _status(client, write.raw_key) == 200
