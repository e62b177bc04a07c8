"""The page of a form refused by the CSRF check (tokentracker.views.csrf): it names the
deployment setting that causes it, plain http with https-only cookies or an untrusted
proxy, and otherwise says to reload. Nothing the form asked for happens."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COOKIES = "<code>SESSION_COOKIE_SECURE</code> and <code>CSRF_COOKIE_SECURE</code>"
PROXY = "Set <code>TRUST_X_FORWARDED_PROTO=true</code>"
RELOAD = "Go back, reload the page and send the form again."


def _log_in_without_the_csrf_cookie(**request) -> tuple[int, str, Client]:
    """What a browser does over plain http with https-only cookies: it keeps no cookie, so
    the form's token has nothing to match."""
    UserFactory(email="pat@example.com", password="a-long-password-1")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login",
        {"username": "pat@example.com", "password": "a-long-password-1"},
        **request,
    )
    return response.status_code, response.content.decode(), client


def test_plain_http_with_https_only_cookies_names_both_settings(settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE  # production
    status, page, client = _log_in_without_the_csrf_cookie()
    assert status == 403
    assert "This page came over plain http" in page
    assert COOKIES in page
    assert (
        "<code>SESSION_COOKIE_SECURE=false</code> and <code>CSRF_COOKIE_SECURE=false</code>" in page
    )
    assert "Django's reason: CSRF cookie not set." in page
    assert PROXY not in page
    assert "_auth_user_id" not in client.session  # not signed in


def test_over_https_it_only_says_to_reload(settings):
    status, page, _ = _log_in_without_the_csrf_cookie(secure=True)
    assert status == 403
    assert RELOAD in page
    assert COOKIES not in page
    assert PROXY not in page


def test_plain_http_with_cookies_allowed_over_http_only_says_to_reload(settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    status, page, _ = _log_in_without_the_csrf_cookie()
    assert status == 403
    assert RELOAD in page
    assert COOKIES not in page


def test_an_untrusted_https_proxy_is_named(settings):
    settings.ALLOWED_HOSTS = ["tokens.example.com"]
    status, page, _ = _log_in_without_the_csrf_cookie(
        HTTP_HOST="tokens.example.com", HTTP_X_FORWARDED_PROTO="https"
    )
    assert status == 403
    assert "does not trust the proxy's <code>X-Forwarded-Proto</code> header" in page
    assert PROXY in page
    assert COOKIES not in page


def test_a_trusted_proxy_is_https_and_the_page_only_says_to_reload(settings):
    settings.ALLOWED_HOSTS = ["tokens.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    status, page, _ = _log_in_without_the_csrf_cookie(
        HTTP_HOST="tokens.example.com", HTTP_X_FORWARDED_PROTO="https"
    )
    assert status == 403
    assert RELOAD in page
    assert PROXY not in page


def test_a_signed_in_persons_stale_form_changes_nothing(client, sign_in, org):
    sign_in(org, "owner")
    stale = Client(enforce_csrf_checks=True)
    stale.cookies = client.cookies  # the session, without a CSRF cookie
    response = stale.post("/o/acme/keys/new", {"name": "k", "prefix": "mtt_", "scope": "write"})
    assert response.status_code == 403
    assert "This form could not be accepted" in response.content.decode()
    assert org.api_keys.count() == 0
