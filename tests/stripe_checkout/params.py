"""How Stripe's API reads requests and refuses them, as the stand-in needs it: form
parameters, the error body, "Missing required param", "Not a valid URL"."""

import secrets
import warnings
from typing import Any
from urllib.parse import parse_qsl


def stripe_error(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Stripe's error body (docs.stripe.com/api/errors)."""
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if param is not None:
        error["param"] = param
    if code is not None:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    return status, {"error": error}


class StripeRefusal(Exception):
    """Stripe's answer to a request it refuses: status and error body."""

    def __init__(self, status: int, message: str, **fields: str | None) -> None:
        super().__init__(message)
        self.answer = stripe_error(status, message, **fields)


def missing(param: str) -> StripeRefusal:
    return StripeRefusal(
        400, f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def url_param(params: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise StripeRefusal(400, "Not a valid URL", param=name, code="url_invalid")
    return value


def form_params(raw: str) -> dict[str, Any]:
    """A form-encoded Stripe request (`line_items[0][price]=...`) as nested dicts and lists:
    localstripe's own decoder, so both servers read a request alike. Imported here: it
    loads aiohttp, which the suite needs only once a test starts the stand-in."""
    from multidict import MultiDict

    with warnings.catch_warnings():
        # aiohttp deprecates the plain functions localstripe routes to; not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe.server import unflatten_data

    return unflatten_data(MultiDict(parse_qsl(raw, keep_blank_values=True)))


def token() -> str:
    return secrets.token_urlsafe(18).replace("-", "").replace("_", "")[:24]
