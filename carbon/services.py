"""Writes of the carbon app: seeding reference data from EcoLogits, admin edits that bump
the methodology version, and the carbon-llm track door's accept-then-persist path."""

import logging
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.model_repository import models as ecologits_models

from tokentracker.broker import task_publish
from tokentracker.models import MonthlyLiveEventCount, Organization
from tokentracker.services import quota_consume
from usage.ids import uuid7
from usage.schemas import CarbonStamp, EventInput
from usage.services import events_record

from .book import carbon_book_get, carbon_book_invalidate
from .countries import country_of_zone
from .estimator import estimate_tokens
from .factors import (
    ECOLOGITS_PROVIDER,
    ECOLOGITS_SOURCE,
    ECOLOGITS_VERSION,
    WORLD,
    Estimate,
    carbon_decimal,
)
from .models import CarbonFactor, Confidence, GridIntensity, MethodologyVersion, PendingTrack
from .profiles import parameter_bounds

logger = logging.getLogger(__name__)

GRID_SOURCE = f"ADEME Base IMPACTS®, as shipped in {ECOLOGITS_SOURCE}"


# --- Methodology versions ---------------------------------------------------------------


def methodology_bump(*, reason: str) -> MethodologyVersion:
    """Record a new methodology version (YYYY.MM.N, N counting within the month)."""
    prefix = timezone.now().strftime("%Y.%m.")
    for attempt in range(3):
        try:
            with transaction.atomic():
                taken = MethodologyVersion.objects.select_for_update().filter(
                    version__startswith=prefix
                )
                number = 1 + max(
                    (int(v.rsplit(".", 1)[1]) for v in taken.values_list("version", flat=True)),
                    default=0,
                )
                version = MethodologyVersion.objects.create(
                    version=f"{prefix}{number}",
                    ecologits_version=ECOLOGITS_VERSION,
                    reason=reason[:300],
                )
            break
        except IntegrityError:
            # Two edits took the same number (the month's first version locks no row):
            # the other one committed, so counting again gives the next number.
            if attempt == 2:
                raise
    carbon_book_invalidate()
    transaction.on_commit(carbon_book_invalidate)
    return version


# --- Seeding from EcoLogits ---------------------------------------------------------------


def _country(zone: str) -> tuple[str, str]:
    return ("", "World") if zone == WORLD else country_of_zone(zone)


def grid_intensities_seed() -> int:
    """Load EcoLogits' electricity mixes for the zones not in the table yet."""
    known = set(GridIntensity.objects.values_list("zone", flat=True))
    rows = []
    for mix in electricity_mixes.list_electricity_mixes():
        if mix.zone in known:
            continue
        alpha2, name = _country(mix.zone)
        rows.append(
            GridIntensity(
                zone=mix.zone,
                country_code=alpha2,
                name=name,
                # EcoLogits gives kgCO2e/kWh; we store grams.
                gco2e_per_kwh=Decimal(str(mix.gwp)) * 1000,
                source=GRID_SOURCE,
            )
        )
    GridIntensity.objects.bulk_create(rows)
    return len(rows)


def _parameters(model: Any) -> tuple[float, float]:
    """Mean active and total parameter counts, as EcoLogits' point estimate takes them."""
    active, total = parameter_bounds(model)
    return sum(active) / 2, sum(total) / 2


def default_factors_seed() -> int:
    """Provider defaults for models EcoLogits does not know: the median parameter counts of
    the models it lists for that provider (and of all its models, for any other provider)."""
    by_provider: dict[str, list[tuple[float, float]]] = {}
    for model in ecologits_models.list_models():
        by_provider.setdefault(model.provider.value, []).append(_parameters(model))
    everything = [p for rows in by_provider.values() for p in rows]
    wanted = {"": ("", everything)}
    for ours, theirs in ECOLOGITS_PROVIDER.items():
        if theirs in by_provider:
            wanted[ours] = (theirs, by_provider[theirs])
    existing = set(CarbonFactor.objects.filter(model="").values_list("provider", flat=True))
    rows = []
    for provider, (label, parameters) in wanted.items():
        if provider in existing:
            continue
        rows.append(
            CarbonFactor(
                provider=provider,
                model="",
                active_parameters_b=Decimal(f"{statistics.median(p[0] for p in parameters):.3f}"),
                total_parameters_b=Decimal(f"{statistics.median(p[1] for p in parameters):.3f}"),
                confidence=Confidence.ESTIMATED,
                source=(
                    f"Median parameter counts of the {len(parameters)} "
                    f"{label + ' ' if label else ''}models listed by {ECOLOGITS_SOURCE}"
                ),
                is_seeded=True,
            )
        )
    CarbonFactor.objects.bulk_create(rows)
    return len(rows)


def carbon_seed() -> None:
    """Fill empty reference tables; record a methodology version when EcoLogits changed."""
    with transaction.atomic():
        grids = grid_intensities_seed()
        defaults = default_factors_seed()
        current = MethodologyVersion.objects.order_by("-id").first()
        if current is None:
            methodology_bump(reason=f"Initial methodology on {ECOLOGITS_SOURCE}")
        elif current.ecologits_version != ECOLOGITS_VERSION:
            methodology_bump(reason=f"EcoLogits {current.ecologits_version} → {ECOLOGITS_VERSION}")
        elif grids or defaults:
            methodology_bump(reason=f"Seeded {grids} grid zones and {defaults} default factors")
    carbon_book_invalidate()


# --- Admin edits --------------------------------------------------------------------------


def carbon_factor_save(*, factor: CarbonFactor, edited_by: Any = None) -> CarbonFactor:
    """Save an admin's factor; estimates use it from the new methodology version on."""
    with transaction.atomic():
        version = methodology_bump(reason=f"Carbon factor {factor} edited")
        factor.methodology_version = version.version
        factor.edited_by = edited_by
        factor.is_seeded = False
        factor.save()
    return factor


def carbon_factor_delete(*, factor: CarbonFactor) -> None:
    with transaction.atomic():
        label = str(factor)
        factor.delete()
        methodology_bump(reason=f"Carbon factor {label} removed")


def grid_intensity_save(*, grid: GridIntensity, edited_by: Any = None) -> GridIntensity:
    with transaction.atomic():
        grid.edited_by = edited_by
        grid.save()
        methodology_bump(reason=f"Grid intensity of {grid.zone} set to {grid.gco2e_per_kwh}")
    return grid


# --- Live-key free quota --------------------------------------------------------------------


class FreeQuotaExhausted(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"free live-event quota of {limit} reached")
        self.limit = limit


@dataclass(frozen=True)
class LiveQuota:
    limit: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def live_quota_consume(
    *, organization_id: int, events: int = 1, month: date | None = None
) -> LiveQuota:
    """Count a live-key event against the plan's free monthly quota, or raise
    FreeQuotaExhausted and count nothing. One conditional upsert: atomic under concurrency,
    and rolled back with the caller's transaction."""
    month = month or timezone.now().date().replace(day=1)
    limit = (
        Organization.objects.filter(pk=organization_id)
        .values_list("plan__free_live_events_per_month", flat=True)
        .get()
    )
    table = connection.ops.quote_name(MonthlyLiveEventCount._meta.db_table)
    guard = "" if limit is None else f"WHERE {table}.events + excluded.events <= {int(limit)} "
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, month, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (organization_id, month) DO UPDATE "
            f"SET events = {table}.events + excluded.events {guard}"
            f"RETURNING events",
            [organization_id, month, events],
        )
        row = cursor.fetchone()
    if row is None or (limit is not None and int(row[0]) > limit):
        # The first event of a month is an INSERT, which the WHERE does not guard.
        raise FreeQuotaExhausted(limit or 0)
    return LiveQuota(limit=limit, used=int(row[0]))


# --- carbon-llm's track door ----------------------------------------------------------------


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
) -> TrackAccepted:
    """Estimate a tracked call, count it and keep it durably; a task writes the UsageEvent.

    Raises FreeQuotaExhausted for a live key past its plan's free monthly quota and
    QuotaExceeded past the daily quota; either way nothing is kept.
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
        if is_live:
            remaining = live_quota_consume(organization_id=organization_id).remaining
        quota_consume(organization_id=organization_id, events=1)
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
    from .tasks import pending_track_persist_task

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        if task_publish(pending_track_persist_task, pending_id):
            return
        logger.warning("broker unreachable: persisting tracked event in-process")
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
        event = EventInput.model_validate(pending.event)
        event._carbon = CarbonStamp(
            energy_wh=pending.energy_wh,
            co2e_grams=pending.co2e_grams,
            methodology=pending.methodology_version,
        )
        events_record(
            organization_id=pending.organization_id,
            api_key_id=pending.api_key_id,
            events=[event],
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
