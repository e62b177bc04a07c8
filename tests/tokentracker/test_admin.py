"""Django admin for tenancy: organizations with members, invitations and keys inline."""

import pytest

from tests.factories import MembershipFactory
from tokentracker.models import ApiKeyScope, Membership, Role
from tokentracker.services import api_key_create
from tokentracker.services.invitations import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_an_organization_shows_its_members_invitations_and_keys_but_no_digest(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER, user__email="boss@example.com")
    created = api_key_create(organization=org, name="CI key")
    invitation_create(invited_by=owner, email="new@example.com", role="viewer", base_url="http://x")
    response = staff_client.get(f"/admin/tokentracker/organization/{org.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "boss@example.com" in content
    assert "new@example.com" in content
    assert created.api_key.lookup in content
    assert created.api_key.digest not in content
    assert created.raw_key not in content


def test_the_organization_list_shows_plan_and_member_counts_and_searches(staff_client, org):
    MembershipFactory(organization=org)
    MembershipFactory(organization=org)
    response = staff_client.get("/admin/tokentracker/organization/", {"q": "acm"})
    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert (row.slug, row.member_count, row.plan.name) == ("acme", 2, "Self-hosted")
    filters = response.context["cl"].filter_specs
    assert [spec.title for spec in filters][:3] == [
        "plan",
        "payload storage enabled",
        "community data opt in",
    ]


def test_invitations_are_listed_read_only_without_their_digest(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    sent = invitation_create(
        invited_by=owner, email="new@example.com", role="viewer", base_url="http://x"
    )
    listing = staff_client.get("/admin/tokentracker/invitation/")
    assert "new@example.com" in listing.content.decode()
    assert "pending" in listing.content.decode()
    detail = staff_client.get(f"/admin/tokentracker/invitation/{sent.invitation.pk}/change/")
    assert detail.status_code == 200
    assert sent.invitation.token_digest not in detail.content.decode()
    assert staff_client.get("/admin/tokentracker/invitation/add/").status_code == 403


def test_memberships_are_searchable_by_email(staff_client, org):
    MembershipFactory(organization=org, user__email="findme@example.com")
    MembershipFactory(organization=org, user__email="other@example.com")
    response = staff_client.get("/admin/tokentracker/membership/", {"q": "findme"})
    assert [m.user.email for m in response.context["cl"].result_list] == ["findme@example.com"]


def test_an_api_keys_own_admin_page_does_not_show_its_digest(staff_client, org):
    created = api_key_create(organization=org, name="CI key")
    response = staff_client.get(f"/admin/tokentracker/apikey/{created.api_key.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert created.api_key.lookup in content
    assert created.api_key.digest not in content


def _change_form_data(staff_client, org) -> dict:
    """The organization's change form as admin renders it, ready to post back."""
    response = staff_client.get(f"/admin/tokentracker/organization/{org.pk}/change/")
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        forms.extend(formset.initial_forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def _membership_prefix(data: dict, membership) -> str:
    [key] = [k for k, v in data.items() if k.endswith("-id") and v == membership.pk]
    return key[: -len("-id")]


def test_admin_cannot_demote_the_last_owner(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    data = _change_form_data(staff_client, org)
    data[f"{_membership_prefix(data, owner)}-role"] = Role.ADMIN
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 200
    assert "An organization needs an owner: make someone else owner first." in (
        response.content.decode()
    )
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_admin_cannot_delete_the_last_owner(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    MembershipFactory(organization=org, role=Role.ADMIN)
    data = _change_form_data(staff_client, org)
    data[f"{_membership_prefix(data, owner)}-DELETE"] = "on"
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 200
    assert "An organization needs an owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_admin_demotes_an_owner_when_another_stays_and_unchanged_forms_still_save(
    staff_client, org
):
    first = MembershipFactory(organization=org, role=Role.OWNER)
    MembershipFactory(organization=org, role=Role.OWNER)
    data = _change_form_data(staff_client, org)
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 302
    data[f"{_membership_prefix(data, first)}-role"] = Role.VIEWER
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.role == Role.VIEWER


def test_removing_a_member_in_admin_revokes_the_keys_they_made(staff_client, org):
    MembershipFactory(organization=org, role=Role.OWNER)
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    created = api_key_create(organization=org, name="laptop", created_by=member.user)
    data = _change_form_data(staff_client, org)
    data[f"{_membership_prefix(data, member)}-DELETE"] = "on"
    response = staff_client.post(f"/admin/tokentracker/organization/{org.pk}/change/", data)
    assert response.status_code == 302
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is not None


def _membership_url(membership, action="change"):
    return f"/admin/tokentracker/membership/{membership.pk}/{action}/"


def test_the_membership_page_cannot_demote_the_last_owner(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    response = staff_client.post(_membership_url(owner), {"role": Role.ADMIN})
    assert response.status_code == 200
    assert "An organization needs an owner: make someone else owner first." in (
        response.content.decode()
    )
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_the_membership_page_demotes_an_owner_to_viewer_and_revokes_their_write_keys(
    staff_client, org
):
    MembershipFactory(organization=org, role=Role.OWNER)
    second = MembershipFactory(organization=org, role=Role.OWNER)
    write = api_key_create(organization=org, name="w", created_by=second.user).api_key
    read = api_key_create(
        organization=org, name="r", created_by=second.user, scope=ApiKeyScope.READ
    ).api_key
    response = staff_client.post(_membership_url(second), {"role": Role.VIEWER})
    assert response.status_code == 302
    second.refresh_from_db()
    write.refresh_from_db()
    read.refresh_from_db()
    assert second.role == Role.VIEWER
    assert write.revoked_at is not None
    assert read.revoked_at is None


def test_the_membership_page_refuses_an_unknown_role(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    response = staff_client.post(_membership_url(owner), {"role": "emperor"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_the_membership_page_cannot_move_a_membership_to_another_organization(
    staff_client, org, outsider_org
):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    staff_client.post(_membership_url(owner), {"role": Role.OWNER, "organization": outsider_org.pk})
    owner.refresh_from_db()
    assert owner.organization_id == org.pk


def test_the_membership_delete_page_cannot_remove_the_last_owner(staff_client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    MembershipFactory(organization=org, role=Role.ADMIN)
    response = staff_client.post(_membership_url(owner, "delete"), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(_membership_url(owner), 302)]
    assert "The last owner cannot be removed: make someone else owner first." in (
        response.content.decode()
    )
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_the_membership_delete_page_removes_a_member_and_revokes_their_keys(staff_client, org):
    MembershipFactory(organization=org, role=Role.OWNER)
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    created = api_key_create(organization=org, name="laptop", created_by=member.user)
    response = staff_client.post(_membership_url(member, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is not None


def _bulk_delete(staff_client, *memberships):
    return staff_client.post(
        "/admin/tokentracker/membership/",
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [m.pk for m in memberships],
        },
        follow=True,
    )


def test_bulk_delete_of_every_owner_removes_none_of_the_selection(staff_client, org):
    first = MembershipFactory(organization=org, role=Role.OWNER)
    second = MembershipFactory(organization=org, role=Role.OWNER)
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    created = api_key_create(organization=org, name="laptop", created_by=member.user)
    response = _bulk_delete(staff_client, first, second, member)
    assert response.status_code == 200
    assert "The last owner cannot be removed" in response.content.decode()
    assert Membership.objects.filter(organization=org).count() == 3
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is None


def test_bulk_delete_names_the_organization_that_would_lose_its_owner(
    staff_client, org, outsider_org
):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    other = MembershipFactory(organization=outsider_org, role=Role.MEMBER)
    response = _bulk_delete(staff_client, owner, other)
    assert f"{org.name}: The last owner cannot be removed" in response.content.decode()
    assert Membership.objects.count() == 2


def test_bulk_delete_removes_members_and_one_of_two_owners_and_revokes_their_keys(
    staff_client, org
):
    MembershipFactory(organization=org, role=Role.OWNER)
    second = MembershipFactory(organization=org, role=Role.OWNER)
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    keys = [
        api_key_create(organization=org, name=m.user.email, created_by=m.user).api_key
        for m in (second, member)
    ]
    response = _bulk_delete(staff_client, second, member)
    assert response.status_code == 200
    assert "Successfully deleted 2 memberships." in response.content.decode()
    assert list(Membership.objects.values_list("role", flat=True)) == [Role.OWNER]
    for api_key in keys:
        api_key.refresh_from_db()
        assert api_key.revoked_at is not None


def test_someone_who_is_not_staff_cannot_change_or_delete_a_membership_in_admin(client, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    client.force_login(owner.user)
    login = f"/admin/login/?next={_membership_url(member, 'delete')}"
    assert client.post(_membership_url(member, "delete"), {"post": "yes"})["Location"] == login
    client.post(_membership_url(member), {"role": Role.VIEWER})
    member.refresh_from_db()
    assert member.role == Role.MEMBER
