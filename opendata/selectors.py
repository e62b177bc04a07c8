"""Reads of the open data app: the API reads only the materialised tables and the price
catalog; the refresh reads the catalog's price history and the daily rollups."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from usage.folds import COUNTERS
from usage.models import DailyRollup, ModelPrice

from .cost_index import PriceVersion
from .datasets import COMMUNITY, COST_INDEX, DATASETS, MODELS
from .models import CommunityDaily, CostIndexBasket, CostIndexPoint, DatasetRefresh

# The models dataset's value for a price or limit the catalog does not have (see model_rows).
UNKNOWN = 0


@dataclass(frozen=True)
class Freshness:
    """When a dataset last changed (None: never refreshed) and how many rows it has;
    `version` is anything else that changes with the content and goes into the ETag."""

    modified_at: datetime | None
    rows: int
    version: int = 0


def _current_filter(now: datetime) -> Q:
    # The version in effect now; models without an input or output price are not priced,
    # and a price dataset cannot publish them as numbers.
    return (
        (Q(effective_from__isnull=True) | Q(effective_from__lte=now))
        & (Q(effective_to__isnull=True) | Q(effective_to__gt=now))
        & Q(input_per_mtok__isnull=False, output_per_mtok__isnull=False)
    )


def _current_prices(now: datetime) -> QuerySet[ModelPrice]:
    return ModelPrice.objects.filter(_current_filter(now))


def _catalog_freshness(now: datetime) -> Freshness:
    """When the published catalog last changed, from the database (a cached stamp can be lost).

    Over every version, ended ones included: a write (admin edit, sync, retirement) moves
    updated_at; a dated version starting or ending changes the published rows without a
    write, so the latest start or end already passed counts too. The number of versions
    goes into the ETag, so deleting one (which moves none of these dates) shows as well.
    """
    found = ModelPrice.objects.aggregate(
        published=Count("id", filter=_current_filter(now)),
        versions=Count("id"),
        updated=Max("updated_at"),
        started=Max("effective_from", filter=Q(effective_from__lte=now)),
        ended=Max("effective_to", filter=Q(effective_to__lte=now)),
    )
    moments = [found[name] for name in ("updated", "started", "ended") if found[name]]
    return Freshness(
        max(moments) if moments else None, found["published"], version=found["versions"]
    )


def dataset_freshness(dataset: str, *, now: datetime | None = None) -> Freshness:
    if dataset == MODELS.key:
        return _catalog_freshness(now or timezone.now())
    refresh = DatasetRefresh.objects.filter(dataset=dataset).first()
    return Freshness(refresh.refreshed_at, refresh.rows) if refresh else Freshness(None, 0)


def datasets_freshness() -> dict[str, Freshness]:
    """Every dataset's freshness, for the index (two queries)."""
    refreshes = {r.dataset: r for r in DatasetRefresh.objects.all()}
    found: dict[str, Freshness] = {}
    for key in DATASETS:
        if key == MODELS.key:
            found[key] = _catalog_freshness(timezone.now())
        elif key in refreshes:
            found[key] = Freshness(refreshes[key].refreshed_at, refreshes[key].rows)
        else:
            found[key] = Freshness(None, 0)
    return found


def basket_keys() -> list[str]:
    return list(CostIndexBasket.objects.order_by("key").values_list("key", flat=True).distinct())


def basket_versions_current(keys: list[str], *, today: date) -> list[str]:
    """The version each basket key uses today (or its first, if it starts later)."""
    versions: dict[str, str] = {}
    for basket in CostIndexBasket.objects.filter(key__in=keys).order_by("key", "starts_on"):
        if basket.key not in versions or basket.starts_on <= today:
            versions[basket.key] = basket.version
    return [versions[key] for key in sorted(versions)]


def price_history(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], list[PriceVersion]]:
    """Every catalog version of the given (provider, model) pairs: the cost index input."""
    history: dict[tuple[str, str], list[PriceVersion]] = defaultdict(list)
    if not pairs:
        return history
    versions = ModelPrice.objects.filter(
        provider__in={provider for provider, _ in pairs},
        model__in={model for _, model in pairs},
    ).values_list(
        "provider", "model", "effective_from", "effective_to", "input_per_mtok", "output_per_mtok"
    )
    for provider, model, start, end, input_price, output_price in versions:
        if (provider, model) in pairs:
            history[(provider, model)].append(PriceVersion(start, end, input_price, output_price))
    return history


def community_rollups(
    *, since: datetime | None, before: datetime, dimensions: Sequence[str]
) -> QuerySet:
    """Consented daily rollup sums per organization, day and `dimensions`, in [since, before).

    An organization counts for a day only when it is opted in and the day starts at or
    after its opt-in (`community_opted_in_at`): usage from before consent is never read,
    nor test-key events (`livemode=False`).
    This grain, not the groups themselves, so the refresh knows which organizations stand
    behind any set of groups (k-anonymity needs it for the dropped ones taken together).
    Keys are `hour`, `organization_id`, `quality_scale` (the organization's declared
    scale of quality scores), the dimensions and `sum_<counter>` (UsageTotals).
    """
    rollups = DailyRollup.objects.filter(
        # Events sent with a test key are no one's real usage: never published.
        livemode=True,
        organization__community_data_opt_in=True,
        organization__community_opted_in_at__isnull=False,
        hour__gte=F("organization__community_opted_in_at"),
        hour__lt=before,
    )
    if since is not None:
        rollups = rollups.filter(hour__gte=since)
    return (
        rollups.values(
            "hour", "organization_id", *dimensions, quality_scale=F("organization__quality_scale")
        )
        .annotate(**{f"sum_{column}": Sum(column) for column in COUNTERS})
        .order_by()
    )


def _window(rows: QuerySet, start: date | None, end: date | None) -> QuerySet:
    if start:
        rows = rows.filter(date__gte=start)
    if end:
        rows = rows.filter(date__lte=end)
    return rows


def cost_index_rows(
    *, index_keys: list[str] | None, start: date | None, end: date | None, limit: int | None
) -> list[dict[str, Any]]:
    rows = _window(CostIndexPoint.objects.all(), start, end)
    if index_keys is not None:
        rows = rows.filter(index_key__in=index_keys)
    values = rows.order_by("date", "index_key").values("basket_version", *COST_INDEX.columns)
    return list(values[:limit] if limit is not None else values)


def community_rows(
    *, dimension: str | None, start: date | None, end: date | None, limit: int | None
) -> list[dict[str, Any]]:
    rows = _window(CommunityDaily.objects.all(), start, end)
    if dimension:
        rows = rows.filter(dimension=dimension)
    values = rows.order_by("date", "dimension", "dimension_value").values(*COMMUNITY.columns)
    return list(values[:limit] if limit is not None else values)


def model_rows(
    *, provider: str | None, active: bool | None, limit: int | None
) -> list[dict[str, Any]]:
    """The current catalog as published rows.

    MyTokenTracker's convention, followed exactly: every field is a number, never null, and
    0 means unknown or not set apart: a token limit the catalog lacks, a cache or reasoning
    price the provider does not charge separately (its reference rows give gpt-4 and
    gpt-3.5-turbo, which have no prompt caching, 0 cache prices, and o1/o3 0 reasoning).
    A base version has no start date (in effect since before the catalog's history): its
    effective_date is the day the catalog recorded it, as the reference's load-day dates.
    """
    prices = _current_prices(timezone.now())
    if provider:
        prices = prices.filter(provider=provider)
    if active is not None:
        prices = prices.filter(is_active=active)
    prices = prices.order_by("provider", "model").values_list(
        "provider",
        "model",
        "input_per_mtok",
        "output_per_mtok",
        "cache_read_per_mtok",
        "cache_write_per_mtok",
        "reasoning_per_mtok",
        "context_window",
        "max_output",
        "modality",
        "effective_from",
        "created_at",
        "source",
        "is_active",
    )
    if limit is not None:
        prices = prices[:limit]
    rows = []
    for (
        provider_id,
        model,
        input_price,
        output_price,
        cache_read,
        cache_write,
        reasoning,
        context_window,
        max_output,
        modality,
        effective_from,
        created_at,
        source,
        is_active,
    ) in prices:
        rows.append(
            {
                "provider": provider_id,
                "model": model,
                "input_per_mtok": input_price,
                "output_per_mtok": output_price,
                "cache_read_per_mtok": cache_read or UNKNOWN,
                "cache_write_per_mtok": cache_write or UNKNOWN,
                "reasoning_per_mtok": reasoning or UNKNOWN,
                "context_window": context_window or UNKNOWN,
                "max_output": max_output or UNKNOWN,
                "modality": modality,
                "effective_date": (effective_from or created_at).date(),
                "source": source,
                "is_active": is_active,
            }
        )
    return rows
