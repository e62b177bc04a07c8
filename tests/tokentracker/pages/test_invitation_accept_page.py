"""The page an invitation email links to: sign up, or sign in, then join."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from tests.tokentracker.invitation_links import emailed
from tokentracker.models import Invitation, Membership, Role
from tokentracker.services.invitations import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    return emailed(
        lambda: invitation_create(
            invited_by=owner,
            email="new@example.com",
            role=Role.VIEWER,
            base_url="http://testserver",
        )
    )


def url(sent):
    return f"/invitations/{sent.token}"


def test_a_newcomer_signs_up_from_the_link_and_joins_with_the_role(client, sent):
    page = client.get(url(sent))
    assert page.status_code == 200
    assert "Join Acme" in page.content.decode()
    response = client.post(url(sent), {"name": "Nu Person", "password": "a-good-password-7"})
    assert response["Location"] == "/o/acme/"
    membership = Membership.objects.get(user__email="new@example.com")
    assert membership.role == Role.VIEWER
    home = client.get("/o/acme/")
    assert home.status_code == 200
    assert "Welcome to Acme!" in home.content.decode()


def test_a_weak_password_keeps_the_invitation_open(client, sent):
    response = client.post(url(sent), {"name": "Nu", "password": "123"})
    assert response.status_code == 400
    assert not Membership.objects.filter(user__email="new@example.com").exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_with_an_account_is_asked_to_log_in_then_accepts(client, sent):
    UserFactory(email="new@example.com")
    page = client.get(url(sent)).content.decode()
    assert f"/accounts/login?next=/invitations/{sent.token}" in page
    client.post(
        f"/accounts/login?next={url(sent)}", {"username": "new@example.com", "password": "pw"}
    )
    assert client.get(url(sent)).status_code == 200
    response = client.post(url(sent))
    assert response["Location"] == "/o/acme/"
    assert Membership.objects.get(user__email="new@example.com").role == Role.VIEWER


def test_signed_in_as_someone_else_the_link_does_not_join_them(client, sent):
    client.force_login(UserFactory(email="other@example.com"))
    assert client.get(url(sent)).status_code == 403
    assert client.post(url(sent)).status_code == 403
    assert Membership.objects.count() == 1


def test_a_used_link_is_not_valid(client, sent):
    client.post(url(sent), {"name": "Nu", "password": "a-good-password-7"})
    client.post("/accounts/logout")
    response = client.get(url(sent))
    assert response.status_code == 404
    assert "not valid any more" in response.content.decode()


def test_an_expired_link_says_so(client, sent):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(url(sent), {"name": "Nu", "password": "a-good-password-7"})
    assert response.status_code == 404
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_an_unknown_token_is_404(client, db):
    assert client.get("/invitations/made-up").status_code == 404


def test_an_account_made_in_admin_with_the_address_as_username_only_joins(client, sent):
    # Django admin's "Add user" asks for a username and password, no email.
    UserFactory(username="new@example.com", email="")
    page = client.get(url(sent))
    assert page.status_code == 200
    assert f"/accounts/login?next=/invitations/{sent.token}" in page.content.decode()
    response = client.post(
        f"/accounts/login?next={url(sent)}", {"username": "new@example.com", "password": "pw"}
    )
    assert response["Location"] == url(sent)
    assert client.get(url(sent)).status_code == 200
    assert client.post(url(sent))["Location"] == "/o/acme/"
    membership = Membership.objects.get(organization__slug="acme", role=Role.VIEWER)
    assert (membership.user.username, membership.user.email) == (
        "new@example.com",
        "new@example.com",
    )


def test_posting_the_sign_up_form_for_a_username_only_account_creates_no_second_one(client, sent):
    UserFactory(username="new@example.com", email="")
    response = client.post(url(sent), {"name": "Nu", "password": "a-good-password-7"})
    assert response.status_code == 200
    assert "sign_in" in response.context
    assert UserFactory._meta.model.objects.filter(username__iexact="new@example.com").count() == 1
    assert Invitation.objects.get().accepted_at is None
