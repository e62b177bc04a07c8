"""Webhook endpoints: where budget alerts are posted (Slack incoming webhooks, and JSON
webhooks signed as the Standard Webhooks spec says). URL and secret are stored encrypted.

An endpoint decides where the organization's alert data goes, so only its admins and
owners add, change, delete and test one, as for budgets (`actor`).
"""

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from billing.models import WebhookEndpoint, WebhookKind
from billing.webhook_targets import REFUSED_WHAT, host_refused
from tokentracker.crypto import field_encrypt
from tokentracker.errors import DomainError, Kind

from . import UNCHANGED
from .actors import Actor, actor_is_admin_of

MAX_URL_LENGTH = 2048
# Standard Webhooks: a secret is 24 to 64 random bytes, base64, prefixed `whsec_`.
SECRET_BYTES = 32
SECRET_PREFIX = "whsec_"


class WebhookEndpointInvalid(DomainError):
    """Bad input for an endpoint; `details` names the field. Nothing was stored."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details={field: [message]})
        self.field = field


class WebhookEndpointNotFound(DomainError):
    kind = Kind.NOT_FOUND


class WebhookPermissionDenied(DomainError):
    kind = Kind.FORBIDDEN


def webhook_check_may_edit(actor: Actor, organization_id: int) -> None:
    """Raises `WebhookPermissionDenied` unless `actor` is an admin or owner there."""
    if not actor_is_admin_of(actor, organization_id):
        raise WebhookPermissionDenied(
            "Only admins and owners add, change, delete and test webhooks."
        )


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    # The signing secret in clear, for the one answer that shows it (empty for Slack).
    secret: str


def url_shown(url: str) -> str:
    """`url` with only its scheme, host and port: what may be shown or logged. A Slack
    incoming-webhook URL carries its credential in the path, others in the query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    hidden = "…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}/{hidden}"


def webhook_url_validate(value: object) -> str:
    """An absolute http or https URL with a host and no user or password in it, whose host,
    when it is an address, is a public one (unless ALERT_WEBHOOK_ALLOW_PRIVATE; a name is
    checked when it is resolved, at send time: `billing.webhook_targets`)."""
    if not isinstance(value, str) or not value.strip():
        raise WebhookEndpointInvalid("url", "is required")
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise WebhookEndpointInvalid("url", f"must be at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise WebhookEndpointInvalid("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises here
    except ValueError:
        raise WebhookEndpointInvalid("url", "is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookEndpointInvalid("url", "must start with http:// or https://")
    if not parts.hostname:
        raise WebhookEndpointInvalid("url", "must name a host")
    # Credentials in the URL would be sent as Basic auth and end up wherever URLs are
    # shown; a receiver that needs one takes it in the path or query, which we keep secret.
    if parts.username is not None or parts.password is not None:
        raise WebhookEndpointInvalid("url", "must not contain a user name or password")
    if port == 0:
        raise WebhookEndpointInvalid("url", "has an invalid port")
    if host_refused(parts.hostname):
        raise WebhookEndpointInvalid(
            "url",
            f"must not point at {REFUSED_WHAT} (ALERT_WEBHOOK_ALLOW_PRIVATE is off on this server)",
        )
    return url


def webhook_secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WebhookEndpointInvalid("name", "is required")
    name = value.strip()
    if len(name) > 100 or "\x00" in name:
        raise WebhookEndpointInvalid("name", "must be text of at most 100 characters")
    return name


def _kind(value: object) -> str:
    if value not in WebhookKind.values:
        raise WebhookEndpointInvalid("kind", f"must be one of {', '.join(WebhookKind.values)}")
    return str(value)


def _active(value: object) -> bool:
    if not isinstance(value, bool):
        raise WebhookEndpointInvalid("active", "must be true or false")
    return value


def webhook_endpoint_create(
    *,
    organization_id: int,
    actor: Actor,
    name: object,
    kind: object,
    url: object,
    active: object = True,
    created_by_id: int | None = None,
) -> CreatedEndpoint:
    """Validate and store an endpoint; a `webhook` endpoint gets a new signing secret,
    returned here in clear once. Raises `WebhookPermissionDenied` unless `actor` is one of
    the organization's admins or owners, or `WebhookEndpointInvalid`; stores nothing then."""
    webhook_check_may_edit(actor, organization_id)
    name_ = _name(name)
    kind_ = _kind(kind)
    url_ = webhook_url_validate(url)
    active_ = _active(active)
    secret = webhook_secret_new() if kind_ == WebhookKind.WEBHOOK else ""
    endpoint = WebhookEndpoint.objects.create(
        organization_id=organization_id,
        name=name_,
        kind=kind_,
        url_ciphertext=field_encrypt(url_),
        url_shown=url_shown(url_),
        secret_ciphertext=field_encrypt(secret) if secret else "",
        active=active_,
        created_by_id=created_by_id,
    )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def webhook_endpoint_update(
    *,
    organization_id: int,
    endpoint_id: int,
    actor: Actor,
    name: object = UNCHANGED,
    kind: object = UNCHANGED,
    url: object = UNCHANGED,
    active: object = UNCHANGED,
) -> WebhookEndpoint:
    """Change an endpoint's name, URL or active flag; the kind and secret stay (a `kind`
    other than the endpoint's is refused). Raises `WebhookPermissionDenied` as
    `webhook_endpoint_create` does, `WebhookEndpointNotFound`, or `WebhookEndpointInvalid`;
    changes nothing then."""
    webhook_check_may_edit(actor, organization_id)
    endpoint = WebhookEndpoint.objects.filter(
        organization_id=organization_id, pk=endpoint_id
    ).first()
    if endpoint is None:
        raise WebhookEndpointNotFound("No such webhook.")
    if kind is not UNCHANGED and kind != endpoint.kind:
        raise WebhookEndpointInvalid("kind", "cannot be changed; add a new webhook")
    changed = []
    if name is not UNCHANGED:
        endpoint.name = _name(name)
        changed.append("name")
    if url is not UNCHANGED:
        url_ = webhook_url_validate(url)
        endpoint.url_ciphertext = field_encrypt(url_)
        endpoint.url_shown = url_shown(url_)
        changed += ["url_ciphertext", "url_shown"]
    if active is not UNCHANGED:
        endpoint.active = _active(active)
        changed.append("active")
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, organization_id: int, endpoint_id: int, actor: Actor) -> bool:
    """Delete one of the organization's endpoints; its deliveries stay in the log (their
    `target` still says where they went). False when it has none by that id. Raises
    `WebhookPermissionDenied` as `webhook_endpoint_create` does."""
    webhook_check_may_edit(actor, organization_id)
    deleted, _ = WebhookEndpoint.objects.filter(
        organization_id=organization_id, pk=endpoint_id
    ).delete()
    return bool(deleted)
