import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory
from tokentracker.models import Membership, Role

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "password": "analytical-engine-1843",
    "organization_name": "Engines Ltd",
}


def test_sign_up_creates_the_user_and_an_organization_they_own_and_signs_them_in(client):
    response = client.post("/accounts/signup", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/o/engines-ltd/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.get_full_name()) == (
        "ada@example.com",
        "ada@example.com",
        "Ada Lovelace",
    )
    membership = Membership.objects.get(user=user)
    assert (membership.organization.slug, membership.role) == ("engines-ltd", Role.OWNER)
    assert client.get("/o/engines-ltd/").status_code == 200


def test_an_email_with_an_account_is_refused(client):
    UserFactory(email="ada@example.com")
    response = client.post("/accounts/signup", FORM)
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email exists: sign in instead."
    ]


def test_a_weak_password_is_refused_by_the_validators(client):
    response = client.post("/accounts/signup", {**FORM, "password": "12345678"})
    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["password"]
    assert not get_user_model().objects.exists()


def test_sign_up_is_404_when_turned_off(client, settings):
    settings.SIGNUP_ENABLED = False
    assert client.get("/accounts/signup").status_code == 404
    assert client.post("/accounts/signup", FORM).status_code == 404
    assert not get_user_model().objects.exists()
    assert b"/accounts/signup" not in client.get("/accounts/login").content


def test_the_sign_up_form_is_linked_from_log_in(client):
    assert b'href="/accounts/signup"' in client.get("/accounts/login").content
