"""Where Stripe may send a customer back to: Checkout's success and cancel URLs and the
customer portal's return URL must be pages of this deployment.

A URL that a client names and Stripe redirects to after payment is an open redirect on a
trusted page (checkout.stripe.com) if it may point anywhere: a phishing page dressed as
"payment confirmed" would be one request away. So it must be absolute http(s) on one of the
deployment's own origins: the host the request came to, the hosts of ALLOWED_HOSTS (a
wildcard entry names no one host, so it is left out) and those of BILLING_RETURN_HOSTS (a
front end served elsewhere). https is required unless the request itself came over plain
http (a development server).
"""

import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

from tokentracker.errors import DomainError

# Stripe accepts success and cancel URLs up to 5,000 characters; ours are far shorter.
MAX_RETURN_URL_LENGTH = 2000
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CheckoutInvalid(DomainError):
    """Bad input for a checkout or a portal session (a return URL, the price); `field`
    names it as the service's caller passed it, for each door to word its own way."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={field: [message]})
        self.field = field


def return_hosts(request_host: str) -> set[str]:
    """The hosts (host or host:port, lower case) a return URL may point at."""
    configured = [*settings.ALLOWED_HOSTS, *settings.BILLING_RETURN_HOSTS]
    hosts = {host.lower() for host in configured if host and "*" not in host and host[0] != "."}
    hosts.add(request_host.lower())
    return hosts


def _netloc(scheme: str, hostname: str, port: int | None) -> str:
    """host[:port] as the allowed hosts are written: IPv6 in brackets, the default port of
    the scheme left out (https://example.com:443/ is https://example.com/)."""
    host = f"[{hostname}]" if ":" in hostname else hostname
    return host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


def return_url_check(field: str, value: object, *, request_host: str, request_secure: bool) -> str:
    """The URL as checked (scheme and host in lower case, a default port left out), for
    Stripe; CheckoutInvalid naming `field` if it is not a page of this site."""
    if not isinstance(value, str) or not value.strip():
        raise CheckoutInvalid(field, "is required: an absolute http(s) URL of this site")
    url = value.strip()
    if len(url) > MAX_RETURN_URL_LENGTH:
        raise CheckoutInvalid(field, f"must be at most {MAX_RETURN_URL_LENGTH} characters")
    if any(unicodedata.category(character)[0] == "C" for character in url):
        raise CheckoutInvalid(field, "must not contain control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CheckoutInvalid(field, "is not a valid URL") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise CheckoutInvalid(field, "must be an absolute http(s) URL")
    scheme = parts.scheme.lower()
    if request_secure and scheme != "https":
        raise CheckoutInvalid(field, "must be an https URL, as this site is served over https")
    if parts.username is not None or parts.password is not None:
        raise CheckoutInvalid(field, "must not carry a user name or password")
    allowed = return_hosts(request_host)
    netloc = _netloc(scheme, parts.hostname, port)
    # Django's own check for redirect targets (the login page's `next`) catches the tricks
    # a host comparison alone misses: backslashes, "///", a scheme-relative host.
    normalised = parts._replace(scheme=scheme, netloc=netloc).geturl()
    if netloc not in allowed or not url_has_allowed_host_and_scheme(
        normalised, allowed_hosts=allowed, require_https=request_secure
    ):
        hosts = ", ".join(sorted(allowed))
        raise CheckoutInvalid(field, f"must be a page of this site (hosts: {hosts})")
    return normalised
