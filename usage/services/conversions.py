"""Events converted again: when rates arrive for events that had none, and when an
organization changes its reporting currency. Then its rollups are rebuilt from the events,
so every aggregate is in the new figures."""

import logging
from datetime import UTC
from functools import partial

from django.db import transaction
from django.db.models import Q

from tokentracker.broker import task_queued
from tokentracker.cache import cache_delete, cache_set
from tokentracker.models import Organization
from tokentracker.money import MoneyBook, money_book_uncached

from ..costs import PART_COLUMNS, costs_in_currency
from ..models import CostSource, UsageEvent
from ..price_book import PriceBook, price_book_get
from ..pricing import CostParts, TokenParts, cost_compute
from ..rollup_rebuild import rollups_rebuild
from ..sessions.summaries import session_summaries_rebuild
from .retention import reconversion_flag_key

logger = logging.getLogger(__name__)

_CONVERTED_COLUMNS = [*PART_COLUMNS, "total_cost", "currency", "cost_source", "catalog_cost_usd"]


def events_reconvert(*, organization_id: int, batch_size: int = 2000) -> int:
    """Bring an organization's costs into its reporting currency; returns events changed.

    Takes the events converted to another currency (the reporting currency changed since)
    and those still waiting for a rate, in batches of `batch_size`, and converts each from
    what was kept: the reported amount as sent, or the catalog price (recomputed in USD
    from the stored tokens and the event's catalog row). Idempotent: an event already in
    the reporting currency is not touched, so running it twice, or after an ingest that saw
    the old currency, only finishes the work. Rollups are rebuilt when anything changed.
    """
    reporting = (
        Organization.objects.filter(pk=organization_id)
        .values_list("reporting_currency", flat=True)
        .first()
    )
    if reporting is None:
        return 0
    # The retention purge waits while this runs: the rebuild at the end must still find
    # every event whose hour it rewrites (usage.services.retention).
    flag = reconversion_flag_key(organization_id)
    cache_set(flag, 1, RECONVERSION_FLAG_SECONDS)
    try:
        return _reconvert(organization_id, reporting, batch_size)
    finally:
        cache_delete(flag)


# Longer than any reconversion takes (the task's time limit is an hour).
RECONVERSION_FLAG_SECONDS = 2 * 3600


def _reconvert(organization_id: int, reporting: str, batch_size: int) -> int:
    events = UsageEvent.objects.filter(organization_id=organization_id)
    # Unpriced events have no cost to convert; their currency only follows the setting.
    events.filter(cost_source=CostSource.UNPRICED).exclude(currency=reporting).update(
        currency=reporting
    )
    pending = events.filter(
        Q(cost_source=CostSource.UNCONVERTED)
        | (Q(cost_source__in=[CostSource.REPORTED, CostSource.CATALOG]) & ~Q(currency=reporting))
    )
    money = money_book_uncached()
    prices = price_book_get()
    changed = 0
    last_id = 0
    while True:
        batch = list(pending.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        updated = [event for event in batch if _convert(event, reporting, money, prices)]
        UsageEvent.objects.bulk_update(updated, _CONVERTED_COLUMNS)
        changed += len(updated)
        last_id = batch[-1].id
    if changed:
        rollups_rebuild(organization_id=organization_id)
        session_summaries_rebuild(organization_id=organization_id)
    return changed


def _convert(event: UsageEvent, reporting: str, money: MoneyBook, prices: PriceBook) -> bool:
    """Set `event`'s cost columns in `reporting`; False when nothing changed."""
    catalog = None if event.reported_amount is not None else _catalog_cost(event, prices)
    columns = costs_in_currency(
        money=money,
        to=reporting,
        on=event.occurred_at.astimezone(UTC).date(),
        reported_amount=event.reported_amount,
        reported_currency=event.reported_currency,
        catalog=catalog,
    )
    columns["catalog_cost_usd"] = catalog.total if catalog else None
    before = {column: getattr(event, column) for column in _CONVERTED_COLUMNS}
    for column, value in columns.items():
        setattr(event, column, value)
    return before != columns


def _catalog_cost(event: UsageEvent, prices: PriceBook) -> CostParts | None:
    version = prices.version(event.model_price_id) if event.model_price_id else None
    if version is None:
        return None
    parts = TokenParts(
        uncached_input=event.uncached_input_tokens,
        cache_read=event.cache_read_tokens,
        cache_write=event.cache_write_tokens,
        output=event.output_tokens - event.reasoning_tokens,
        reasoning=event.reasoning_tokens,
    )
    return cost_compute(parts, version.rates)


def unconverted_events_convert() -> int:
    """Convert, organization by organization, the events waiting for a rate (after rates
    were loaded or edited); returns the events converted."""
    organization_ids = (
        UsageEvent.objects.filter(cost_source=CostSource.UNCONVERTED)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
    converted = 0
    for organization_id in list(organization_ids):
        try:
            converted += events_reconvert(organization_id=organization_id)
        except Exception:
            # One organization's failure must not keep the others waiting.
            logger.exception("could not convert the events of organization %s", organization_id)
    return converted


def events_reconvert_soon(organization_id: int) -> None:
    """After a reporting currency change commits: queue the reconversion, or run it here."""
    from ..tasks import events_reconvert_task

    if not task_queued(events_reconvert_task, organization_id):
        events_reconvert(organization_id=organization_id)


def unconverted_events_convert_soon() -> None:
    from ..tasks import unconverted_events_convert_task

    if not task_queued(unconverted_events_convert_task):
        unconverted_events_convert()


def reporting_currency_changed_convert(*, organization_id: int) -> None:
    transaction.on_commit(partial(events_reconvert_soon, organization_id))
