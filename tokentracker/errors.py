"""Errors of the domain, each with a kind: what rule a request broke, not how to say it.

Services and selectors raise these (or a subclass); they know nothing of HTTP. The one
exception handler (`tokentracker.api.errors`) renders a kind in each contract's envelope
and status, and a contract that words an error its own way catches it and says so.
"""

from typing import Any


class Kind:
    VALIDATION = "validation"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    PAYMENT_REQUIRED = "payment_required"
    INTERNAL = "internal"
    UNAVAILABLE = "unavailable"


class DomainError(Exception):
    """A rule broken; `kind` is its family, `code` a finer name a contract may answer with."""

    kind = Kind.VALIDATION
    code: str | None = None

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code is not None:
            self.code = code
