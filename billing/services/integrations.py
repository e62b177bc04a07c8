"""Provider integrations: an organization's admin API key for OpenAI or Anthropic, connected,
rotated and removed by its admins and owners, and synced on demand.

The key is a credential to the organization's whole provider account: it is encrypted at
rest (`tokentracker.crypto`, Fernet), only its last four characters are kept in clear, and
no error, log line or answer ever carries it. The functions that hold it are
`sensitive_variables`, so Django's error reports show their locals starred out.

Removing an integration keeps the usage and cost buckets it synced: they are what the
provider billed the organization, its history for the Costs page and the reconciliation,
and a finance user removing a key (to stop syncing, or before connecting another) does not
expect last quarter's bill to vanish. Only the key and its sync runs go. Connecting again
upserts over the same buckets, so nothing is counted twice.

Who may sync: any member who may write (members, admins, owners; a write key). A sync only
reads what an admin already allowed, and the sync category of the rate limit bounds it. The
doors check that role (as for manual costs); connecting and removing keys are judged here.
"""

import logging
import re
from typing import TYPE_CHECKING

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from billing.models import IntegrationStatus, ProviderIntegration, SyncedProvider, SyncTrigger
from tokentracker.broker import task_queued
from tokentracker.crypto import field_encrypt
from tokentracker.errors import DomainError, Kind
from tokentracker.models import AuditAction
from tokentracker.services.audit import audit_record

from .actors import Actor, actor_is_admin_of

if TYPE_CHECKING:
    from .sync import SyncResult

logger = logging.getLogger(__name__)

# Admin keys only: a project or API key cannot read the organization's usage and costs.
ADMIN_KEY_PREFIXES = {
    SyncedProvider.OPENAI: "sk-admin-",
    SyncedProvider.ANTHROPIC: "sk-ant-admin",
}
# A pasted key, checked for shape before it is stored: real admin keys are ~100 characters of
# letters, digits, '-' and '_'. Anything else (a space, a quote, a newline) would end up in an
# HTTP header, so it is refused rather than sent.
ADMIN_KEY_MIN_LENGTH = 32
ADMIN_KEY_MAX_LENGTH = 400
_ADMIN_KEY_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


class IntegrationInvalid(DomainError):
    """Bad input for an integration; `details` names the field. The message never quotes
    the key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={field: [message]})
        self.field = field


class IntegrationPermissionDenied(DomainError):
    kind = Kind.FORBIDDEN


class IntegrationNotConnected(DomainError):
    kind = Kind.NOT_FOUND


def provider_parse(value: object) -> SyncedProvider:
    """ "openai" or "anthropic", in any case."""
    slug = value.strip().lower() if isinstance(value, str) else None
    if slug not in SyncedProvider.values:
        raise IntegrationInvalid("provider", f"must be one of {', '.join(SyncedProvider.values)}")
    return SyncedProvider(slug)


@sensitive_variables("value", "key")
def admin_key_parse(provider: SyncedProvider, value: object) -> str:
    """The key without the whitespace around it (a paste often carries a newline)."""
    prefix = ADMIN_KEY_PREFIXES[provider]
    label = provider.label
    if not isinstance(value, str) or not value.strip():
        raise IntegrationInvalid("admin_key", f"is required: the {label} admin key ({prefix}...)")
    key = value.strip()
    if not key.startswith(prefix):
        raise IntegrationInvalid(
            "admin_key",
            f"is not an {label} admin key: those start with {prefix} (a project or API key "
            "cannot read the organization's usage and costs)",
        )
    if not _ADMIN_KEY_CHARACTERS.fullmatch(key):
        raise IntegrationInvalid(
            "admin_key", "may hold only letters, digits, '-' and '_' (no spaces or quotes)"
        )
    if not ADMIN_KEY_MIN_LENGTH <= len(key) <= ADMIN_KEY_MAX_LENGTH:
        raise IntegrationInvalid(
            "admin_key",
            f"must be {ADMIN_KEY_MIN_LENGTH} to {ADMIN_KEY_MAX_LENGTH} characters long: "
            "copy the whole key",
        )
    return key


def _check_may_manage(actor: Actor, organization_id: int) -> None:
    if not actor_is_admin_of(actor, organization_id):
        raise IntegrationPermissionDenied(
            "Only admins and owners connect, rotate and remove provider admin keys."
        )


@sensitive_variables("admin_key", "key", "ciphertext")
def integration_connect(
    *,
    actor: Actor,
    organization_id: int,
    provider: object,
    admin_key: object,
    created_by_id: int | None = None,
) -> ProviderIntegration:
    """Connect `provider` with `admin_key`, or rotate the key of the one connected.

    Rotating resets the status to never synced and clears its message, so a key marked
    invalid can be fixed; the buckets and the sync windows stay (the next sync goes on from
    where the last one stopped). Raises `IntegrationPermissionDenied` unless `actor` is an
    admin or owner of the organization, `IntegrationInvalid` (naming the field) on a bad
    provider or key; changes nothing then.
    """
    _check_may_manage(actor, organization_id)
    slug = provider_parse(provider)
    key = admin_key_parse(slug, admin_key)
    ciphertext = field_encrypt(key)
    with transaction.atomic():
        integration, created = ProviderIntegration.objects.update_or_create(
            organization_id=organization_id,
            provider=slug,
            defaults={
                "key_ciphertext": ciphertext,
                "key_last_four": key[-4:],
                "status": IntegrationStatus.NEVER_SYNCED,
                "status_message": "",
            },
            create_defaults={
                "key_ciphertext": ciphertext,
                "key_last_four": key[-4:],
                "created_by_id": created_by_id,
            },
        )
        audit_record(
            organization=organization_id,
            action=AuditAction.INTEGRATION_CONNECTED,
            actor_user=created_by_id,
            target=slug.label,
            details={"rotated": not created, "key_last_four": integration.key_last_four},
        )
    logger.info(
        "%s integration of organization %s %s (key ending %s)",
        slug,
        organization_id,
        "connected" if created else "rotated",
        integration.key_last_four,
    )
    return integration


def integration_remove(
    *, actor: Actor, organization_id: int, provider: object, removed_by_id: int | None = None
) -> bool:
    """Remove the organization's integration with `provider`: its key and sync runs. The
    buckets it synced stay (see the module's docstring). False when none is connected.

    Raises `IntegrationPermissionDenied` unless `actor` is an admin or owner, and
    `IntegrationInvalid` for a provider we do not sync. `removed_by_id` (the user) is for
    the audit log.
    """
    _check_may_manage(actor, organization_id)
    slug = provider_parse(provider)
    with transaction.atomic():
        deleted, _ = ProviderIntegration.objects.filter(
            organization_id=organization_id, provider=slug
        ).delete()
        if deleted:
            audit_record(
                organization=organization_id,
                action=AuditAction.INTEGRATION_REMOVED,
                actor_user=removed_by_id,
                target=slug.label,
            )
    if deleted:
        logger.info("%s integration of organization %s removed", slug, organization_id)
    return bool(deleted)


def integration_sync_soon(
    *, organization_id: int, provider: object, trigger: str = SyncTrigger.PAGE, force: bool = False
) -> "SyncResult | None":
    """Sync one integration: queued for a worker (None), or here when no broker is configured
    (the embedded default) or it cannot be reached (the result).

    Raises `IntegrationNotConnected` when the organization has no such integration.
    """
    slug = provider_parse(provider)
    integration_id = (
        ProviderIntegration.objects.filter(organization_id=organization_id, provider=slug)
        .values_list("pk", flat=True)
        .first()
    )
    if integration_id is None:
        raise IntegrationNotConnected(f"{slug.label} is not connected.")
    from billing.tasks import integration_sync_task  # the task module imports the services

    from .sync import integration_sync

    if task_queued(integration_sync_task, integration_id, trigger, force):
        return None
    return integration_sync(integration_id, trigger=trigger, force=force)


def integrations_sync_now(
    *,
    organization_id: int,
    providers: list[SyncedProvider] | None = None,
    trigger: str = SyncTrigger.API,
    force: bool = False,
) -> "dict[SyncedProvider, SyncResult | None]":
    """Sync the organization's integrations with `providers` (default: both) here, in this
    process, and say how each went; None for a provider that is not connected."""
    from .sync import organization_sync

    wanted = list(dict.fromkeys(providers)) if providers is not None else list(SyncedProvider)
    connected = set(
        ProviderIntegration.objects.filter(
            organization_id=organization_id, provider__in=wanted
        ).values_list("provider", flat=True)
    )
    results = {}
    if connected:
        results = organization_sync(
            organization_id,
            providers=[slug for slug in wanted if slug in connected],
            trigger=trigger,
            force=force,
        )
    return {SyncedProvider(slug): results.get(slug) for slug in wanted}
