"""Where a webhook may post: public addresses only, unless ALERT_WEBHOOK_ALLOW_PRIVATE.

A webhook's URL is chosen by a tenant and its delivery log shows how the URL answered, so
an endpoint on 127.0.0.1, 10.0.0.0/8 or 169.254.169.254 (a cloud's metadata service)
would let a tenant probe, and post to, the network TokenTracker runs in (SSRF). Two checks:

- when a URL is saved, a host that is an address itself (`203.0.113.7`, `[::1]`, and the
  shorthand IPv4 forms resolvers accept: `2130706433`, `0x7f.1`, `127.1`) must be public;
- when a delivery is sent, the host name is resolved once (`getaddrinfo`), every address it
  gives must be public, and the post connects to those checked addresses, keeping the name
  in the Host header and TLS's SNI (so the certificate is still checked against it).

Connecting to the addresses checked, rather than checking and then letting the HTTP client
resolve the name again, is what stops DNS rebinding: a name that answers a public address
to the check and 127.0.0.1 to the connection a moment later (TTL 0) is connected to at the
public address. What this cannot stop: a public address that is itself a gateway into a
private network (a NAT64 prefix or 6to4 address is unwrapped and checked; other tunnels are
not), and a receiver that answers with a redirect, which is never followed.

A self-hoster whose alerts go to an internal service (a Mattermost on the LAN) sets
ALERT_WEBHOOK_ALLOW_PRIVATE: names are still resolved once and connected to as checked,
but any address is allowed.
"""

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
REFUSED_WHAT = "a private, loopback, link-local, reserved or multicast address"


class TargetRefused(Exception):
    """The host resolves to an address webhooks may not post to (nothing was sent)."""


class TargetUnresolved(Exception):
    """The host name did not resolve (a DNS failure may pass: worth another attempt)."""


def private_allowed() -> bool:
    return settings.ALERT_WEBHOOK_ALLOW_PRIVATE


def address_is_public(address: IPAddress) -> bool:
    """Reachable on the public internet: not private, loopback, link-local, unspecified,
    reserved, shared (100.64/10), documentation or multicast, nor an IPv6 form wrapping
    such an IPv4 address (mapped, NAT64, 6to4)."""
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = address.ipv4_mapped or address.sixtofour
        if wrapped is None and address in NAT64_PREFIX:
            wrapped = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if wrapped is not None:
            return address_is_public(wrapped)
    return address.is_global and not address.is_multicast


def host_literal(host: str) -> IPAddress | None:
    """The address a URL's host names by itself, or None for a name to resolve. Beside the
    standard forms, the IPv4 shorthands `inet_aton` reads (and so every resolver the HTTP
    client might use): one, two or three parts, octal and hex."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def host_refused(host: str) -> bool:
    """At save time: `host` is an address, not a public one, and private ones are not
    allowed. A name is judged when it is resolved, at send time."""
    address = host_literal(host)
    return address is not None and not private_allowed() and not address_is_public(address)


def target_addresses(url: str) -> list[str]:
    """The addresses to connect to for `url`, each checked, in the resolver's order.

    Raises `TargetRefused` when any of them is not public (and private ones are not
    allowed): a name that also points inside is refused whole rather than tried in part.
    Raises `TargetUnresolved` when the name does not resolve.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetUnresolved(f"The host name did not resolve ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not private_allowed():
        refused = [a for a in addresses if not address_is_public(ipaddress.ip_address(a))]
        if refused:
            # The addresses stay in the server's log: the delivery log a tenant reads must
            # not become a way to look up names inside our network.
            logger.warning(
                "webhook host %s refused: it resolves to %s (ALERT_WEBHOOK_ALLOW_PRIVATE is off)",
                host,
                ", ".join(refused),
            )
            raise TargetRefused(
                f"Refused: the host resolves to {REFUSED_WHAT}; nothing was sent "
                "(ALERT_WEBHOOK_ALLOW_PRIVATE is off)."
            )
    if not addresses:
        raise TargetUnresolved("The host name resolved to no address.")
    return addresses
