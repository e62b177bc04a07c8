"""Checkout's and the portal's return URLs must be pages of this deployment: the request's
host, ALLOWED_HOSTS without wildcards, BILLING_RETURN_HOSTS; https unless the request came
over plain http."""

import pytest

from billing.services.return_urls import CheckoutInvalid, return_hosts, return_url_check


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["tokentracker.example.com", ".example.org", "*", "[::1]"]
    settings.BILLING_RETURN_HOSTS = ["app.example.net", "front.example.net:8443"]


def check(url, *, host="tokentracker.example.com", secure=True):
    return return_url_check("success_url", url, request_host=host, request_secure=secure)


def refusal(url, **kwargs):
    with pytest.raises(CheckoutInvalid) as caught:
        check(url, **kwargs)
    assert caught.value.field == "success_url"
    assert caught.value.details == {"success_url": [caught.value.message.split(": ", 1)[1]]}
    return caught.value.message


def test_wildcards_name_no_host_and_the_request_host_is_added():
    assert return_hosts("Localhost:8000") == {
        "tokentracker.example.com",
        "[::1]",
        "app.example.net",
        "front.example.net:8443",
        "localhost:8000",
    }


@pytest.mark.parametrize(
    ("url", "checked"),
    [
        ("https://tokentracker.example.com/o/acme/billing/?checkout=success", None),
        ("  https://tokentracker.example.com/done  ", "https://tokentracker.example.com/done"),
        ("HTTPS://TokenTracker.Example.com:443/x", "https://tokentracker.example.com/x"),
        ("https://app.example.net/billing?session={CHECKOUT_SESSION_ID}", None),
        ("https://front.example.net:8443/paid", None),
        ("https://[::1]/paid", None),
    ],
)
def test_a_page_of_this_site_is_accepted(url, checked):
    assert check(url) == (checked or url)


def test_the_request_host_with_its_port_is_accepted_over_plain_http():
    assert check("http://localhost:8000/x", host="localhost:8000", secure=False) == (
        "http://localhost:8000/x"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://evil.example.com/phish", "must be a page of this site (hosts: "),
        ("https://sub.example.org/x", "must be a page of this site"),
        ("https://front.example.net/no-port", "must be a page of this site"),
        ("https://tokentracker.example.com:8443/other-port", "must be a page of this site"),
        ("https://tokentracker.example.com.evil.com/", "must be a page of this site"),
        ("javascript:alert(1)", "must be an absolute http(s) URL"),
        ("/o/acme/billing/", "must be an absolute http(s) URL"),
        ("//tokentracker.example.com/x", "must be an absolute http(s) URL"),
        ("ftp://tokentracker.example.com/x", "must be an absolute http(s) URL"),
        ("http://tokentracker.example.com/x", "must be an https URL"),
        ("https://user:pw@tokentracker.example.com/", "must not carry a user name"),
        ("https://evil.com\\@tokentracker.example.com/", "must not carry a user name"),
        ("https://tokentracker.example.com/\x00", "must not contain control characters"),
        ("https://tokentracker.example.com/\nx", "must not contain control characters"),
        ("https://[::1/", "is not a valid URL"),
        ("https://tokentracker.example.com:99999/", "is not a valid URL"),
        ("https://tokentracker.example.com/" + "a" * 2000, "must be at most 2000 characters"),
        ("", "is required"),
        (None, "is required"),
        (42, "is required"),
    ],
)
def test_anything_else_is_refused_naming_the_field(url, message):
    assert refusal(url).startswith(f"success_url: {message}")
