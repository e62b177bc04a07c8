import ipaddress
import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .metrics import INGEST_DOORS, ingest_request_observed
from .request_context import request_begin, request_id_accept
from .throttle import client_ip

logger = logging.getLogger("tokentracker.requests")


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the audit log records it (TRUST_X_FORWARDED_FOR honoured)."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:  # no REMOTE_ADDR (a unix socket without a proxy header)
        return None


class RequestLogMiddleware:
    """One log line per request, with its id, organization, status and duration.

    First in MIDDLEWARE, so the duration covers every other middleware and each of their
    log lines carries the request id. The id is the caller's `X-Request-ID` when it is
    safe to keep (tokentracker.request_context), else a new one, and is echoed in the
    response's X-Request-Id and in CodingVibez's `requestId`: a client, a proxy and our
    logs name the same request the same way. POSTs to an ingest door are also timed and
    counted for /metrics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        context = request_begin(
            request_id_accept(request.headers.get("X-Request-ID")),
            ip_address=client_address(request),
        )
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["X-Request-Id"] = context.request_id
        if request.method == "POST" and request.path_info in INGEST_DOORS:
            ingest_request_observed(
                door=request.path_info, status=response.status_code, seconds=seconds
            )
        # The path without its query string: a query can carry what a log must not.
        logger.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        return response
