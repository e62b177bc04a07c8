"""The one ingest service every door calls: normalise, price, stamp carbon, write, roll up."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from carbon.carbon_book import carbon_book_get
from carbon.estimator import carbon_figures
from carbon.factors import CarbonBook, carbon_decimal
from tokentracker.errors import DomainError, Kind
from tokentracker.metrics import ingest_events_counted
from tokentracker.money import MoneyBook, money_book_get
from tokentracker.selectors import api_key_livemode
from tokentracker.services import QuotaExceeded, quota_consume

from ..costs import costs_in_currency
from ..dimension_rollups import dimension_fold
from ..folds import fold, outcome_of
from ..ids import uuid7_many
from ..models import IngestReceipt, UsageEvent
from ..price_book import PriceBook, price_book_get
from ..pricing import COST_QUANTUM, TokenError, TokenParts, cost_compute, tokens_normalise
from ..rollup_rebuild import rollups_rebuild
from ..rollups import DIMENSIONS, rollup_deltas_append
from ..schemas import CarbonStamp, EventInput, EventsInvalid, FieldError, InvalidEvent
from ..sessions.summaries import session_deltas_append, session_summaries_rebuild
from ..tasks import rollups_merge_soon
from ..writers import EVENT_COLUMNS, usage_events_insert

# Clients' clocks drift and time zones get mislabelled; a day absorbs both, more is a bug
# that would put spend on a date that has not happened yet.
FUTURE_TOLERANCE = timedelta(days=1)


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key came back with a different body."""

    kind = Kind.CONFLICT


@dataclass(frozen=True)
class IngestResult:
    created: int
    duplicates: int
    unpriced: int
    total_cost: Decimal
    replayed: bool = False
    # The created rows' uuids, in input order; single-event doors answer with the id.
    # Not kept for replays: a replayed response only repeats the counts.
    event_ids: tuple[UUID, ...] = ()
    # The invalid events of a batch, not written, and why: each error names its index.
    rejected: int = 0
    errors: tuple[FieldError, ...] = ()

    def as_response(self) -> dict[str, Any]:
        return {
            "success": True,
            "created": self.created,
            "total_cost": float(self.total_cost),
            "duplicates": self.duplicates,
            "unpriced": self.unpriced,
            "rejected": self.rejected,
            "errors": [error.model_dump() for error in self.errors],
        }


def request_digest(raw_body: bytes) -> str:
    return hashlib.sha256(raw_body).hexdigest()


def events_record(
    *,
    organization_id: int,
    api_key_id: int | None,
    events: Sequence[EventInput | InvalidEvent],
    idempotency_key: str | None = None,
    body_digest: str = "",
    received_at: datetime | None = None,
    count_quota: bool = True,
    carbon_stamps: Sequence[CarbonStamp | None] | None = None,
    door: str = "",
    livemode: bool | None = None,
) -> IngestResult:
    """Normalise, price and write a batch of events, judged event by event.

    An event that failed the door's validation (InvalidEvent), whose token counts
    contradict its provider's convention, or that is dated in the future is rejected: the
    result names it by its index in `events`, and the valid events are written. When no
    event is valid, EventsInvalid is raised and nothing is written. Raises QuotaExceeded
    when the written events would pass the organization's daily limit (only written
    events count), and IdempotencyKeyReused when `idempotency_key` was used before for a
    different body. A repeated `idempotency_key` replays the first result, rejections
    included; a repeated event `id` is a duplicate, not a rejection.
    `count_quota=False` is for a door that counted the events when it accepted them.
    `carbon_stamps`, one per event, are figures a door already estimated and answered (the
    carbon-llm track door); an event without one is estimated here.
    `door`, the path the events came in by, counts them for /metrics (tokentracker.metrics);
    a replay is not counted again, and neither is a call from no door (importers, tasks).
    `livemode`, False for events sent with a test key, is what the door's authentication
    already knows; without it the key is looked up.
    """
    if idempotency_key:
        replay = _receipt_replay(organization_id, idempotency_key, body_digest)
        if replay is not None:
            return replay
    received_at = received_at or timezone.now()
    rows, errors = _event_rows(
        price_book_get(),
        carbon_book_get(),
        organization_id,
        api_key_id,
        events,
        received_at=received_at,
        carbon_stamps=carbon_stamps,
        livemode=api_key_livemode(api_key_id) if livemode is None else livemode,
    )
    if errors and not rows:
        # Nothing valid: the door refuses the request as a whole, and no receipt is kept,
        # so a retry is judged again (and the key stays free for the corrected body).
        ingest_events_counted(door=door, refused=len(events))
        raise EventsInvalid(errors)
    for attempt in range(2):
        fresh, duplicates = _without_recorded(organization_id, rows)
        result = IngestResult(
            created=len(fresh),
            duplicates=duplicates,
            # Unconverted events (no rate for their day) are outside total_cost as well.
            unpriced=sum(1 for row in fresh if row["total_cost"] is None),
            total_cost=sum((row["total_cost"] or Decimal(0) for row in fresh), Decimal(0)),
            event_ids=tuple(row["uuid"] for row in fresh),
            rejected=len({error.index for error in errors}),
            errors=tuple(errors),
        )
        try:
            with transaction.atomic():
                usage_events_insert(fresh)
                rollup_deltas_append(fold(fresh))
                rollup_deltas_append(dimension_fold(organization_id, fresh), DIMENSIONS)
                session_deltas_append(fresh)
                if fresh and count_quota:
                    quota_consume(organization_id=organization_id, events=len(fresh))
                if idempotency_key:
                    IngestReceipt.objects.create(
                        organization_id=organization_id,
                        key=idempotency_key,
                        request_digest=body_digest,
                        response=result.as_response(),
                    )
            if fresh:
                transaction.on_commit(rollups_merge_soon)
            ingest_events_counted(
                door=door,
                accepted=result.created,
                duplicate=result.duplicates,
                refused=result.rejected,
            )
            return result
        except QuotaExceeded:
            ingest_events_counted(door=door, refused=len(events))
            raise
        except IntegrityError:
            # A concurrent request recorded the same Idempotency-Key or event ids between our
            # check and our write. Its transaction has committed: replay or re-filter.
            if idempotency_key:
                replay = _receipt_replay(organization_id, idempotency_key, body_digest)
                if replay is not None:
                    return replay
            if attempt:
                raise
    raise AssertionError("unreachable")


def _receipt_replay(organization_id: int, key: str, digest: str) -> IngestResult | None:
    receipt = IngestReceipt.objects.filter(organization_id=organization_id, key=key).first()
    if receipt is None:
        return None
    if receipt.request_digest != digest:
        raise IdempotencyKeyReused(key)
    stored = receipt.response
    return IngestResult(
        created=stored["created"],
        duplicates=stored["duplicates"],
        unpriced=stored["unpriced"],
        total_cost=Decimal(str(stored["total_cost"])),
        replayed=True,
        # Receipts written before batches were judged event by event have neither.
        rejected=stored.get("rejected", 0),
        errors=tuple(FieldError(**error) for error in stored.get("errors", ())),
    )


def _without_recorded(
    organization_id: int, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Drop events whose client id is already recorded (or repeated within the batch)."""
    ids = {row["client_event_id"] for row in rows if row["client_event_id"]}
    if not ids:
        return rows, 0
    seen = set(
        UsageEvent.objects.filter(
            organization_id=organization_id, client_event_id__in=ids
        ).values_list("client_event_id", flat=True)
    )
    fresh = []
    for row in rows:
        client_id = row["client_event_id"]
        if client_id:
            if client_id in seen:
                continue
            seen.add(client_id)
        fresh.append(row)
    return fresh, len(rows) - len(fresh)


def _aware(moment: datetime | None, default: datetime) -> datetime:
    if moment is None:
        return default
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _event_rows(
    book: PriceBook,
    carbon: CarbonBook,
    organization_id: int,
    api_key_id: int | None,
    events: Sequence[EventInput | InvalidEvent],
    *,
    received_at: datetime,
    carbon_stamps: Sequence[CarbonStamp | None] | None = None,
    money: MoneyBook | None = None,
    livemode: bool = True,
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """The rows of the valid events, and the errors of the others, each with its index."""
    money = money or money_book_get()
    reporting_currency = money.reporting_currency(organization_id)
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    uuids = uuid7_many(len(events))
    for index, event in enumerate(events):
        if isinstance(event, InvalidEvent):
            errors.extend(error.model_copy(update={"index": index}) for error in event.errors)
            continue
        provider = book.provider(event.provider)
        cache_read = event.cache_read_tokens or 0
        try:
            parts = tokens_normalise(
                provider=provider,
                model=event.model,
                input_tokens=event.input_tokens,
                output_tokens=event.output_tokens,
                cache_read_tokens=cache_read,
                cache_write_tokens=event.cache_write_tokens or 0,
                reasoning_tokens=event.reasoning_tokens or 0,
            )
        except TokenError as exc:
            errors.append(FieldError(index=index, field=exc.field, message=exc.message))
            continue
        occurred_at = _aware(event.occurred_at, received_at)
        if occurred_at > received_at + FUTURE_TOLERANCE:
            errors.append(
                FieldError(
                    index=index,
                    field="occurred_at",
                    message="occurred_at is more than a day in the future; check the clock",
                )
            )
            continue
        row = {
            "uuid": uuids[index],
            "organization_id": organization_id,
            "api_key_id": api_key_id,
            "client_event_id": event.id,
            "occurred_at": occurred_at,
            "received_at": received_at,
            "provider": provider,
            "model": event.model,
            "input_tokens": event.input_tokens,
            # With reasoning for every provider, whether its API counts it inside or apart.
            "output_tokens": parts.output_with_reasoning,
            "cache_read_tokens": cache_read,
            "cache_write_tokens": parts.cache_write,
            "reasoning_tokens": parts.reasoning,
            "uncached_input_tokens": parts.uncached_input,
            "total_tokens": parts.total,
            "tokens_reported": event.tokens_reported,
            "currency": reporting_currency,
            "latency_ms": event.latency_ms,
            "success": event.success,
            "quality_score": event.quality_score,
            "status": event.status or "",
            "status_code": event.status_code,
            "error_message": event.error_message or "",
            "cache_hit": event.cache_hit if event.cache_hit is not None else cache_read > 0,
            "outcome": outcome_of(event.success, event.status or "", event.status_code),
            "platform": event.platform or "",
            "use_case": event.use_case or "",
            "endpoint": event.endpoint or "",
            "project": event.project or "",
            "session_id": event.session_id or "",
            "developer_id": event.developer_id or "",
            "tenant_id": event.tenant_id or "",
            "metadata": event.metadata,
            "livemode": livemode,
        }
        _price(
            row,
            book,
            parts,
            event.total_cost,
            reported_currency=event.currency,
            money=money,
            reporting_currency=reporting_currency,
        )
        _carbon(row, carbon, event, carbon_stamps[index] if carbon_stamps else None)
        rows.append(row)
    assert not rows or len(rows[0]) == len(EVENT_COLUMNS)
    return rows, errors


def _price(
    row: dict[str, Any],
    book: PriceBook,
    parts: TokenParts,
    reported: Decimal | None,
    *,
    reported_currency: str,
    money: MoneyBook,
    reporting_currency: str,
) -> None:
    key = book.resolve(row["provider"], row["model"])
    version = book.price_at(key, row["occurred_at"]) if key else None
    costs = cost_compute(parts, version.rates) if version else None
    row["model_price_id"] = version.id if version and costs else None
    # The client knows what it was billed: that is the cost, not our estimate.
    catalog = costs if reported is None else None
    row["reported_amount"] = reported.quantize(COST_QUANTUM) if reported is not None else None
    row["reported_currency"] = reported_currency if reported is not None else ""
    row["catalog_cost_usd"] = catalog.total if catalog else None
    row.update(
        costs_in_currency(
            money=money,
            to=reporting_currency,
            on=row["occurred_at"].date(),
            reported_amount=row["reported_amount"],
            reported_currency=reported_currency,
            catalog=catalog,
        )
    )


def _carbon(
    row: dict[str, Any], book: CarbonBook, event: EventInput, stamp: CarbonStamp | None
) -> None:
    if stamp is not None:
        row["energy_wh"] = stamp.energy_wh
        row["co2e_grams"] = stamp.co2e_grams
        row["carbon_methodology"] = stamp.methodology
        return
    energy_wh, co2e_grams = carbon_figures(
        book,
        provider=row["provider"],
        model=row["model"],
        output_tokens=row["output_tokens"],
        country_code=event.datacenter_country,
        latency_ms=row["latency_ms"],
    )
    row["energy_wh"] = carbon_decimal(energy_wh)
    row["co2e_grams"] = carbon_decimal(co2e_grams)
    row["carbon_methodology"] = book.methodology_version


def events_carbon_backfill(*, organization_id: int, batch_size: int = 2000) -> int:
    """Estimate the events recorded before carbon accounting (no CO2e yet) with the current
    methodology, then rebuild the organization's rollups so their sums include them.

    Events stored no country, so each gets its provider's usual datacenter zone; a stored
    latency bounds the generation time as at ingest. Events that
    already have figures are never touched. Returns the events estimated.
    """
    book = carbon_book_get()
    pending = UsageEvent.objects.filter(organization_id=organization_id, co2e_grams__isnull=True)
    estimated = 0
    last_id = 0
    while True:
        batch = list(
            pending.filter(id__gt=last_id)
            .order_by("id")
            .only("id", "provider", "model", "output_tokens", "latency_ms")[:batch_size]
        )
        if not batch:
            break
        for event in batch:
            energy_wh, co2e_grams = carbon_figures(
                book,
                provider=event.provider,
                model=event.model,
                output_tokens=event.output_tokens,
                latency_ms=event.latency_ms,
            )
            event.energy_wh = carbon_decimal(energy_wh)
            event.co2e_grams = carbon_decimal(co2e_grams)
            event.carbon_methodology = book.methodology_version
        UsageEvent.objects.bulk_update(batch, ["energy_wh", "co2e_grams", "carbon_methodology"])
        estimated += len(batch)
        last_id = batch[-1].id
    if estimated:
        rollups_rebuild(organization_id=organization_id)
        session_summaries_rebuild(organization_id=organization_id)
    return estimated
