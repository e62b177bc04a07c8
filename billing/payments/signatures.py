"""A Stripe webhook's body, verified against its `Stripe-Signature` header.

The official library checks the signature (HMAC-SHA256 of "{t}.{body}" with the endpoint's
secret, in constant time) and that `t` is no older than its default tolerance of five
minutes, so a captured request cannot be replayed later. Only then is the body read as JSON.
"""

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from stripe import SignatureVerificationError, Webhook, WebhookSignature

from tokentracker.errors import DomainError, Kind

from .client import BillingNotConfigured, billing_configured

# The library's default: Stripe signs each delivery attempt afresh, so five minutes is plenty.
SIGNATURE_TOLERANCE_SECONDS = Webhook.DEFAULT_TOLERANCE
# Stripe's own ids are short; anything longer is not an event Stripe sent.
ID_LIMIT = 255
TYPE_LIMIT = 100


class StripeSignatureInvalid(DomainError):
    kind = Kind.VALIDATION
    code = "signature_invalid"

    def __init__(self) -> None:
        # Which check failed stays in the logs of whoever sent it: a forger learns nothing.
        super().__init__(
            "The Stripe-Signature header does not match the body for this endpoint's secret, "
            "or is older than five minutes."
        )


class StripeEventMalformed(DomainError):
    kind = Kind.VALIDATION
    code = "event_malformed"


def stripe_event_verify(*, body: bytes, signature: str) -> dict[str, Any]:
    """The event Stripe signed, as a dict with a string `id` and `type` and an integer
    `created`; BillingNotConfigured when billing is off, StripeSignatureInvalid or
    StripeEventMalformed otherwise."""
    if not billing_configured():
        raise BillingNotConfigured()
    try:
        WebhookSignature.verify_header(
            body, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except (SignatureVerificationError, ValueError, TypeError):
        # ValueError: a body that is not UTF-8; TypeError: a signature with characters
        # outside ASCII, which hmac.compare_digest refuses to compare.
        raise StripeSignatureInvalid() from None
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise StripeEventMalformed("The body is not JSON.") from None
    if not isinstance(event, dict):
        raise StripeEventMalformed("The body is not a Stripe event object.")
    for field, limit in (("id", ID_LIMIT), ("type", TYPE_LIMIT)):
        value = event.get(field)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise StripeEventMalformed(f"The event has no valid `{field}`.")
    created = event.get("created")
    if isinstance(created, bool) or not isinstance(created, int) or not _is_timestamp(created):
        raise StripeEventMalformed("The event has no valid `created` time.")
    return event


def _is_timestamp(value: int) -> bool:
    try:
        datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return False
    return value >= 0
