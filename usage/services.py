"""Writes of the usage app: the one ingest service every door calls, and the price catalog."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from carbon.book import carbon_book_get
from carbon.estimator import carbon_figures
from carbon.factors import CarbonBook, carbon_decimal
from tokentracker.services import quota_consume

from . import genai_catalog
from .ids import uuid7
from .models import CostSource, IngestReceipt, ModelAlias, ModelPrice, PriceSource, UsageEvent
from .price_book import PriceBook, price_book_get, price_book_invalidate
from .pricing import COST_QUANTUM, TokenError, TokenParts, cost_compute, tokens_normalise
from .rollups import fold, outcome_of, rollup_deltas_append, rollups_rebuild
from .schemas import EventInput, EventsInvalid, FieldError
from .tasks import rollups_merge_soon
from .writers import EVENT_COLUMNS, usage_events_insert

# Clients' clocks drift and time zones get mislabelled; a day absorbs both, more is a bug
# that would put spend on a date that has not happened yet.
FUTURE_TOLERANCE = timedelta(days=1)


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came back with a different body."""


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

    def as_response(self) -> dict[str, Any]:
        return {
            "success": True,
            "created": self.created,
            "total_cost": float(self.total_cost),
            "duplicates": self.duplicates,
            "unpriced": self.unpriced,
        }


def request_digest(raw_body: bytes) -> str:
    return hashlib.sha256(raw_body).hexdigest()


def events_record(
    *,
    organization_id: int,
    api_key_id: int | None,
    events: Sequence[EventInput],
    idempotency_key: str | None = None,
    body_digest: str = "",
    received_at: datetime | None = None,
    count_quota: bool = True,
) -> IngestResult:
    """Normalise, price and write a batch of events; all of it or none of it.

    Raises EventsInvalid (nothing written) for token counts that contradict the provider's
    convention, QuotaExceeded when the organization's daily limit would be passed, and
    IdempotencyKeyReused when `idempotency_key` was used before for a different body.
    A repeated `idempotency_key` replays the first result; a repeated event `id` is skipped.
    `count_quota=False` is for a door that counted the events when it accepted them.
    """
    if idempotency_key:
        replay = _receipt_replay(organization_id, idempotency_key, body_digest)
        if replay is not None:
            return replay
    received_at = received_at or timezone.now()
    rows = _event_rows(
        price_book_get(),
        carbon_book_get(),
        organization_id,
        api_key_id,
        events,
        received_at=received_at,
    )
    for attempt in range(2):
        fresh, duplicates = _without_recorded(organization_id, rows)
        result = IngestResult(
            created=len(fresh),
            duplicates=duplicates,
            unpriced=sum(1 for row in fresh if row["cost_source"] == CostSource.UNPRICED),
            total_cost=sum((row["total_cost"] or Decimal(0) for row in fresh), Decimal(0)),
            event_ids=tuple(row["uuid"] for row in fresh),
        )
        try:
            with transaction.atomic():
                usage_events_insert(fresh)
                rollup_deltas_append(fold(fresh))
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
            return result
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
    events: Sequence[EventInput],
    *,
    received_at: datetime,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    many = len(events) > 1
    for index, event in enumerate(events):
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
            errors.append(
                FieldError(index=index if many else None, field=exc.field, message=exc.message)
            )
            continue
        occurred_at = _aware(event.occurred_at, received_at)
        if occurred_at > received_at + FUTURE_TOLERANCE:
            errors.append(
                FieldError(
                    index=index if many else None,
                    field="occurred_at",
                    message="occurred_at is more than a day in the future; check the clock",
                )
            )
            continue
        row = {
            "uuid": uuid7(),
            "organization_id": organization_id,
            "api_key_id": api_key_id,
            "client_event_id": event.id,
            "occurred_at": occurred_at,
            "received_at": received_at,
            "provider": provider,
            "model": event.model,
            "input_tokens": event.input_tokens,
            "output_tokens": event.output_tokens,
            "cache_read_tokens": cache_read,
            "cache_write_tokens": parts.cache_write,
            "reasoning_tokens": parts.reasoning,
            "uncached_input_tokens": parts.uncached_input,
            "total_tokens": parts.total,
            "currency": event.currency,
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
        }
        _price(row, book, parts, event.total_cost)
        _carbon(row, carbon, event)
        rows.append(row)
    if errors:
        raise EventsInvalid(errors)
    assert not rows or len(rows[0]) == len(EVENT_COLUMNS)
    return rows


_NO_COST = {
    "input_cost": None,
    "cache_read_cost": None,
    "cache_write_cost": None,
    "output_cost": None,
    "reasoning_cost": None,
}


def _price(
    row: dict[str, Any], book: PriceBook, parts: TokenParts, reported: Decimal | None
) -> None:
    key = book.resolve(row["provider"], row["model"])
    version = book.price_at(key, row["occurred_at"]) if key else None
    costs = cost_compute(parts, version.rates) if version else None
    row["model_price_id"] = version.id if version and costs else None
    if reported is not None:
        # The client knows what it was billed: that is the cost, not our estimate.
        row.update(_NO_COST)
        row["total_cost"] = reported.quantize(COST_QUANTUM)
        row["cost_source"] = CostSource.REPORTED
    elif costs is None:
        row.update(_NO_COST)
        row["total_cost"] = None
        row["cost_source"] = CostSource.UNPRICED
    else:
        row["input_cost"] = costs.input
        row["cache_read_cost"] = costs.cache_read
        row["cache_write_cost"] = costs.cache_write
        row["output_cost"] = costs.output
        row["reasoning_cost"] = costs.reasoning
        row["total_cost"] = costs.total
        row["cost_source"] = CostSource.CATALOG


def _carbon(row: dict[str, Any], book: CarbonBook, event: EventInput) -> None:
    stamp = event._carbon
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
    return estimated


# --- Price catalog ---------------------------------------------------------------------

PRICE_FIELDS = (
    "input_per_mtok",
    "output_per_mtok",
    "cache_read_per_mtok",
    "cache_write_per_mtok",
    "reasoning_per_mtok",
    "long_context_threshold",
    "long_context_input_per_mtok",
    "long_context_output_per_mtok",
    "long_context_cache_read_per_mtok",
    "long_context_cache_write_per_mtok",
)


@dataclass(frozen=True)
class PriceSyncReport:
    created: int
    updated: int
    unchanged: int
    skipped_admin_edited: int
    aliases_created: int


def prices_sync() -> PriceSyncReport:
    """Load the installed genai-prices snapshot into the catalog.

    Rows an admin edited are never overwritten: a model with any admin-edited version is
    left to the admin entirely, so a later snapshot cannot undo a negotiated price.
    """
    existing: dict[tuple[str, str, datetime | None], ModelPrice] = {}
    admin_owned: set[tuple[str, str]] = set()
    for price in ModelPrice.objects.all():
        existing[(price.provider, price.model, price.effective_from)] = price
        if price.source == PriceSource.ADMIN:
            admin_owned.add((price.provider, price.model))

    to_create: list[ModelPrice] = []
    to_update: list[ModelPrice] = []
    unchanged = skipped = 0
    # bulk_update skips auto_now, and the models dataset's ETag and Last-Modified derive
    # from updated_at: a synced change (a new price, a retirement) must move it.
    synced_at = timezone.now()
    update_fields: set[str] = {"updated_at"}
    for row in genai_catalog.catalog_rows():
        if (row.provider, row.model) in admin_owned:
            skipped += 1
            continue
        values = {**row.fields, "effective_to": row.effective_to}
        current = existing.get((row.provider, row.model, row.effective_from))
        if current is None:
            to_create.append(
                ModelPrice(
                    provider=row.provider,
                    model=row.model,
                    effective_from=row.effective_from,
                    **values,
                )
            )
            continue
        changed = {name for name, value in values.items() if getattr(current, name) != value}
        if not changed:
            unchanged += 1
            continue
        for name in changed:
            setattr(current, name, values[name])
        current.updated_at = synced_at
        update_fields |= changed
        to_update.append(current)

    known_aliases = set(ModelAlias.objects.values_list("provider", "alias"))
    new_aliases = [
        ModelAlias(provider=provider, alias=alias, model=model)
        for provider, alias, model in genai_catalog.catalog_aliases()
        if (provider, alias) not in known_aliases
    ]
    with transaction.atomic():
        ModelPrice.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            ModelPrice.objects.bulk_update(to_update, sorted(update_fields), batch_size=500)
        ModelAlias.objects.bulk_create(new_aliases, batch_size=500)
    price_book_invalidate()
    return PriceSyncReport(
        created=len(to_create),
        updated=len(to_update),
        unchanged=unchanged,
        skipped_admin_edited=skipped,
        aliases_created=len(new_aliases),
    )


def price_revision_problem(*, price: ModelPrice, effective_from: datetime | None) -> str:
    """Why a new version of `price` cannot start at `effective_from` (now if None), or ""."""
    start = effective_from or timezone.now()
    if price.effective_from is not None and start <= price.effective_from:
        return "A new price must start after the version it replaces."
    if price.effective_to is not None and start >= price.effective_to:
        return "This version has already been replaced; edit the latest one."
    return ""


def price_revise(
    *,
    price: ModelPrice,
    changes: dict[str, Any],
    effective_from: datetime | None = None,
    edited_by: Any = None,
) -> ModelPrice:
    """Change a catalog price without rewriting history.

    A change to any price column closes `price` at `effective_from` (default: now) and
    starts a new version from then, so events already priced keep their cost and late
    events are priced by the version in effect when they happened. Other columns (name,
    class, context window) are corrected in place. Either way the row becomes admin-owned,
    which `prices_sync` respects.
    """
    price_changed = any(
        name in changes and changes[name] != getattr(price, name) for name in PRICE_FIELDS
    )
    with transaction.atomic():
        if not price_changed:
            for name, value in changes.items():
                setattr(price, name, value)
            price.source = PriceSource.ADMIN
            price.edited_by = edited_by
            price.save()
            return price
        start = effective_from or timezone.now()
        problem = price_revision_problem(price=price, effective_from=start)
        if problem:
            raise ValueError(problem)
        new_version = ModelPrice(
            **{
                field.attname: getattr(price, field.attname)
                for field in ModelPrice._meta.concrete_fields
                if field.attname not in ("id", "created_at", "updated_at")
            }
        )
        for name, value in changes.items():
            setattr(new_version, name, value)
        new_version.effective_from = start
        new_version.effective_to = price.effective_to
        new_version.source = PriceSource.ADMIN
        new_version.edited_by = edited_by
        price.effective_to = start
        price.source = PriceSource.ADMIN
        price.save(update_fields=["effective_to", "source", "updated_at"])
        new_version.save()
    return new_version
