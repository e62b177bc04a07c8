"""The request being served: its id and organization, as every log line it writes names
them, and its client address and API key, as the audit log records them.

A context variable rather than a thread-local: each request (a gunicorn thread, or a task
copied into another context) sees its own. It holds one mutable object, so an organization
bound deep in a view is seen by the middleware that writes the request's line at the end.

The address and key are facts of the HTTP request, not of the domain: passing them through
every service of every app (keys, members, invitations, settings, integrations, plans) would
put HTTP into their signatures, so `tokentracker.services.audit` reads them here, as
django-auditlog's middleware does for its actor (that library records model diffs through
signals, not domain actions, and is not a dependency). Outside a request (tasks, commands)
both are unknown.
"""

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# What a client or proxy may send as X-Request-ID and have kept: bounded, and nothing that
# could forge a log line or a header (no spaces, quotes, control characters).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass
class RequestContext:
    request_id: str
    organization_id: int | None = None
    ip_address: str | None = None
    api_key_id: int | None = None


_OUTSIDE_A_REQUEST = RequestContext(request_id="")


_current: ContextVar[RequestContext | None] = ContextVar("tokentracker_request", default=None)


def request_id_new() -> str:
    # The shape CodingVibez's envelope always carried (`req_` and a uuid4's hex).
    return f"req_{uuid.uuid4().hex}"


def request_id_accept(header: str | None) -> str:
    """The caller's X-Request-ID when it is safe to log and echo, else a new id."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return request_id_new()


def request_begin(request_id: str, *, ip_address: str | None = None) -> RequestContext:
    """Start a request's context (tokentracker.middleware). It lasts until the response
    is closed (`request_end`, on Django's request_finished), not just until the middleware
    returns: Django logs a 4xx or 5xx after the whole middleware chain, and that line
    must name the request too."""
    context = RequestContext(request_id=request_id, ip_address=ip_address)
    _current.set(context)
    return context


def request_end(**kwargs: Any) -> None:
    """Django's request_finished receiver (tokentracker.signals)."""
    _current.set(None)


def request_context_current() -> RequestContext | None:
    return _current.get()


def request_context() -> RequestContext:
    """The current request's context; an empty one (no id, address or key) outside one."""
    return _current.get() or _OUTSIDE_A_REQUEST


def request_id_current() -> str:
    """The id of the request being served; a fresh one outside a request (a test's
    request factory, a management command)."""
    context = _current.get()
    return context.request_id if context else request_id_new()


def organization_bind(organization_id: int) -> None:
    """Name the organization the request acts for (an API key's, a member's), once known."""
    context = _current.get()
    if context is not None:
        context.organization_id = organization_id


def request_api_key_set(api_key_id: int) -> None:
    """Called by the API-key authentication once a request's key is known: the audit log
    names the key an action came through."""
    context = _current.get()
    if context is not None:
        context.api_key_id = api_key_id
