"""Members page: everyone in the organization reads it; admins and owners manage the team."""

import pytest
from django.core import mail

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db

CONFIRM = {"confirm": "yes"}


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_every_member_sees_the_list(client, sign_in, org, role):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="boss@example.com")
    sign_in(org, role, email="me@example.com")
    response = client.get("/o/acme/members/")
    assert response.status_code == 200
    emails = [m.user.email for m, _ in response.context["members"]]
    assert set(emails) == {"boss@example.com", "me@example.com"}
    managing = role in (Role.OWNER, Role.ADMIN)
    assert (b"Send invitation" in response.content) is managing
    assert (b"/remove" in response.content) is managing


def test_an_outsider_gets_404(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/members/").status_code == 404
    target = MembershipFactory(organization=org)
    assert client.post(f"/o/acme/members/{target.pk}/remove", CONFIRM).status_code == 404
    assert Membership.objects.filter(pk=target.pk).exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    assert client.get("/o/acme/members/")["Location"] == "/accounts/login?next=/o/acme/members/"


def test_members_are_listed_owners_first(client, sign_in, org):
    MembershipFactory(organization=org, role=Role.VIEWER, user__first_name="Aaron")
    MembershipFactory(organization=org, role=Role.OWNER, user__first_name="Zed")
    sign_in(org, Role.ADMIN)
    roles = [m.role for m, _ in client.get("/o/acme/members/").context["members"]]
    assert roles == [Role.OWNER, Role.ADMIN, Role.VIEWER]


def test_the_members_list_costs_a_fixed_number_of_queries(
    client, sign_in, org, django_assert_num_queries
):
    sign_in(org, Role.OWNER)
    for _ in range(8):
        MembershipFactory(organization=org)
    for n in range(5):
        Invitation.objects.create(
            organization=org,
            email=f"i{n}@example.com",
            token_digest=f"{n:064}",
            sent_at="2026-01-01T00:00Z",
            expires_at="2099-01-01T00:00Z",
        )
    client.get("/o/acme/members/")
    # session, user, membership, members with users, open invitations, switcher
    with django_assert_num_queries(6):
        assert client.get("/o/acme/members/").status_code == 200


def test_an_admin_changes_a_role(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    target = MembershipFactory(organization=org, role=Role.MEMBER)
    response = client.post(f"/o/acme/members/{target.pk}/role", {"role": "viewer"})
    assert response["Location"] == "/o/acme/members/"
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_a_viewer_or_member_cannot_change_roles_or_remove(client, sign_in, org):
    target = MembershipFactory(organization=org, role=Role.MEMBER)
    sign_in(org, Role.MEMBER)
    assert client.post(f"/o/acme/members/{target.pk}/role", {"role": "owner"}).status_code == 403
    assert client.post(f"/o/acme/members/{target.pk}/remove", CONFIRM).status_code == 403
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_an_admin_making_an_owner_is_refused_with_403(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    target = MembershipFactory(organization=org, role=Role.MEMBER)
    assert client.post(f"/o/acme/members/{target.pk}/role", {"role": "owner"}).status_code == 403
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_the_last_owner_sees_why_they_cannot_step_down(client, sign_in, org):
    owner = sign_in(org, Role.OWNER)
    mine = Membership.objects.get(user=owner)
    response = client.post(f"/o/acme/members/{mine.pk}/role", {"role": "admin"}, follow=True)
    assert "An organization needs an owner" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER
    response = client.post(f"/o/acme/members/{mine.pk}/remove", CONFIRM, follow=True)
    assert "The last owner cannot be removed" in response.content.decode()


def test_an_unknown_role_is_refused(client, sign_in, org):
    sign_in(org, Role.OWNER)
    target = MembershipFactory(organization=org, role=Role.MEMBER)
    response = client.post(f"/o/acme/members/{target.pk}/role", {"role": "god"}, follow=True)
    assert "Choose one of the roles." in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_an_admin_removes_a_member(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    target = MembershipFactory(organization=org, role=Role.VIEWER)
    assert client.post(f"/o/acme/members/{target.pk}/remove", CONFIRM).status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_a_member_of_another_organization_cannot_be_reached_through_this_one(client, sign_in, org):
    sign_in(org, Role.OWNER)
    foreign = MembershipFactory(organization=OrganizationFactory(slug="else"))
    assert client.post(f"/o/acme/members/{foreign.pk}/remove", CONFIRM).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_role_changes_and_removals_are_posts(client, sign_in, org):
    sign_in(org, Role.OWNER)
    target = MembershipFactory(organization=org)
    assert client.get(f"/o/acme/members/{target.pk}/remove").status_code == 405


def test_an_admin_invites_by_email_and_sees_the_invitation(
    client, sign_in, org, django_capture_on_commit_callbacks
):
    sign_in(org, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/o/acme/invitations/", {"email": "new@example.com", "role": "viewer"}
        )
    assert response["Location"] == "/o/acme/members/"
    [email] = mail.outbox
    assert "http://testserver/invitations/" in email.body
    page = client.get("/o/acme/members/")
    [(invitation, status, can_change)] = page.context["invitations"]
    assert (invitation.email, invitation.role, status, can_change) == (
        "new@example.com",
        "viewer",
        "pending",
        True,
    )


def test_an_admin_is_not_offered_the_owner_role_and_cannot_invite_one(client, sign_in, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    me = Membership.objects.get(user=sign_in(org, Role.ADMIN))
    response = client.get("/o/acme/members/")
    page = response.content.decode()
    assert '<option value="owner"' not in page
    assert dict((m.pk, can) for m, can in response.context["members"]) == {
        owner.pk: False,
        me.pk: True,
    }
    assert f"/members/{owner.pk}/remove" not in page
    response = client.post("/o/acme/invitations/", {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_bad_invitation_shows_the_form_again(client, sign_in, org):
    sign_in(org, Role.OWNER)
    response = client.post("/o/acme/invitations/", {"email": "not-an-email", "role": "member"})
    assert response.status_code == 400
    assert response.context["invitation_form"].errors == {"email": ["Enter a valid email address."]}


def test_a_rate_limited_invitation_says_so(client, sign_in, org, settings):
    settings.INVITATIONS_PER_HOUR_PER_USER = 1
    sign_in(org, Role.OWNER)
    client.post("/o/acme/invitations/", {"email": "a@example.com", "role": "member"})
    response = client.post("/o/acme/invitations/", {"email": "b@example.com", "role": "member"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many invitations" in response.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_invite(client, sign_in, org, role):
    sign_in(org, role)
    response = client.post("/o/acme/invitations/", {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_admin_resends_and_revokes_an_invitation(
    client, sign_in, org, django_capture_on_commit_callbacks
):
    sign_in(org, Role.ADMIN)
    client.post("/o/acme/invitations/", {"email": "new@example.com", "role": "member"})
    invitation = Invitation.objects.get()
    old_digest = invitation.token_digest
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/acme/invitations/{invitation.pk}/resend")
    invitation.refresh_from_db()
    assert invitation.token_digest != old_digest
    assert len(mail.outbox) == 1
    client.post(f"/o/acme/invitations/{invitation.pk}/revoke", CONFIRM)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get("/o/acme/members/").context["invitations"] == []


def test_an_outsider_cannot_revoke_this_organizations_invitations(
    client, sign_in, org, outsider_org
):
    invitation = Invitation.objects.create(
        organization=org,
        email="x@example.com",
        token_digest="0" * 64,
        sent_at="2026-01-01T00:00Z",
        expires_at="2099-01-01T00:00Z",
    )
    sign_in(outsider_org, Role.OWNER)
    assert client.post(f"/o/acme/invitations/{invitation.pk}/revoke", CONFIRM).status_code == 404
    assert (
        client.post(f"/o/outsider/invitations/{invitation.pk}/revoke", CONFIRM).status_code == 404
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


class BrokenSmtp:
    """An email backend whose mail server refuses the connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


# Committed for real, as in a request: the email is tried when the invitation commits.
@pytest.mark.django_db(transaction=True)
def test_with_the_mail_server_down_the_invitation_is_saved_and_the_page_says_resend(
    client, sign_in, org, settings
):
    settings.EMAIL_BACKEND = "tests.tokentracker.pages.test_members_page.BrokenSmtp"
    sign_in(org, Role.ADMIN)
    response = client.post("/o/acme/invitations/", {"email": "new@example.com", "role": "member"})
    assert response["Location"] == "/o/acme/members/"
    assert Invitation.objects.get().email == "new@example.com"
    page = client.get("/o/acme/members/").content.decode()
    assert (
        "The invitation to new@example.com is saved, but the email could not be sent: "
        "the mail server did not answer. Use Resend to try again."
    ) in page


def test_removing_without_the_confirmation_removes_nobody(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    target = MembershipFactory(organization=org, role=Role.VIEWER, user__email="v@example.com")
    response = client.post(f"/o/acme/members/{target.pk}/remove", follow=True)
    assert "Confirm to remove v@example.com: nothing was changed." in response.content.decode()
    assert Membership.objects.filter(pk=target.pk).exists()


def test_revoking_an_invitation_without_the_confirmation_keeps_it(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    client.post("/o/acme/invitations/", {"email": "new@example.com", "role": "member"})
    invitation = Invitation.objects.get()
    client.post(f"/o/acme/invitations/{invitation.pk}/revoke")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_remove_and_revoke_ask_for_confirmation_in_the_page(client, sign_in, org):
    sign_in(org, Role.OWNER)
    target = MembershipFactory(organization=org, user__email="v@example.com")
    client.post("/o/acme/invitations/", {"email": "new@example.com", "role": "member"})
    page = client.get("/o/acme/members/").content.decode()
    assert '<summary class="button small danger" aria-label="Remove v@example.com">' in page
    assert "Remove v@example.com from Acme? The API keys they created here stop working." in page
    assert (
        '<summary class="button small danger" '
        'aria-label="Revoke the invitation to new@example.com">'
    ) in page
    # two members (the owner may leave too) and the invitation
    assert page.count('<input type="hidden" name="confirm" value="yes">') == 3
    assert f'action="/o/acme/members/{target.pk}/remove"' in page


@pytest.mark.django_db(transaction=True)
def test_with_the_mail_server_down_a_resend_says_so_too(client, sign_in, org, settings):
    sign_in(org, Role.ADMIN)
    client.post("/o/acme/invitations/", {"email": "new@example.com", "role": "member"})
    settings.EMAIL_BACKEND = "tests.tokentracker.pages.test_members_page.BrokenSmtp"
    invitation = Invitation.objects.get()
    response = client.post(f"/o/acme/invitations/{invitation.pk}/resend", follow=True)
    assert response.status_code == 200
    assert "the email could not be sent" in response.content.decode()
