"""A real HTTP receiver for alert deliveries, and budget alerts to deliver.

`Receiver` is http.server on 127.0.0.1 and an ephemeral port, in a thread: it answers each
POST with the next status of its script (then 200), keeps what came, and checks each
Standard Webhooks signature with the `standardwebhooks` library, as a customer would. Given
a TLS context (`tls_context`, a certificate made here for a name) it serves https and keeps
the server name each client asked for (SNI). `endpoint_admin` is who adds the endpoints
(only admins and owners may).
"""

import json
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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
    tls: ssl.SSLContext | None = None
    server_names: list[str | None] = field(default_factory=list)  # SNI, with tls

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def base_named(self, name: str) -> str:
        """`base` with a host name (resolving to 127.0.0.1) instead of the address."""
        assert self.server is not None
        return f"{'https' if self.tls else 'http'}://{name}:{self.server.server_address[1]}"

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
        if self.tls is not None:
            self.tls.sni_callback = lambda _socket, name, _context: receiver.server_names.append(
                name
            )
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
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


def tls_context(directory: Path, name: str) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for `name`, and the certificate's
    file (for a client to trust: SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file = directory / f"{name}.crt"
    key_file = directory / f"{name}.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    return context, certificate_file


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
