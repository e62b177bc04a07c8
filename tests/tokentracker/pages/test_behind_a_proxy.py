"""Forms behind an https reverse proxy: the CSRF origin check needs to know about it."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "https://tokens.example.com"


def _log_in_through_the_proxy(host: str) -> int:
    client = Client(enforce_csrf_checks=True)
    proxied = {"HTTP_HOST": host, "HTTP_X_FORWARDED_PROTO": "https"}
    token = client.get("/accounts/login", **proxied).context["csrf_token"]
    response = client.post(
        "/accounts/login",
        {"username": "pat@example.com", "password": "pw", "csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN=PUBLIC,
        HTTP_REFERER=f"{PUBLIC}/accounts/login",
        **proxied,
    )
    return response.status_code


@pytest.fixture
def behind_a_proxy(settings):
    UserFactory(email="pat@example.com")
    settings.ALLOWED_HOSTS = ["tokens.example.com", "app"]


def test_without_trusting_the_proxy_the_https_form_fails_the_csrf_check(behind_a_proxy):
    assert _log_in_through_the_proxy("tokens.example.com") == 403


def test_trusting_x_forwarded_proto_lets_the_form_through(behind_a_proxy, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _log_in_through_the_proxy("tokens.example.com") == 302


def test_a_proxy_that_rewrites_the_host_needs_the_trusted_origin(behind_a_proxy, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _log_in_through_the_proxy("app:8000") == 403
    settings.CSRF_TRUSTED_ORIGINS = [PUBLIC]
    assert _log_in_through_the_proxy("app:8000") == 302
