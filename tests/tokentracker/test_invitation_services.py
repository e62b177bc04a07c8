"""Invitations: who may invite, the emailed single-use link, expiry, resend, revoke, limits."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from tests.tokentracker.invitation_links import emailed
from tokentracker.models import Invitation, Membership, Role
from tokentracker.selectors import invitation_digest
from tokentracker.services.invitations import (
    InvitationInvalid,
    InvitationRateLimited,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitation_sign_up,
)
from tokentracker.services.teams import TeamError, TeamPermissionError

pytestmark = pytest.mark.django_db

BASE = "https://tt.example.com"


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Role.OWNER, user__email="owner@example.com")


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


def invite(by, email="new@example.com", role=Role.MEMBER):
    return emailed(lambda: invitation_create(invited_by=by, email=email, role=role, base_url=BASE))


def test_an_invitation_emails_a_link_and_stores_only_the_tokens_digest(owner):
    sent = invite(owner, email=" New@Example.com ", role=Role.ADMIN)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new@example.com",
        Role.ADMIN,
        owner.user,
    )
    assert sent.token not in invitation.token_digest
    assert invitation.token_digest == invitation_digest(sent.token)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    [email] = mail.outbox
    assert email.to == ["new@example.com"]
    assert email.subject == "Join Acme on TokenTracker"
    assert f"{BASE}/invitations/{sent.token}" in email.body
    assert "as admin" in email.body


def test_the_invitee_accepts_once_and_joins_with_the_role(owner):
    sent = invite(owner, role=Role.VIEWER)
    user = UserFactory(email="new@example.com")
    membership = invitation_accept(token=sent.token, user=user)
    assert (membership.organization, membership.role) == (owner.organization, Role.VIEWER)
    sent.invitation.refresh_from_db()
    assert sent.invitation.accepted_by == user
    with pytest.raises(InvitationInvalid, match="not valid any more"):
        invitation_accept(token=sent.token, user=user)


def test_someone_else_cannot_use_a_forwarded_link(owner):
    sent = invite(owner)
    with pytest.raises(TeamPermissionError, match=r"is for new@example\.com"):
        invitation_accept(token=sent.token, user=UserFactory(email="other@example.com"))
    assert Membership.objects.count() == 1


def test_an_expired_invitation_cannot_be_accepted(owner):
    sent = invite(owner)
    later = timezone.now() + timedelta(days=7, seconds=1)
    with (
        mock.patch.object(timezone, "now", return_value=later),
        pytest.raises(InvitationInvalid, match="expired"),
    ):
        invitation_accept(token=sent.token, user=UserFactory(email="new@example.com"))


def test_a_revoked_invitation_cannot_be_accepted(owner):
    sent = invite(owner)
    invitation_revoke(invitation=sent.invitation, revoked_by=owner)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=sent.token, user=UserFactory(email="new@example.com"))


def test_resending_replaces_the_link_and_the_expiry(owner):
    sent = invite(owner)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))
    sent.invitation.refresh_from_db()
    resent = emailed(
        lambda: invitation_resend(invitation=sent.invitation, resent_by=owner, base_url=BASE)
    )
    assert resent.token != sent.token
    assert resent.invitation.expires_at > timezone.now() + timedelta(days=6)
    assert f"/invitations/{resent.token}" in mail.outbox[-1].body
    invitee = UserFactory(email="new@example.com")
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=sent.token, user=invitee)
    assert invitation_accept(token=resent.token, user=invitee).role == Role.MEMBER


def test_inviting_an_address_again_refreshes_its_open_invitation(owner):
    first = invite(owner, role=Role.VIEWER)
    second = invite(owner, role=Role.ADMIN)
    assert Invitation.objects.count() == 1
    assert second.invitation.pk == first.invitation.pk
    assert second.invitation.role == Role.ADMIN


def test_a_member_cannot_be_invited_again(owner):
    with pytest.raises(TeamError, match="already a member"):
        invite(owner, email="OWNER@example.com")


def test_an_admin_cannot_invite_an_owner_but_an_owner_can(admin, owner):
    with pytest.raises(TeamPermissionError, match="Only an owner can invite an owner"):
        invite(admin, role=Role.OWNER)
    assert invite(owner, role=Role.OWNER).invitation.role == Role.OWNER


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_invite(org, role):
    with pytest.raises(TeamPermissionError, match="Only admins and owners invite"):
        invite(MembershipFactory(organization=org, role=role))


def test_an_admin_cannot_revoke_or_resend_an_owners_invitation(admin, owner):
    sent = invite(owner, role=Role.OWNER)
    with pytest.raises(TeamPermissionError):
        invitation_revoke(invitation=sent.invitation, revoked_by=admin)
    with pytest.raises(TeamPermissionError):
        invitation_resend(invitation=sent.invitation, resent_by=admin, base_url=BASE)


def test_invitations_are_rate_limited_per_person(owner, settings):
    settings.INVITATIONS_PER_HOUR_PER_USER = 2
    invite(owner, email="a@example.com")
    invite(owner, email="b@example.com")
    with pytest.raises(InvitationRateLimited, match="Too many invitations") as caught:
        invite(owner, email="c@example.com")
    assert 0 < caught.value.retry_after <= 3600
    assert Invitation.objects.count() == 2


def test_invitations_are_rate_limited_per_organization(owner, admin, settings):
    settings.INVITATIONS_PER_HOUR_PER_ORGANIZATION = 2
    invite(owner, email="a@example.com")
    invite(admin, email="b@example.com")
    with pytest.raises(InvitationRateLimited):
        invite(admin, email="c@example.com")


def test_signing_up_from_an_invitation_creates_the_account_and_joins(owner):
    sent = invite(owner, role=Role.ADMIN)
    user, membership = invitation_sign_up(
        token=sent.token, password="pw-long-enough", name="Nu Person"
    )
    assert (user.email, user.get_full_name()) == ("new@example.com", "Nu Person")
    assert membership.role == Role.ADMIN
    assert user.check_password("pw-long-enough")


def test_signing_up_from_an_invitation_for_an_existing_account_is_refused(owner):
    UserFactory(email="new@example.com")
    sent = invite(owner)
    with pytest.raises(TeamError, match="already has an account"):
        invitation_sign_up(token=sent.token, password="pw-long-enough", name="X")


def test_the_email_link_opens_the_accept_page(owner, client):
    invite(owner)
    path = re.search(r"https://tt\.example\.com(\S+)", mail.outbox[0].body).group(1)
    assert client.get(path).status_code == 200


def test_the_invitation_email_is_plain_text_not_html_escaped(org):
    org.name = "O'Brien & Co"
    org.save()
    inviter = MembershipFactory(
        organization=org, role=Role.OWNER, user__first_name="Seán", user__last_name="O'Brien"
    )
    invite(inviter)
    [email] = mail.outbox
    assert email.subject == "Join O'Brien & Co on TokenTracker"
    assert email.body.startswith(
        "Seán O'Brien invited you to join O'Brien & Co on TokenTracker as member."
    )
    assert "&amp;" not in email.body
    assert "&#x27;" not in email.body


def test_an_account_with_the_address_as_username_only_accepts_and_gets_the_email(owner):
    sent = invite(owner)
    user = UserFactory(username="new@example.com", email="")
    membership = invitation_accept(token=sent.token, user=user)
    user.refresh_from_db()
    assert (membership.organization, user.email) == (owner.organization, "new@example.com")


def test_an_account_whose_email_differs_from_its_username_address_cannot_accept(owner):
    sent = invite(owner)
    user = UserFactory(username="new@example.com", email="other@example.com")
    with pytest.raises(TeamPermissionError, match=r"This invitation is for new@example\.com"):
        invitation_accept(token=sent.token, user=user)


def test_signing_up_from_an_invitation_is_refused_when_a_username_has_the_address(owner):
    sent = invite(owner)
    UserFactory(username="New@Example.com", email="")
    with pytest.raises(TeamError, match="already has an account: sign in to accept"):
        invitation_sign_up(token=sent.token, password="pw-long-enough", name="X")


def test_someone_already_a_member_under_their_username_cannot_be_invited(owner, org):
    MembershipFactory(organization=org, user__username="pat@example.com", user__email="")
    with pytest.raises(TeamError, match=r"^pat@example\.com is already a member of Acme\.$"):
        invite(owner, email="Pat@Example.com")
    assert not Invitation.objects.exists()
