"""Error dialects: one mechanism that renders every API error in its surface's own envelope.

Views raise `ApiError` (or DRF's exceptions); the exception handler classifies the error into
a `kind`, then the view's surface picks the dialect that turns (kind, message, details) into
the exact body and status that surface's seed documents. A surface sets its dialect once on
its base view class (see `tokentracker.api.base`), never per view.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from tokentracker.errors import DomainError, Kind
from tokentracker.request_context import request_id_current
from tokentracker.services import QuotaExceeded

__all__ = ["ApiError", "DomainError", "ErrorDialect", "Kind", "exception_handler"]

logger = logging.getLogger(__name__)


DEFAULT_STATUS = {
    Kind.VALIDATION: status.HTTP_400_BAD_REQUEST,
    Kind.UNAUTHORIZED: status.HTTP_401_UNAUTHORIZED,
    Kind.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    Kind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    Kind.METHOD_NOT_ALLOWED: status.HTTP_405_METHOD_NOT_ALLOWED,
    Kind.UNSUPPORTED_MEDIA_TYPE: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    Kind.CONFLICT: status.HTTP_409_CONFLICT,
    Kind.RATE_LIMITED: status.HTTP_429_TOO_MANY_REQUESTS,
    Kind.QUOTA_EXCEEDED: status.HTTP_429_TOO_MANY_REQUESTS,
    Kind.PAYMENT_REQUIRED: status.HTTP_402_PAYMENT_REQUIRED,
    Kind.INTERNAL: status.HTTP_500_INTERNAL_SERVER_ERROR,
    Kind.UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}


class ApiError(exceptions.APIException):
    """An error with a kind, a human message and structured details.

    `code` overrides the dialect's code for the kind (e.g. Token Optimizer's
    INVALID_DATE_RANGE is a validation error with its own code); `extra` adds fields a
    surface documents next to the message (carbon-llm's `billing_url`).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=message)
        self.kind = kind
        self.message = message
        self.details = details or {}
        self.code_override = code
        self.status_code = status_code or DEFAULT_STATUS[kind]
        self.extra = extra or {}


@dataclass(frozen=True)
class ErrorDialect:
    name: str
    shape: str  # "nested" | "flat_message" | "success_envelope" | "rpc_status"
    codes: dict[str, str]
    status_overrides: dict[str, int] = field(default_factory=dict)
    # The daily event quota (tokentracker.services.QuotaExceeded), as each seed words it.
    quota_message: str = "Daily event limit reached."
    quota_details: tuple[str, ...] = ("limit", "used", "requested")

    def quota_error(self, exc: QuotaExceeded) -> ApiError:
        numbers = {"limit": exc.limit, "used": exc.used, "requested": exc.requested}
        return ApiError(
            Kind.QUOTA_EXCEEDED,
            self.quota_message.format(**numbers),
            details={name: numbers[name] for name in self.quota_details},
        )

    def status_for(self, error: ApiError) -> int:
        if error.status_code != DEFAULT_STATUS[error.kind]:
            return error.status_code
        return self.status_overrides.get(error.kind, error.status_code)

    def body_for(self, error: ApiError, *, request_id: str) -> dict[str, Any]:
        code = error.code_override or self.codes.get(error.kind) or self.codes[Kind.INTERNAL]
        if self.shape == "nested":
            return {
                "error": {
                    "code": code,
                    "message": error.message,
                    "details": error.details,
                    **error.extra,
                }
            }
        if self.shape == "flat_message":
            return {"error": error.message}
        if self.shape == "rpc_status":
            # google.rpc.Status in its JSON form (OTLP's protobuf renderer encodes the same):
            # the gRPC code of the kind, never a contract's own code name.
            grpc_code = self.codes.get(error.kind) or self.codes[Kind.INTERNAL]
            return {"code": int(grpc_code), "message": error.message}
        return {"success": False, "error": error.message, "code": code, "requestId": request_id}


_UPPER_CODES = {
    Kind.VALIDATION: "VALIDATION_FAILED",
    Kind.UNAUTHORIZED: "UNAUTHORIZED",
    Kind.FORBIDDEN: "FORBIDDEN",
    Kind.NOT_FOUND: "NOT_FOUND",
    Kind.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    Kind.UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
    Kind.CONFLICT: "CONFLICT",
    Kind.RATE_LIMITED: "RATE_LIMITED",
    Kind.QUOTA_EXCEEDED: "DAILY_LIMIT_REACHED",
    Kind.PAYMENT_REQUIRED: "PAYMENT_REQUIRED",
    Kind.INTERNAL: "INTERNAL_ERROR",
    Kind.UNAVAILABLE: "SERVICE_UNAVAILABLE",
}

# MyTokenTracker (seed 000) and our own native /api/v1 API: validation failures are 422.
MYTOKENTRACKER = ErrorDialect(
    name="mytokentracker",
    shape="nested",
    codes=_UPPER_CODES,
    status_overrides={Kind.VALIDATION: status.HTTP_422_UNPROCESSABLE_ENTITY},
    quota_message="Daily log limit reached.",
)
NATIVE = MYTOKENTRACKER

# Token Optimizer (seed 001).
TOKEN_OPTIMIZER = ErrorDialect(
    name="token_optimizer",
    shape="nested",
    codes={**_UPPER_CODES, Kind.VALIDATION: "INVALID_PARAMETERS"},
)

# carbon-llm (seed 002): lower-case codes.
CARBON_LLM = ErrorDialect(
    name="carbon_llm",
    shape="nested",
    codes={
        Kind.VALIDATION: "validation_error",
        Kind.UNAUTHORIZED: "unauthorized",
        Kind.FORBIDDEN: "forbidden",
        Kind.NOT_FOUND: "not_found",
        Kind.METHOD_NOT_ALLOWED: "method_not_allowed",
        Kind.UNSUPPORTED_MEDIA_TYPE: "validation_error",
        Kind.CONFLICT: "conflict",
        Kind.RATE_LIMITED: "rate_limited",
        Kind.QUOTA_EXCEEDED: "rate_limited",
        Kind.PAYMENT_REQUIRED: "payment_required",
        Kind.INTERNAL: "internal_error",
        Kind.UNAVAILABLE: "service_unavailable",
    },
    quota_details=("limit", "used"),
)

# Tokenwise (seed 003): {"error": "Human-readable message"}.
TOKENWISE = ErrorDialect(
    name="tokenwise",
    shape="flat_message",
    codes=_UPPER_CODES,
    quota_message="Daily event limit reached",
    quota_details=(),
)

# CodingVibez (seed 004): {"success": false, "error", "code", "requestId"}.
CODINGVIBEZ = ErrorDialect(
    name="codingvibez",
    shape="success_envelope",
    codes={
        Kind.VALIDATION: "VALIDATION_ERROR",
        Kind.UNAUTHORIZED: "AUTHENTICATION_ERROR",
        Kind.FORBIDDEN: "AUTHORIZATION_ERROR",
        Kind.NOT_FOUND: "NOT_FOUND",
        Kind.METHOD_NOT_ALLOWED: "VALIDATION_ERROR",
        Kind.UNSUPPORTED_MEDIA_TYPE: "VALIDATION_ERROR",
        Kind.CONFLICT: "VALIDATION_ERROR",
        Kind.RATE_LIMITED: "RATE_LIMIT_EXCEEDED",
        Kind.QUOTA_EXCEEDED: "RATE_LIMIT_EXCEEDED",
        Kind.PAYMENT_REQUIRED: "AUTHORIZATION_ERROR",
        Kind.INTERNAL: "INTERNAL_ERROR",
        Kind.UNAVAILABLE: "DATABASE_ERROR",
    },
    quota_message="Daily event limit of {limit} reached.",
)


# OTLP/HTTP (OpenTelemetry's exporters, /v1/traces): every 4xx and 5xx body is a
# google.rpc.Status, whose code is a gRPC status code (numbers kept as text like the others).
OTLP = ErrorDialect(
    name="otlp",
    shape="rpc_status",
    codes={
        Kind.VALIDATION: "3",  # INVALID_ARGUMENT
        Kind.UNAUTHORIZED: "16",  # UNAUTHENTICATED
        Kind.FORBIDDEN: "7",  # PERMISSION_DENIED
        Kind.NOT_FOUND: "5",  # NOT_FOUND
        Kind.METHOD_NOT_ALLOWED: "12",  # UNIMPLEMENTED
        Kind.UNSUPPORTED_MEDIA_TYPE: "3",  # INVALID_ARGUMENT
        Kind.CONFLICT: "10",  # ABORTED
        Kind.RATE_LIMITED: "8",  # RESOURCE_EXHAUSTED
        Kind.QUOTA_EXCEEDED: "8",  # RESOURCE_EXHAUSTED
        Kind.PAYMENT_REQUIRED: "9",  # FAILED_PRECONDITION
        Kind.INTERNAL: "13",  # INTERNAL
        Kind.UNAVAILABLE: "14",  # UNAVAILABLE
    },
    quota_message="Daily event limit of {limit} reached.",
)


def as_api_error(exc: Exception) -> ApiError:
    """Classify any exception a view can raise into an ApiError."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DomainError):
        return ApiError(exc.kind, exc.message, details=exc.details, code=exc.code)
    if isinstance(exc, Http404):
        return ApiError(Kind.NOT_FOUND, "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return ApiError(Kind.FORBIDDEN, "You do not have permission to perform this action.")
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return ApiError(Kind.UNAUTHORIZED, str(exc.detail))
    if isinstance(exc, exceptions.PermissionDenied):
        return ApiError(Kind.FORBIDDEN, str(exc.detail))
    if isinstance(exc, exceptions.NotFound):
        return ApiError(Kind.NOT_FOUND, str(exc.detail))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ApiError(Kind.METHOD_NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ApiError(Kind.UNSUPPORTED_MEDIA_TYPE, str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return ApiError(Kind.RATE_LIMITED, str(exc.detail), details={"retry_after": exc.wait})
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE; whichever door read
        # it, nothing was accepted and a smaller request can succeed.
        return ApiError(
            Kind.VALIDATION,
            f"Request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            details={"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        # Too many query or form fields (DATA_UPLOAD_MAX_NUMBER_FIELDS), and the like: a
        # request Django will not read, so a client error, not ours.
        return ApiError(Kind.VALIDATION, "The request cannot be read.")
    if isinstance(exc, exceptions.ParseError):
        return ApiError(Kind.VALIDATION, str(exc.detail))
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return ApiError(Kind.VALIDATION, "Validation failed.", details=detail)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable or refusing connections: nothing was accepted, and a
        # retry later can succeed, which a 500 would not tell the client.
        return ApiError(Kind.UNAVAILABLE, "Service unavailable: the database cannot be reached.")
    if isinstance(exc, exceptions.APIException):
        kind = next(
            (k for k, code in DEFAULT_STATUS.items() if code == exc.status_code), Kind.INTERNAL
        )
        return ApiError(kind, str(exc.detail), status_code=exc.status_code)
    return ApiError(Kind.INTERNAL, "Internal server error.")


def error_response(
    error: ApiError, dialect: ErrorDialect, headers: dict[str, str] | None = None
) -> Response:
    request_id = request_id_current()
    response = Response(
        dialect.body_for(error, request_id=request_id),
        status=dialect.status_for(error),
        headers=headers,
    )
    response["X-Request-Id"] = request_id
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler: every API error, in the calling surface's dialect."""
    view = context.get("view")
    dialect = getattr(view, "error_dialect", NATIVE)
    error = dialect.quota_error(exc) if isinstance(exc, QuotaExceeded) else as_api_error(exc)
    if error.kind in (Kind.INTERNAL, Kind.UNAVAILABLE) and not isinstance(exc, ApiError):
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "API")
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))
    set_rollback()
    return error_response(error, dialect, headers)
