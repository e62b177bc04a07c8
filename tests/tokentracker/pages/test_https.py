"""Production's https: plain http is redirected (but for the load balancer's health check),
https answers carry HSTS, and behind a trusted proxy a forwarded https request is served.

The suite turns the redirect off (tests/conftest.py); these tests turn it back on with the
production values that tests/tokentracker/test_security_settings.py shows are the defaults.
"""

import pytest

pytestmark = pytest.mark.django_db

YEAR = 31_536_000


@pytest.fixture
def production_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = YEAR
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False


def test_plain_http_is_redirected_to_the_same_address_over_https(client, production_https):
    response = client.get("/accounts/login?next=/o/acme/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login?next=/o/acme/"
    assert "Strict-Transport-Security" not in response  # only meaningful over https


def test_an_api_call_over_plain_http_is_redirected_too(client, production_https, raw_key):
    response = client.get("/api/v1/data", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/data"


def test_the_health_check_answers_a_load_balancer_over_plain_http(client, production_https):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert client.get("/api/health/").status_code == 301  # the exemption is that path only


def test_an_https_page_tells_browsers_to_stay_on_https_for_a_year(client, production_https):
    response = client.get("/accounts/login", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains"


def test_preload_is_added_only_when_opted_in(client, production_https, settings):
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/accounts/login", secure=True)
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains; preload"


def test_behind_a_trusted_proxy_a_forwarded_https_request_is_served(
    client, production_https, settings
):
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https"}
    # Not trusting the proxy's header: the request looks like http and redirects to itself
    # forever (README: set TRUST_X_FORWARDED_PROTO behind a proxy that ends TLS).
    assert client.get("/accounts/login", **forwarded).status_code == 301
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/accounts/login", **forwarded)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains"
    # A client behind a trusting setup cannot fake http to dodge the redirect either.
    assert client.get("/accounts/login", HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_an_unknown_host_is_refused_not_redirected_to(client, production_https):
    response = client.get("/accounts/login", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "Location" not in response


def test_debug_style_settings_serve_plain_http_without_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    assert client.get("/accounts/login").status_code == 200
    assert "Strict-Transport-Security" not in client.get("/accounts/login", secure=True)
