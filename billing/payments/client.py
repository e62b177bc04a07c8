"""The one StripeClient every Stripe call goes through, and whether billing is on at all.

Billing is off unless both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set: a deployment
that sells nothing needs neither, and one half-configured would take payments it never
hears about (no webhook secret) or verify webhooks it cannot act on (no key).
"""

from django.conf import settings
from stripe import StripeClient
from stripe._http_client import new_default_http_client

from tokentracker.errors import DomainError, Kind

# Stripe's own default waits 80 s for an answer; a page or API request that creates a
# Checkout Session must fail long before gunicorn's 30 s timeout kills the worker.
STRIPE_TIMEOUT_SECONDS = 10
# The library retries connection errors and 409/429/5xx with its own backoff, sending the
# same Idempotency-Key, so a retried create cannot create twice.
STRIPE_NETWORK_RETRIES = 2


class BillingNotConfigured(DomainError):
    kind = Kind.UNAVAILABLE
    code = "billing_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "Billing is not configured: the operator has not set STRIPE_SECRET_KEY and "
            "STRIPE_WEBHOOK_SECRET."
        )


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def stripe_client() -> StripeClient:
    """A client for the configured account; BillingNotConfigured when billing is off."""
    if not billing_configured():
        raise BillingNotConfigured()
    return StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=STRIPE_NETWORK_RETRIES,
        http_client=new_default_http_client(timeout=STRIPE_TIMEOUT_SECONDS),
    )
