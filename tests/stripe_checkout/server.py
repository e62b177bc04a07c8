"""The stand-in's HTTP server, its state, and what a customer does at Stripe (pay, confirm a
change of plan); see the package's docstring."""

import html
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import stripe
from stripe import StripeClient

from tests.stripe_servers import SECRET_KEY, WEBHOOK_SECRET, LocalStripe, signed_event

from .checkout_sessions import checkout_session_create
from .params import StripeRefusal, form_params, stripe_error, token
from .portal_sessions import portal_session_create


@dataclass(frozen=True)
class StripeRequest:
    """One request the stand-in received (forwarded ones too), for tests to assert on."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None


class StripeCheckoutServer:
    """Stripe's API for one test run: Checkout Sessions and customer portal sessions
    answered here, with the bodies Stripe documents, and every other /v1/ path forwarded
    unchanged to localstripe, so one STRIPE_API_BASE serves both.

    - `POST /v1/checkout/sessions` checks what Stripe checks (the key; `mode`; the line
      items, each a price that exists with a quantity; `success_url`; the customer exists)
      and answers an open `checkout.session` (cs_test_..., url, status "open",
      subscription null). `GET /v1/checkout/sessions/{id}` answers it as it is now.
    - `POST /v1/billing_portal/sessions` checks the customer, `return_url` and `flow_data`
      (its subscription must be the customer's, an item id must be the subscription's, a
      price must exist) and answers a `billing_portal.session` with its url and flow.
    - The session urls (/c/pay/..., /p/session/...) answer a small page, so a browser sent
      there lands on this server, never on stripe.com.

    `complete(session_id)` does what Stripe does when the customer pays: the subscription
    is created in localstripe for the session's customer and prices (a test card attached
    as the default payment method), the session becomes complete with `subscription` set,
    and a signed checkout.session.completed event goes to the registered webhook URL.
    `portal_confirm(session_id)` likewise applies a subscription_update_confirm flow and
    sends customer.subscription.updated (localstripe sends neither event itself).
    """

    CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}

    def __init__(self, localstripe: LocalStripe) -> None:
        self.localstripe = localstripe
        self._lock = threading.Lock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[StripeRequest] = []
        self.webhook_url: str | None = None
        self.webhook_secret = WEBHOOK_SECRET
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        self._subscription_metadata: dict[str, dict[str, str]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

            def do_DELETE(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: pytest shows what the tests assert

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._forward = httpx2.Client(base_url=localstripe.url, timeout=10)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "StripeCheckoutServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._forward.close()

    def reset(self) -> None:
        with self._lock:
            self.sessions.clear()
            self.portal_sessions.clear()
            self.requests.clear()
            self._line_items.clear()
            self._subscription_metadata.clear()
            self.webhook_url = None

    def register_webhook(self, url: str, *, localstripe_events: list[str] | None = None) -> None:
        """Where `complete` and `portal_confirm` post their signed events, and localstripe
        its own of `localstripe_events` (none unless named: it sends each a second later,
        concurrently, which SQLite's shared test database cannot take)."""
        self.webhook_url = url
        if localstripe_events is not None:
            self.localstripe.register_webhook(
                url, secret=self.webhook_secret, events=localstripe_events
            )

    # --- what tests set up and do --------------------------------------------------------

    def client(self) -> StripeClient:
        """The official client on localstripe, as the stand-in itself talks to it."""
        return StripeClient(SECRET_KEY, base_addresses={"api": self.localstripe.url})

    def price_create(
        self, price_id: str, *, amount: int, currency: str = "usd", interval: str = "month"
    ) -> None:
        """A recurring price in localstripe (a plan, by its older name; amount in cents)."""
        client = self.client()
        product = client.v1.products.create(params={"name": price_id})
        client.v1.plans.create(
            params={
                "id": price_id,
                "product": product.id,
                "amount": amount,
                "currency": currency,
                "interval": interval,
            }
        )

    def to(self, method: str, path: str) -> list[StripeRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def complete(self, session_id: str) -> dict[str, Any]:
        """Pay the open Checkout Session `session_id` as its customer would; the completed
        session (and the event's status, if a webhook is registered: `webhook_status`)."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", f"{session_id} is {session['status']}"
        client = self.client()
        customer = session["customer"]
        method = client.v1.payment_methods.create(params={"type": "card", "card": self.CARD})
        client.v1.payment_methods.attach(method.id, params={"customer": customer})
        client.v1.customers.update(
            customer, params={"invoice_settings": {"default_payment_method": method.id}}
        )
        subscription = client.v1.subscriptions.create(
            params={
                "customer": customer,
                "items": [
                    {"plan": item["price"], "quantity": item["quantity"]}
                    for item in self._line_items[session_id]
                ],
                "metadata": self._subscription_metadata[session_id],
            }
        )
        with self._lock:
            session.update(
                status="complete",
                payment_status="paid",
                subscription=subscription.id,
                invoice=subscription.latest_invoice,
                url=None,
            )
            completed = json.loads(json.dumps(session))
        completed["webhook_status"] = self._send("checkout.session.completed", completed)
        return completed

    def portal_confirm(self, session_id: str) -> dict[str, Any]:
        """Confirm a subscription_update_confirm flow as the customer would: the
        subscription's item switches price in localstripe; the updated subscription."""
        with self._lock:
            flow = self.portal_sessions[session_id]["flow"]
        assert flow and flow["type"] == "subscription_update_confirm", flow
        confirm = flow["subscription_update_confirm"]
        client = self.client()
        item = confirm["items"][0]
        client.v1.subscriptions.update(
            confirm["subscription"],
            params={"items": [{"id": item["id"], "plan": item["price"], "quantity": 1}]},
        )
        updated = client.v1.subscriptions.retrieve(confirm["subscription"]).to_dict()
        updated["webhook_status"] = self._send("customer.subscription.updated", updated)
        return updated

    def _send(self, event_type: str, obj: dict[str, Any]) -> int | None:
        if self.webhook_url is None:
            return None
        event = {
            "id": f"evt_{token()}",
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "data": {"object": {k: v for k, v in obj.items() if k != "webhook_status"}},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        body, header = signed_event(event, secret=self.webhook_secret)
        response = httpx2.post(
            self.webhook_url,
            content=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            timeout=10,
        )
        return response.status_code

    # --- the HTTP side -------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        raw = body.decode() if handler.command == "POST" else query
        params = form_params(raw)
        with self._lock:
            self.requests.append(
                StripeRequest(handler.command, path, params, handler.headers.get("Idempotency-Key"))
            )
        if path.startswith(("/c/pay/", "/p/session/")) and handler.command == "GET":
            return self._page(handler, path)
        if not path.startswith("/v1/"):
            return self._answer(
                handler,
                *stripe_error(404, f"Unrecognized request URL ({handler.command}: {path})."),
            )
        key = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if key != SECRET_KEY:
            return self._answer(
                handler, *stripe_error(401, f"Invalid API Key provided: {key[:8]}***")
            )
        route = (handler.command, path)
        try:
            if route == ("POST", "/v1/checkout/sessions"):
                created = checkout_session_create(params, find=self._find, base_url=self.url)
                with self._lock:
                    self.sessions[created.session["id"]] = created.session
                    self._line_items[created.session["id"]] = created.items
                    self._subscription_metadata[created.session["id"]] = (
                        created.subscription_metadata
                    )
                return self._answer(handler, 200, created.session)
            if handler.command == "GET" and path.startswith("/v1/checkout/sessions/"):
                return self._answer(handler, 200, self._checkout_retrieve(path.rsplit("/", 1)[1]))
            if route == ("POST", "/v1/billing_portal/sessions"):
                portal = portal_session_create(params, find=self._find, base_url=self.url)
                with self._lock:
                    self.portal_sessions[portal["id"]] = portal
                return self._answer(handler, 200, portal)
        except StripeRefusal as refusal:
            return self._answer(handler, *refusal.answer)
        self._forward_to_localstripe(handler, body)

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        encoded = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(encoded)))
        handler.send_header("Request-Id", f"req_{token()}")
        handler.end_headers()
        handler.wfile.write(encoded)

    def _page(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        what = "Checkout" if path.startswith("/c/pay/") else "Customer portal"
        page = (
            f"<!doctype html><title>Stripe {what} (test stand-in)</title>"
            f"<h1>Stripe {what}</h1><p>Test stand-in for {html.escape(path)}</p>"
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    def _forward_to_localstripe(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() not in ("host", "content-length", "connection")
        }
        response = self._forward.request(
            handler.command, handler.path, content=body, headers=headers
        )
        handler.send_response(response.status_code)
        handler.send_header(
            "Content-Type", response.headers.get("Content-Type", "application/json")
        )
        handler.send_header("Content-Length", str(len(response.content)))
        handler.end_headers()
        handler.wfile.write(response.content)

    def _find(self, kind: str, object_id: object, param: str) -> dict[str, Any]:
        """The object from localstripe, or Stripe's "No such ..." refusal naming `param`."""
        name = {"customers": "customer", "plans": "price", "subscriptions": "subscription"}[kind]
        if isinstance(object_id, str) and object_id and "/" not in object_id:
            response = self._forward.get(f"/v1/{kind}/{object_id}", auth=(SECRET_KEY, ""))
            if response.status_code == 200:
                return response.json()
        raise StripeRefusal(
            400, f"No such {name}: '{object_id}'", param=param, code="resource_missing"
        )

    def _checkout_retrieve(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise StripeRefusal(
                    404,
                    f"No such checkout.session: '{session_id}'",
                    param="session",
                    code="resource_missing",
                )
            return json.loads(json.dumps(session))
