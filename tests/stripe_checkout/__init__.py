"""A local stand-in for what localstripe lacks: Checkout Sessions and the customer portal.

`StripeCheckoutServer` listens on 127.0.0.1 (a free port) in front of a running
`LocalStripe` (tests/stripe_servers.py): Stripe's Checkout and billing-portal endpoints are
answered here with the bodies Stripe documents, every other /v1/ path is forwarded to
localstripe unchanged, so the code under test talks to one STRIPE_API_BASE through the
official client, as it would to api.stripe.com. Started once per pytest process; the
`stripe_api` fixture (tests/conftest.py) empties it for each test.
"""

from .server import StripeCheckoutServer, StripeRequest

__all__ = ["StripeCheckoutServer", "StripeRequest"]
