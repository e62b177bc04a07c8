"""A real HTTP receiver for alert deliveries, and budget alerts to deliver.

`Receiver` is http.server on 127.0.0.1 and an ephemeral port, in a thread: it answers each
POST with the next status of its script (then 200), keeps what came, and checks each
Standard Webhooks signature with the `standardwebhooks` library, as a customer would.
`endpoint_admin` is who adds the endpoints (only admins and owners may).
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

from billing.models import AlertKind, Budget, BudgetAlert
from tests.factories import MembershipFactory
from tokentracker.models import Membership, Role

FIRED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: object = None  # the parsed body when the signature checked out
    verify_error: str = ""

    @property
    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                got = Received(self.path, dict(self.headers.items()), body)
                if receiver.secret:
                    try:
                        got.verified = Webhook(receiver.secret).verify(body, got.headers)
                    except WebhookVerificationError as error:
                        got.verify_error = str(error)
                receiver.received.append(got)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if 300 <= status < 400:
                    self.send_response(status)
                    self.send_header("Location", receiver.base + "/elsewhere")
                else:
                    self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def budget_alert(
    organization,
    *,
    kind: str = AlertKind.THRESHOLD,
    threshold: int = 80,
    spent: str = "812.50",
    projected: str | None = None,
) -> BudgetAlert:
    budget = Budget.objects.create(
        organization=organization,
        name="Team & tools",
        scope="organization",
        amount=Decimal("1000"),
        currency="USD",
    )
    alert = BudgetAlert.objects.create(
        organization=organization,
        budget=budget,
        period=date(2026, 11, 1),
        kind=kind,
        threshold=threshold,
        spent=Decimal(spent),
        projected=Decimal(projected) if projected is not None else None,
        budget_amount=Decimal("1000"),
        currency="USD",
    )
    BudgetAlert.objects.filter(pk=alert.pk).update(fired_at=FIRED_AT)
    alert.refresh_from_db()
    return alert


def endpoint_admin(organization) -> Membership:
    """An admin of `organization`, to add, change and test its endpoints as. The account has
    no email address, so the alert emails a test counts go only to the people it set up."""
    existing = Membership.objects.filter(
        organization=organization, role=Role.ADMIN, user__email=""
    ).first()
    return existing or MembershipFactory(
        organization=organization,
        role=Role.ADMIN,
        user__email="",
        user__username=f"endpoint-admin-of-{organization.slug}",
    )
