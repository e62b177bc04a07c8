"""Retention: an organization's raw events older than its `event_retention_days` deleted.

What goes: the events, what hangs off them (their stored request and response payloads;
evals stay, unlinked from the call they scored) and the `Idempotency-Key` receipts of the
same age. Session summaries go once every event of the session is gone
(a session that straddles the cutoff keeps its summary, as an hour keeps its rollup).
What stays: the hourly and daily rollups, and so every aggregate read from them
(charts, costs, budgets, projections, the open data). The hours before the cutoff are
recorded on the organization (`events_purged_before`): a rollup rebuild leaves those hours
as they are, since their events are gone, and the reporting currency can no longer change.

The nightly task works in batches of primary keys (each its own short transaction, read
oldest first through the organization-and-time index) and in turns: every organization
gets one batch, then the next, round and round, each at most `max_batches` batches a
run, so one organization's years of backlog neither hold long locks nor keep the others
waiting; what is left goes the next night. An organization whose batch fails is left
for this run and the others go on.
"""

import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tokentracker.cache import cache_get
from tokentracker.models import Organization

from ..models import Eval, IngestReceipt, RequestPayload, UsageEvent
from ..sessions.summaries import session_summaries_purge

logger = logging.getLogger(__name__)


def retention_cutoff(*, days: int, now: datetime) -> datetime:
    """The start of the hour `days` days before `now`: events before it go. Whole hours,
    so every hourly rollup is either all of its events or none (a rebuild then skips
    it whole)."""
    return (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def reconversion_flag_key(organization_id: int) -> str:
    """Set while an organization's events are converted again (`events_reconvert`)."""
    return f"events-reconverting:{organization_id}"


@dataclass
class OrganizationPurge:
    """One organization's share of a run: its cutoff, and how far it got."""

    organization_id: int
    cutoff: datetime
    reporting_currency: str
    batches: int = 0
    events: int = 0
    receipts: int = 0
    sessions: int = 0
    oldest_left: datetime | None = None
    events_done: bool = False


def events_purge_batch(purge: OrganizationPurge, *, batch_size: int) -> int:
    """Delete one batch of the organization's events before its cutoff, or once they are
    all gone, of its idempotency receipts; returns the rows deleted (0: nothing left)."""
    if not purge.events_done:
        deleted = _events_batch(purge, batch_size)
        if deleted:
            return deleted
        purge.events_done = True
        # Sessions that ended before the cutoff have no event left: the list drops them.
        purge.sessions = session_summaries_purge(
            organization_id=purge.organization_id, before=purge.cutoff
        )
    receipts = list(
        IngestReceipt.objects.filter(
            organization_id=purge.organization_id, created_at__lt=purge.cutoff
        ).values_list("pk", flat=True)[:batch_size]
    )
    if receipts:
        IngestReceipt.objects.filter(pk__in=receipts).delete()
        purge.receipts += len(receipts)
    return len(receipts)


def _events_batch(purge: OrganizationPurge, batch_size: int) -> int:
    events = UsageEvent.objects.filter(
        organization_id=purge.organization_id, occurred_at__lt=purge.cutoff
    )
    if purge.oldest_left is not None:
        # Past the batches already deleted, without walking their dead index entries again.
        events = events.filter(occurred_at__gte=purge.oldest_left)
    rows = list(
        events.order_by("occurred_at").values_list("pk", "uuid", "occurred_at", "currency")[
            :batch_size
        ]
    )
    if not rows:
        return 0
    if cache_get(reconversion_flag_key(purge.organization_id)) or any(
        currency != purge.reporting_currency for *_, currency in rows
    ):
        # A reporting currency change is still being applied: its rebuild of the totals
        # must see these events, or their hours would stay in the old currency for good.
        logger.info(
            "retention of organization %s waits for its reconversion", purge.organization_id
        )
        return 0
    with transaction.atomic():
        # Recorded with the deletion: a rollup rebuild must never again start from the
        # events of these hours (a rebuild that began earlier read them in its snapshot).
        Organization.objects.filter(
            Q(events_purged_before__isnull=True) | Q(events_purged_before__lt=purge.cutoff),
            pk=purge.organization_id,
        ).update(events_purged_before=purge.cutoff)
        # What points at an event, handled here in three statements rather than through
        # Django's collector (2.5 times slower on PostgreSQL, 100 rows a statement);
        # tests/usage/test_retention.py pins the list, so a new one must be added here.
        uuids = [event_uuid for _, event_uuid, _, _ in rows]
        RequestPayload.objects.filter(event_id__in=uuids).delete()
        Eval.objects.filter(event_id__in=uuids).update(event=None)
        UsageEvent.objects.filter(pk__in=[pk for pk, *_ in rows])._raw_delete(UsageEvent.objects.db)
    purge.events += len(rows)
    purge.oldest_left = rows[-1][2]
    return len(rows)


def events_retention_purge(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    time_budget_seconds: float | None = None,
) -> list[OrganizationPurge]:
    """Apply every organization's retention setting, in turns (see the module's
    docstring); returns what each organization deleted."""
    now = now or timezone.now()
    batch_size = batch_size or settings.EVENT_RETENTION_BATCH_SIZE
    max_batches = max_batches or settings.EVENT_RETENTION_MAX_BATCHES_PER_RUN
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    organizations = Organization.objects.filter(
        event_retention_days__isnull=False, deletion_requested_at__isnull=True
    ).order_by("pk")
    purges = [
        OrganizationPurge(
            organization_id=organization_id,
            cutoff=retention_cutoff(days=days, now=now),
            reporting_currency=currency,
        )
        for organization_id, days, currency in organizations.values_list(
            "pk", "event_retention_days", "reporting_currency"
        )
    ]
    turns = deque(purges)
    while turns:
        if deadline is not None and time.monotonic() > deadline:
            logger.warning("retention run out of time; the rest goes next run")
            break
        purge = turns.popleft()
        try:
            deleted = events_purge_batch(purge, batch_size=batch_size)
        except Exception:
            logger.exception("retention of organization %s failed", purge.organization_id)
            continue
        purge.batches += 1
        if deleted and purge.batches < max_batches:
            turns.append(purge)
    for purge in purges:
        if purge.events or purge.receipts:
            logger.info(
                "retention of organization %s: %s events and %s idempotency receipts "
                "before %s deleted",
                purge.organization_id,
                purge.events,
                purge.receipts,
                purge.cutoff.isoformat(),
            )
    return purges
