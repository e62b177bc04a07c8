"""carbon-llm's track door: an accepted call kept durably, then written by a task.

`POST /api/v1/track` answers 202 with the carbon estimate before the event exists: the
request keeps a `PendingTrack` (with the quota it consumed, in one transaction) and a task
writes the UsageEvent through the one ingest service with exactly the figures answered.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carbon.carbon_book import carbon_book_get
from carbon.estimator import estimate_tokens
from carbon.factors import Estimate, carbon_decimal
from tokentracker.broker import task_queued
from tokentracker.metrics import ingest_events_counted
from tokentracker.services import (
    FreeQuotaExhausted,
    QuotaExceeded,
    live_quota_consume,
    quota_consume,
)

from ..ids import uuid7
from ..models import PendingTrack
from ..schemas import CarbonStamp, EventInput
from .events import events_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackAccepted:
    event_id: str
    is_test: bool
    estimate: Estimate
    total_tokens: int
    energy_wh: Decimal
    co2e_grams: Decimal
    free_events_remaining: int | None


def track_accept(
    *,
    organization_id: int,
    api_key_id: int | None,
    is_live: bool,
    event: EventInput,
    country_code: str | None = None,
    door: str = "",
) -> TrackAccepted:
    """Estimate a tracked call, count it and keep it durably; a task writes the UsageEvent.

    Raises FreeQuotaExhausted for a live key past its plan's free monthly quota and
    QuotaExceeded past the daily quota; either way nothing is kept. `door` counts the event
    (accepted or refused) for /metrics.
    """
    estimate = estimate_tokens(
        carbon_book_get(),
        provider=event.provider,
        model=event.model,
        output_tokens=event.output_tokens,
        country_code=country_code,
        latency_ms=event.latency_ms,
    )
    event_id = f"evt_{uuid7().hex}"
    event.id = event_id
    energy_wh = carbon_decimal(estimate.energy_wh)
    co2e_grams = carbon_decimal(estimate.co2e_grams)
    received_at = timezone.now()
    with transaction.atomic():
        remaining = None
        try:
            if is_live:
                remaining = live_quota_consume(organization_id=organization_id).remaining
            quota_consume(organization_id=organization_id, events=1)
        except (FreeQuotaExhausted, QuotaExceeded):
            ingest_events_counted(door=door, refused=1)
            raise
        pending = PendingTrack.objects.create(
            event_id=event_id,
            organization_id=organization_id,
            api_key_id=api_key_id,
            event=event.model_dump(mode="json", exclude_none=True),
            energy_wh=energy_wh,
            co2e_grams=co2e_grams,
            methodology_version=estimate.methodology_version,
            received_at=received_at,
        )
        transaction.on_commit(partial(_persist_soon, pending.pk))
    # Counted here, where the door accepts it: the task that writes it later is no door.
    ingest_events_counted(door=door, accepted=1)
    return TrackAccepted(
        event_id=event_id,
        is_test=not is_live,
        estimate=estimate,
        total_tokens=event.input_tokens + event.output_tokens,
        energy_wh=energy_wh,
        co2e_grams=co2e_grams,
        free_events_remaining=remaining,
    )


def _persist_soon(pending_id: int) -> None:
    from ..tasks import pending_track_persist_task

    if task_queued(pending_track_persist_task, pending_id):
        return
    try:
        pending_track_persist(pending_id=pending_id)
    except Exception:
        # The pending row is committed: a later sweep writes it once the cause is gone.
        logger.exception("could not persist tracked event %s yet", pending_id)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker, so no beat either: the requests themselves sweep up what an earlier
        # one could not write (one indexed query when there is nothing to do).
        pending_tracks_sweep()


def pending_track_persist(*, pending_id: int) -> bool:
    """Write one accepted track event through the ingest service; safe to run twice.

    The row is claimed with SELECT … FOR UPDATE SKIP LOCKED and deleted in the same
    transaction as the write, and the event's id makes a second write a duplicate.
    Returns False when another worker has it or it is already written.
    """
    with transaction.atomic():
        pending = (
            PendingTrack.objects.select_for_update(skip_locked=True).filter(pk=pending_id).first()
        )
        if pending is None:
            return False
        events_record(
            organization_id=pending.organization_id,
            api_key_id=pending.api_key_id,
            events=[EventInput.model_validate(pending.event)],
            carbon_stamps=[
                CarbonStamp(
                    energy_wh=pending.energy_wh,
                    co2e_grams=pending.co2e_grams,
                    methodology=pending.methodology_version,
                )
            ],
            received_at=pending.received_at,
            count_quota=False,  # counted when the request accepted it
        )
        pending.delete()
    return True


def pending_tracks_sweep(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Persist accepted events whose task never ran (broker lost it, worker died)."""
    cutoff = timezone.now() - older_than
    written = 0
    for pending_id in PendingTrack.objects.filter(received_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        try:
            written += pending_track_persist(pending_id=pending_id)
        except Exception:
            # One row that cannot be written (its organization's daily quota, say) must
            # not hold up the rows behind it; it stays pending and is retried next sweep.
            logger.exception("could not persist tracked event %s", pending_id)
    return written
