"""Provider cost buckets in the organization's reporting currency, converted again when
rates are loaded or edited (those waiting for a rate) or the reporting currency changes
(all of one organization's), as manual costs and expenses are (billing.signals)."""

from billing.models import ProviderCostBucket
from tokentracker.money import money_book_uncached

BATCH_SIZE = 2000


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
