"""What the audit log needs to know of the request a service runs in: the client's address
and the API key it came with.

They are facts of the HTTP request, not of the domain: passing them through every service
of every app (keys, members, invitations, settings, integrations, plans) would put HTTP
into their signatures. A middleware and the API-key authentication put them in a context
variable for the request's duration, as django-auditlog's middleware does for its actor
and address (that library records model diffs through signals, not domain actions, and is
not a dependency); outside a request (tasks, commands) both are unknown.
"""

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse

from .throttle import client_ip


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    api_key_id: int | None = None


_NONE = RequestContext()
_context: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def request_context() -> RequestContext:
    return _context.get() or _NONE


def request_api_key_set(api_key_id: int) -> None:
    """Called by the API-key authentication once a request's key is known."""
    _context.set(replace(request_context(), api_key_id=api_key_id))


def _address(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:  # no REMOTE_ADDR (a unix socket without a proxy header)
        return None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _context.set(RequestContext(ip_address=_address(request)))
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)
