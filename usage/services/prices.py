"""The price catalog's writes: the genai-prices sync and an admin's revision of a price."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import genai_catalog
from ..models import ModelAlias, ModelPrice, PriceSource
from ..price_book import price_book_invalidate

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
