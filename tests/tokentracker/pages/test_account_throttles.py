"""Throttles of log in, password reset, sign-up and new organizations (tokentracker.throttle)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.utils import timezone

from tests.factories import UserFactory
from tests.tokentracker.pages.test_signup_page import FORM as SIGN_UP

pytestmark = pytest.mark.django_db


def login(client, username, password="wrong", ip="10.0.0.1", **extra):
    return client.post(
        "/accounts/login", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def test_after_ten_failures_from_one_address_the_owner_still_logs_in_from_another(client):
    UserFactory(email="pat@example.com")
    statuses = [login(client, "pat@example.com", ip="10.6.6.6").status_code for _ in range(10)]
    assert statuses == [200] * 9 + [429]
    response = login(client, "pat@example.com", password="pw", ip="10.0.0.4")
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_the_guessing_address_is_locked_out_even_with_the_right_password(client):
    UserFactory(email="pat@example.com")
    for _ in range(9):
        assert login(client, "pat@example.com", ip="10.6.6.6").status_code == 200
    # The tenth failure is the one that locks, and says so in the product's page.
    tenth = login(client, "PAT@example.com", ip="10.6.6.6")
    assert tenth.status_code == 429
    response = login(client, "pat@example.com", password="pw", ip="10.6.6.6")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    page = response.content.decode()
    assert "Too many attempts; try again in 61 minutes." in page
    assert '<form method="post" action="/accounts/login">' in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client):
    UserFactory(email="pat@example.com")
    for _ in range(10):
        login(client, "pat@example.com", ip="10.6.6.6")
    assert login(client, "pat@example.com", password="pw", ip="10.6.6.6").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=61))
    assert login(client, "pat@example.com", password="pw", ip="10.6.6.6").status_code == 302


def test_failures_are_counted_per_account_and_address_together(client):
    assert login(client, "pat@example.com", ip="10.6.6.6").status_code == 200
    assert login(client, "sam@example.com", ip="10.6.6.6").status_code == 200
    assert login(client, "pat@example.com", ip="10.7.7.7").status_code == 200
    assert sorted(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    ) == [
        ("pat@example.com", "10.6.6.6", 1),
        ("pat@example.com", "10.7.7.7", 1),
        ("sam@example.com", "10.6.6.6", 1),
    ]


def test_behind_a_trusted_proxy_the_lockout_is_of_the_forwarded_address(client, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="pat@example.com")
    for _ in range(2):
        login(client, "pat@example.com", HTTP_X_FORWARDED_FOR="9.9.9.9, 6.6.6.6")
    locked = login(client, "pat@example.com", password="pw", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert locked.status_code == 429
    # Same proxy (REMOTE_ADDR), another client: not locked out.
    owner = login(client, "pat@example.com", password="pw", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert owner.status_code == 302


def test_a_successful_login_clears_the_failures_of_its_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="pat@example.com")
    assert login(client, "pat@example.com").status_code == 200
    assert login(client, "pat@example.com", password="pw").status_code == 302
    client.post("/accounts/logout")
    assert login(client, "pat@example.com").status_code == 200
    assert login(client, "pat@example.com", password="pw").status_code == 302


def test_an_empty_form_is_answered_with_the_form_and_counts_nothing(client):
    response = client.post("/accounts/login", {}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert AccessAttempt.objects.count() == 0


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


def test_a_request_without_a_client_address_is_counted_without_one(client):
    UserFactory(email="pat@example.com")
    assert login(client, "pat@example.com", ip="").status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        (None, 1)
    ]
    assert login(client, "pat@example.com", password="pw", ip="").status_code == 302


def test_a_failed_attempt_is_stored_without_its_password(client):
    login(client, "pat@example.com", password="hunter2-almost-right")
    [attempt] = AccessAttempt.objects.all()
    assert "hunter2-almost-right" not in attempt.post_data
    assert "password=********************" in attempt.post_data
