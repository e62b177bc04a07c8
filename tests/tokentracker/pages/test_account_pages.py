"""Log in, log out, password change and reset: Django's views with our templates."""

import re

import pytest
from django.core import mail

from tests.factories import MembershipFactory, UserFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db


def test_a_person_logs_in_with_their_email_and_lands_in_their_organization(client, org):
    MembershipFactory(organization=org, user__email="pat@example.com", role=Role.VIEWER)
    response = client.post("/accounts/login", {"username": "pat@example.com", "password": "pw"})
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/o/acme/"


def test_an_email_logs_in_whatever_its_case(client):
    UserFactory(email="pat@example.com")
    response = client.post("/accounts/login", {"username": " Pat@Example.COM", "password": "pw"})
    assert response.status_code == 302


def test_a_wrong_password_is_refused(client):
    UserFactory(email="pat@example.com")
    response = client.post("/accounts/login", {"username": "pat@example.com", "password": "no"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_log_out_is_a_post_and_ends_the_session(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert client.get("/accounts/logout").status_code == 405
    assert client.get("/o/acme/").status_code == 200
    response = client.post("/accounts/logout")
    assert response["Location"] == "/accounts/login"
    assert client.get("/o/acme/").status_code == 302


def test_the_user_menu_logs_out_with_a_form(client, sign_in, org):
    sign_in(org, Role.OWNER)
    content = client.get("/o/acme/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout">', content)


def test_a_signed_in_person_changes_their_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/accounts/password",
        {
            "old_password": "pw",
            "new_password1": "a-much-longer-one-42",
            "new_password2": "a-much-longer-one-42",
        },
    )
    assert response["Location"] == "/accounts/password/done"
    user.refresh_from_db()
    assert user.check_password("a-much-longer-one-42")


def test_password_reset_emails_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="pat@example.com")
    response = client.post("/accounts/password/reset", {"email": "pat@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your TokenTracker password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", mail.outbox[0].body)
    assert link
    form_url = client.get(link.group(1))["Location"]  # Django swaps the token for a session
    response = client.post(
        form_url, {"new_password1": "fresh-secret-9876", "new_password2": "fresh-secret-9876"}
    )
    assert response["Location"] == "/accounts/password/reset/done"
    user.refresh_from_db()
    assert user.check_password("fresh-secret-9876")


def test_password_reset_for_an_unknown_address_sends_nothing_but_says_the_same(client):
    response = client.post("/accounts/password/reset", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent"
    assert mail.outbox == []


def test_after_a_password_change_the_page_says_other_devices_were_signed_out(client):
    client.force_login(UserFactory())
    content = client.get("/accounts/password/done").content.decode()
    assert "every other device and browser" in content
    assert "signed out and needs the new password" in content
    assert "stay signed in until" not in content


def test_the_reset_email_is_plain_text_not_html_escaped(client):
    UserFactory(email="o'brien@example.com")
    client.post("/accounts/password/reset", {"email": "o'brien@example.com"})
    assert "the TokenTracker account o'brien@example.com." in mail.outbox[0].body
