"""Provider sync: read what OpenAI and Anthropic report an organization used and billed,
through its admin key, and store it beside the events as `ProviderUsageBucket` (daily) and
`ProviderCostBucket` rows, never as events.

Each bucket is upserted on its unique key (organization, provider, width, start and group;
or day, line and project), so syncing a window again replaces rather than adds: the same
answer changes nothing, a provider's late correction replaces the old figure, and a group
the provider no longer reports in the window is deleted.

Windows: an integration's first sync, and a forced one, read PROVIDER_SYNC_FIRST_DAYS back
from today; the next ones start at `usage_synced_until` / `costs_synced_until` (the end of
the last complete day stored) less PROVIDER_SYNC_LOOKBACK_DAYS, for the corrections
providers make to recent days. Today's bucket is stored as it stands and read again next
time; only complete days move the `*_synced_until` marks.

Outcome (the integration's `status`, and a `SyncRun` per sync): ok; partial when usage or
costs failed and the other was stored (the message says what was not synced); invalid_key
when the provider refused the key (the schedule then skips the integration until the key
is replaced); error when nothing was stored. Two syncs of one integration never run at
once: the second answers that the first is running.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import (
    IntegrationStatus,
    ProviderIntegration,
    SyncedProvider,
    SyncRun,
    SyncTrigger,
)
from billing.signals import provider_costs_synced
from billing.sync import anthropic_admin, openai_admin
from billing.sync.http import AdminApi, ProviderError, ProviderKeyInvalid
from tokentracker.crypto import DecryptionFailed

from .provider_buckets import USAGE_WIDTH, cost_buckets_store, usage_buckets_store

logger = logging.getLogger(__name__)

PROVIDER_CLIENTS: dict[str, ModuleType] = {
    SyncedProvider.OPENAI: openai_admin,
    SyncedProvider.ANTHROPIC: anthropic_admin,
}
# A sync unfinished after this long was cut off (its worker died): the next one may start.
# Longer than the task's hard time limit (billing.tasks).
CLAIM_SECONDS = 15 * 60
MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class SyncResult:
    provider: str
    status: str  # an IntegrationStatus value
    usage_records: int
    cost_records: int
    message: str
    synced_at: datetime
    # True when another sync of the integration was running: nothing was done, `status`
    # and `message` are the integration's as they stand.
    already_running: bool = False

    @property
    def records(self) -> int:
        return self.usage_records + self.cost_records


def _day_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def sync_window_start(synced_until: datetime | None, *, now: datetime, force: bool) -> datetime:
    """Where a sync starts reading: the bounded first window, or the last complete day
    stored less the look-back (never before the bounded window)."""
    earliest = _day_start(now) - timedelta(days=settings.PROVIDER_SYNC_FIRST_DAYS)
    if force or synced_until is None:
        return earliest
    lookback = timedelta(days=settings.PROVIDER_SYNC_LOOKBACK_DAYS)
    return max(earliest, _day_start(synced_until - lookback))


# --- claiming ------------------------------------------------------------------------------


def _claim(
    integration_id: int, trigger: str, now: datetime
) -> tuple[ProviderIntegration, SyncRun] | SyncResult:
    """Start a SyncRun, or the result saying another sync of the integration is running.

    The integration's row is locked while the running sync is looked for and the run is
    made (PostgreSQL; SQLite writes one at a time), so of two syncs started together one
    runs and the other finds it."""
    with transaction.atomic():
        integration = ProviderIntegration.objects.select_for_update().get(pk=integration_id)
        unfinished = SyncRun.objects.filter(integration=integration, finished_at__isnull=True)
        running = unfinished.filter(started_at__gt=now - timedelta(seconds=CLAIM_SECONDS))
        running = running.order_by("-started_at").first()
        if running is not None:
            return SyncResult(
                provider=integration.provider,
                status=str(integration.status),
                usage_records=0,
                cost_records=0,
                message=(
                    "A sync of this integration is already running (started "
                    f"{running.started_at:%Y-%m-%d %H:%M} UTC)."
                ),
                synced_at=now,
                already_running=True,
            )
        unfinished.update(
            finished_at=now,
            status=IntegrationStatus.ERROR,
            message="Cut off: the worker stopped before the sync ended.",
        )
        run = SyncRun.objects.create(integration=integration, trigger=trigger, started_at=now)
    return integration, run


# --- one integration ------------------------------------------------------------------------


@dataclass
class _Stream:
    """Usage or costs of one sync: the window read, and how it went."""

    name: str  # "usage" | "costs"
    start: datetime
    stored: int | None = None  # records stored, None when not synced
    failure: str = ""


def _stream_run(
    stream: _Stream,
    integration: ProviderIntegration,
    client: ModuleType,
    api: AdminApi,
    end: datetime,
) -> None:
    if stream.name == "usage":
        rows = client.usage_fetch(api, start=stream.start, end=end, width=USAGE_WIDTH)
        stream.stored = usage_buckets_store(
            integration=integration, rows=rows, start=stream.start, end=end
        )
    else:
        cost_rows = client.costs_fetch(api, start=stream.start, end=end)
        stream.stored = cost_buckets_store(
            integration=integration, rows=cost_rows, start=stream.start.date(), end=end.date()
        )


def _message(streams: list[_Stream], complete_until: datetime) -> str:
    through = (complete_until - timedelta(days=1)).date().isoformat()
    synced = [stream for stream in streams if stream.stored is not None]
    failed = [stream for stream in streams if stream.stored is None]
    if not failed:
        return f"Usage and costs synced (complete through {through})."
    parts = []
    if synced:
        names = " and ".join(stream.name for stream in synced)
        parts.append(f"{names.capitalize()} synced (complete through {through})")
    parts.extend(f"{stream.name} not synced: {stream.failure}" for stream in failed)
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def integration_sync(
    integration_id: int, *, trigger: str, force: bool = False, now: datetime | None = None
) -> SyncResult:
    """Sync one integration's usage and costs now, in this process.

    Raises ProviderIntegration.DoesNotExist when it is gone; every provider failure is in
    the result (and the integration's status), never raised."""
    if trigger not in SyncTrigger.values:
        raise ValueError(f"unknown sync trigger {trigger!r}")
    now = now or timezone.now()
    started = time.monotonic()
    claim = _claim(integration_id, trigger, now)
    if isinstance(claim, SyncResult):
        return claim
    integration, run = claim
    client = PROVIDER_CLIENTS[integration.provider]
    streams = [
        _Stream("usage", sync_window_start(integration.usage_synced_until, now=now, force=force)),
        _Stream("costs", sync_window_start(integration.costs_synced_until, now=now, force=force)),
    ]
    # Up to the end of today: today's bucket so far comes too, and is read again next time.
    complete_until = _day_start(now)
    end = complete_until + timedelta(days=1)
    invalid = ""
    try:
        key = integration.admin_key
    except DecryptionFailed:
        return _finish(
            integration,
            run,
            status=IntegrationStatus.ERROR,
            message=(
                "The stored admin key cannot be decrypted with FIELD_ENCRYPTION_KEY (was the "
                "key changed?): add the admin key again."
            ),
            streams=streams,
            complete_until=complete_until,
            clock=_clock(now, started),
        )
    try:
        with client.api_open(key) as api:
            for stream in streams:
                try:
                    _stream_run(stream, integration, client, api, end)
                except ProviderKeyInvalid as error:
                    invalid = str(error)
                    break
                except ProviderError as error:
                    stream.failure = str(error)
                except SoftTimeLimitExceeded:
                    stream.failure = "the sync took longer than it may; the next one goes on"
                    break
    except Exception:
        # A bug or a database failure: the run is closed as failed, then it is raised.
        _finish(
            integration,
            run,
            status=IntegrationStatus.ERROR,
            message="The sync failed unexpectedly; it is logged for the administrators.",
            streams=streams,
            complete_until=complete_until,
            clock=_clock(now, started),
        )
        raise
    if invalid:
        status, message = IntegrationStatus.INVALID_KEY, invalid
    else:
        stored = [stream.stored is not None for stream in streams]
        status = (
            IntegrationStatus.OK
            if all(stored)
            else IntegrationStatus.PARTIAL
            if any(stored)
            else IntegrationStatus.ERROR
        )
        message = _message(streams, complete_until)
        for stream in streams:
            if stream.failure:
                logger.warning(
                    "sync of integration %s (%s): %s not synced: %s",
                    integration.pk,
                    integration.provider,
                    stream.name,
                    stream.failure,
                )
    return _finish(
        integration,
        run,
        status=status,
        message=message,
        streams=streams,
        complete_until=complete_until,
        clock=_clock(now, started),
    )


def _clock(now: datetime, started: float) -> Callable[[], datetime]:
    # Moments on the sync's own clock (`now` may be given), advanced by the time it took.
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _finish(
    integration: ProviderIntegration,
    run: SyncRun,
    *,
    status: str,
    message: str,
    streams: list[_Stream],
    complete_until: datetime,
    clock: Callable[[], datetime],
) -> SyncResult:
    finished = clock()
    message = message[:MESSAGE_LENGTH]
    usage, costs = streams
    values: dict = {"status": status, "status_message": message, "last_sync_at": finished}
    if status == IntegrationStatus.OK:
        values["last_success_at"] = finished
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(
            finished_at=finished,
            status=status,
            usage_records=usage.stored or 0,
            cost_records=costs.stored or 0,
            message=message,
        )
        # Only while the key is the one this sync used: a key replaced meanwhile starts
        # over, and must not be marked refused because the old one was.
        same_key = ProviderIntegration.objects.filter(
            pk=integration.pk, key_ciphertext=integration.key_ciphertext
        )
        same_key.update(**values, updated_at=finished)
        for stream, field in ((usage, "usage_synced_until"), (costs, "costs_synced_until")):
            if stream.stored is not None:
                same_key.filter(
                    Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": complete_until})
                ).update(**{field: complete_until})
        if costs.stored:
            organization_id = integration.organization_id
            transaction.on_commit(
                lambda: provider_costs_synced.send(
                    sender=ProviderIntegration, organization_id=organization_id
                )
            )
    return SyncResult(
        provider=integration.provider,
        status=str(status),
        usage_records=usage.stored or 0,
        cost_records=costs.stored or 0,
        message=message,
        synced_at=finished,
    )


def organization_sync(
    organization_id: int,
    *,
    providers: list[str] | None = None,
    trigger: str,
    force: bool = False,
) -> dict[str, SyncResult]:
    """Sync every connected integration of the organization (or those of `providers`), one
    after the other, in this process. A provider named but not connected is left out."""
    integrations = ProviderIntegration.objects.filter(organization_id=organization_id)
    if providers is not None:
        integrations = integrations.filter(provider__in=providers)
    results = {}
    for integration_id, provider in integrations.order_by("provider").values_list("pk", "provider"):
        try:
            results[provider] = integration_sync(integration_id, trigger=trigger, force=force)
        except ProviderIntegration.DoesNotExist:
            continue  # removed meanwhile
    return results
