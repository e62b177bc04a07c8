"""localstripe, a stateful fake of Stripe's API on PyPI, run by the suite as a real process.

`LocalStripe` starts `localstripe --from-scratch` on a free port of 127.0.0.1 (one per
pytest process) and waits until it answers. Tests reach it through the official `stripe`
library (`billing.payments.client.stripe_client`, pointed at it by STRIPE_API_BASE), so
customers, subscriptions and invoices are created, changed and paid as Stripe would.

localstripe knows recurring prices by their older name, plans: `create_price` makes one
whose id is then used as a price id (`items: [{"plan": id}]`, as Stripe still accepts).
It sends signed webhooks (`Stripe-Signature`, the secret registered with
`register_webhook`) about a second after the change, for the events it implements:
customer.subscription.created/deleted, invoice.payment_succeeded/payment_failed, ... (not
customer.subscription.updated, invoice.paid or checkout.session.completed: tests sign those
themselves with `signed_event`).

For what localstripe lacks (Checkout Sessions, the customer portal), `StripeCheckoutServer`
(tests/stripe_checkout.py) stands in front of it: it answers those as Stripe documents and
forwards every other /v1/ path to localstripe, so one STRIPE_API_BASE serves both (the
`stripe_api` fixture).

localstripe also pickles its store to /tmp/localstripe.pickle on every change; with
--from-scratch it never reads it back, so parallel pytest processes do not share state.
"""

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

WEBHOOK_SECRET = "whsec_test_tokentracker_local"
SECRET_KEY = "sk_test_tokentracker_local"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> "LocalStripe":
        executable = Path(sys.executable).with_name("localstripe")
        self.process = subprocess.Popen(
            [str(executable), "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode}")
            try:
                httpx2.get(f"{self.url}/v1/balance", auth=(SECRET_KEY, ""), timeout=1)
                return self
            except httpx2.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def flush(self) -> None:
        """Forget every object (webhooks registered stay registered)."""
        httpx2.delete(f"{self.url}/_config/data", timeout=5).raise_for_status()

    def register_webhook(
        self, url: str, *, secret: str = WEBHOOK_SECRET, events: list[str] | None = None
    ) -> None:
        """Where localstripe posts its signed events (one endpoint: it replaces the last)."""
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        response = httpx2.post(f"{self.url}/_config/webhooks/tests", json=data, timeout=5)
        response.raise_for_status()


def signed_event(
    event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    """A webhook body and its `Stripe-Signature` header, signed as Stripe documents
    (HMAC-SHA256 of "{t}.{body}" with the endpoint's secret; v1 scheme)."""
    body = json.dumps(event).encode()
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={signature}"
