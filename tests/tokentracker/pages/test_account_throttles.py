"""Throttles of log in, password reset, sign-up and new organizations (tokentracker.throttle)."""

import pytest
from django.core import mail

from tests.factories import UserFactory
from tests.tokentracker.pages.test_signup_page import FORM as SIGN_UP

pytestmark = pytest.mark.django_db


def login(client, username, password="wrong", ip="10.0.0.1", **extra):
    return client.post(
        "/accounts/login", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def test_failed_logins_lock_the_account_for_the_hour_even_with_the_right_password(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR_PER_ACCOUNT = 3
    UserFactory(email="pat@example.com")
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert login(client, "pat@example.com", ip=ip).status_code == 200
    response = login(client, "PAT@example.com", password="pw", ip="10.0.0.4")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many attempts; try again in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_does_not_count_against_the_account(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR_PER_ACCOUNT = 1
    UserFactory(email="pat@example.com")
    assert login(client, "pat@example.com", password="pw").status_code == 302
    client.post("/accounts/logout")
    assert login(client, "pat@example.com", password="pw").status_code == 302


def test_one_ip_trying_many_accounts_is_refused(client, settings):
    settings.LOGIN_ATTEMPTS_PER_HOUR_PER_IP = 2
    assert login(client, "a@example.com").status_code == 200
    assert login(client, "b@example.com").status_code == 200
    assert login(client, "c@example.com").status_code == 429
    assert login(client, "c@example.com", ip="10.9.9.9").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client, settings):
    settings.LOGIN_ATTEMPTS_PER_HOUR_PER_IP = 1
    settings.TRUST_X_FORWARDED_FOR = True

    def via_proxy(forwarded_for):
        return login(client, "a@example.com", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert via_proxy("1.1.1.1") == 200
    # A client-sent first entry does not change the address the proxy appended.
    assert via_proxy("9.9.9.9, 1.1.1.1") == 429
    assert via_proxy("2.2.2.2") == 200


def test_reset_emails_to_one_address_stop_at_the_limit_without_saying_so(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 2
    UserFactory(email="pat@example.com")
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        response = client.post(
            "/accounts/password/reset", {"email": "pat@example.com"}, REMOTE_ADDR=ip
        )
        assert response["Location"] == "/accounts/password/reset/sent"
    assert [m.to for m in mail.outbox] == [["pat@example.com"], ["pat@example.com"]]


def test_reset_requests_from_one_ip_are_refused_over_the_limit(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR_PER_IP = 1
    client.post("/accounts/password/reset", {"email": "a@example.com"})
    response = client.post("/accounts/password/reset", {"email": "b@example.com"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600


def test_sign_ups_from_one_ip_are_refused_over_the_limit(client, settings):
    settings.SIGN_UPS_PER_HOUR_PER_IP = 1
    assert client.post("/accounts/signup", {**SIGN_UP, "email": ""}).status_code == 200
    response = client.post("/accounts/signup", SIGN_UP)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not UserFactory._meta.model.objects.exists()


def test_a_person_creating_organizations_is_refused_over_the_limit(client, settings):
    settings.ORGANIZATIONS_PER_HOUR_PER_USER = 1
    client.force_login(UserFactory())
    assert client.post("/organizations/new", {"name": "One"})["Location"] == "/o/one/"
    response = client.post("/organizations/new", {"name": "Two"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
