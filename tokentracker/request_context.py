"""The request being served, as every log line it writes names it: its id and organization.

A context variable rather than a thread-local: each request (a gunicorn thread, or a task
copied into another context) sees its own. It holds one mutable object, so an organization
bound deep in a view is seen by the middleware that writes the request's line at the end.
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


_current: ContextVar[RequestContext | None] = ContextVar("tokentracker_request", default=None)


def request_id_new() -> str:
    # The shape CodingVibez's envelope always carried (`req_` and a uuid4's hex).
    return f"req_{uuid.uuid4().hex}"


def request_id_accept(header: str | None) -> str:
    """The caller's X-Request-ID when it is safe to log and echo, else a new id."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return request_id_new()


def request_begin(request_id: str) -> RequestContext:
    """Start a request's context (tokentracker.middleware). It lasts until the response
    is closed (`request_end`, on Django's request_finished), not just until the middleware
    returns: Django logs a 4xx or 5xx after the whole middleware chain, and that line
    must name the request too."""
    context = RequestContext(request_id=request_id)
    _current.set(context)
    return context


def request_end(**kwargs: Any) -> None:
    """Django's request_finished receiver (tokentracker.signals)."""
    _current.set(None)


def request_context_current() -> RequestContext | None:
    return _current.get()


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
