"""Storing what providers report: usage and cost buckets upserted on their unique keys
within the window a sync read, and cost buckets converted to the reporting currency at
the rate of their day (again when rates are loaded or edited, or the reporting currency
changes: billing.signals)."""

from dataclasses import replace
from datetime import date, datetime

from django.db import transaction

from billing.models import ProviderCostBucket, ProviderIntegration, ProviderUsageBucket
from billing.sync.http import ProviderError
from billing.sync.rows import CostRow, UsageRow
from tokentracker.money import money_book_uncached, money_convert, reporting_currency_of

# The width stored for reconciliation (per day, like the cost reports).
USAGE_WIDTH = "1d"
BATCH_SIZE = 1000


def _usage_merge(rows: list[UsageRow]) -> list[UsageRow]:
    """One row per bucket and group: two reported names of one catalog model (two dated
    snapshots) fall in one group, and are added up."""
    merged: dict[tuple, UsageRow] = {}
    for row in rows:
        seen = merged.get(row.key)
        merged[row.key] = (
            row
            if seen is None
            else replace(
                seen,
                input_tokens=seen.input_tokens + row.input_tokens,
                cache_read_tokens=seen.cache_read_tokens + row.cache_read_tokens,
                cache_write_tokens=seen.cache_write_tokens + row.cache_write_tokens,
                output_tokens=seen.output_tokens + row.output_tokens,
                requests=seen.requests + row.requests,
            )
        )
    return list(merged.values())


def _costs_merge(rows: list[CostRow]) -> list[CostRow]:
    merged: dict[tuple, CostRow] = {}
    for row in rows:
        seen = merged.get(row.key)
        if seen is not None and seen.currency != row.currency:
            raise ProviderError(
                f"Two amounts of one cost line on {row.day} are in different currencies."
            )
        merged[row.key] = row if seen is None else replace(seen, amount=seen.amount + row.amount)
    return list(merged.values())


def usage_buckets_store(
    *, integration: ProviderIntegration, rows: list[UsageRow], start: datetime, end: datetime
) -> int:
    """Upsert the integration's daily usage buckets read for [start, end), deleting those of
    that window the provider no longer reports; returns how many buckets it reported."""
    rows = _usage_merge(rows)
    scope = {"organization_id": integration.organization_id, "provider": integration.provider}
    buckets = [
        ProviderUsageBucket(
            **scope,
            start=row.start,
            width=row.width,
            model=row.model,
            project=row.project,
            api_key=row.api_key,
            input_tokens=row.input_tokens,
            cache_read_tokens=row.cache_read_tokens,
            cache_write_tokens=row.cache_write_tokens,
            output_tokens=row.output_tokens,
            requests=row.requests,
        )
        for row in rows
    ]
    reported = {(row.start, row.model, row.project, row.api_key) for row in rows}
    with transaction.atomic():
        stored = ProviderUsageBucket.objects.filter(
            **scope, width=USAGE_WIDTH, start__gte=start, start__lt=end
        ).values_list("pk", "start", "model", "project", "api_key")
        gone = [pk for pk, *key in stored if tuple(key) not in reported]
        ProviderUsageBucket.objects.filter(pk__in=gone).delete()
        ProviderUsageBucket.objects.bulk_create(
            buckets,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=[
                "organization",
                "provider",
                "width",
                "start",
                "model",
                "project",
                "api_key",
            ],
            update_fields=[
                "input_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "output_tokens",
                "requests",
                "synced_at",
            ],
        )
    return len(buckets)


def cost_buckets_store(
    *, integration: ProviderIntegration, rows: list[CostRow], start: date, end: date
) -> int:
    """Upsert the integration's cost buckets read for days [start, end), converted at the
    rate of their day, deleting those the provider no longer reports; returns how many."""
    rows = _costs_merge(rows)
    scope = {"organization_id": integration.organization_id, "provider": integration.provider}
    reporting = reporting_currency_of(integration.organization_id)
    buckets = [
        ProviderCostBucket(
            **scope,
            day=row.day,
            line_item=row.line_item,
            model=row.model,
            project=row.project,
            amount=row.amount,
            currency=row.currency,
            converted_amount=money_convert(
                amount=row.amount, currency=row.currency, to=reporting, on=row.day
            ),
            converted_currency=reporting,
        )
        for row in rows
    ]
    reported = {(row.day, row.line_item, row.project) for row in rows}
    with transaction.atomic():
        stored = ProviderCostBucket.objects.filter(
            **scope, day__gte=start, day__lt=end
        ).values_list("pk", "day", "line_item", "project")
        gone = [pk for pk, *key in stored if tuple(key) not in reported]
        ProviderCostBucket.objects.filter(pk__in=gone).delete()
        ProviderCostBucket.objects.bulk_create(
            buckets,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["organization", "provider", "day", "line_item", "project"],
            update_fields=[
                "model",
                "amount",
                "currency",
                "converted_amount",
                "converted_currency",
                "synced_at",
            ],
        )
    return len(buckets)


def provider_costs_convert(*, organization_id: int | None = None, waiting_only: bool = True) -> int:
    """Convert provider cost buckets again at the rate of their day; returns how many now
    have a converted amount. A month of daily lines is a few hundred rows per
    organization, so this runs inline, in batches."""
    book = money_book_uncached()  # not a cached copy from before the change
    buckets = ProviderCostBucket.objects.all()
    if organization_id is not None:
        buckets = buckets.filter(organization_id=organization_id)
    if waiting_only:
        buckets = buckets.filter(converted_amount__isnull=True)
    converted = 0
    changed = []
    for bucket in buckets.only("organization_id", "amount", "currency", "day").iterator(
        chunk_size=BATCH_SIZE
    ):
        reporting = book.reporting_currency(bucket.organization_id)
        bucket.converted_amount = book.convert(
            bucket.amount, bucket.currency, reporting, bucket.day
        )
        bucket.converted_currency = reporting
        converted += bucket.converted_amount is not None
        changed.append(bucket)
        if len(changed) >= BATCH_SIZE:
            ProviderCostBucket.objects.bulk_update(
                changed, ["converted_amount", "converted_currency"]
            )
            changed = []
    ProviderCostBucket.objects.bulk_update(changed, ["converted_amount", "converted_currency"])
    return converted
