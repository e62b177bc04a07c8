"""Rebuilding the materialised open datasets (Celery beat daily, `refresh_open_data`).

Each refresh recomputes its whole table in one transaction, so it is idempotent, a reader
never sees half a dataset, and an organization that opts out disappears from every day at
the next refresh. Community rows come from the daily rollups, never from raw events.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from usage.models import ModelPrice
from usage.selectors import UsageTotals

from . import selectors
from .community import Group, groups_publishable
from .cost_index import closing_price, index_day
from .datasets import COMMUNITY, COST_INDEX
from .models import (
    CommunityDaily,
    CommunityDimension,
    CostIndexBasket,
    CostIndexConstituent,
    CostIndexPoint,
    DatasetRefresh,
)

COST_QUANTUM = Decimal("0.000001")
UNSPECIFIED = "unspecified"
TOTAL_VALUE = "all"
DIMENSION_COLUMNS = ("provider", "model", "platform", "use_case")


def _dataset_replace(*, dataset: str, model: type[Model], rows: list[Model]) -> None:
    """Swap a dataset's rows in one transaction, refreshes of one dataset one at a time.

    Locking the dataset's refresh record first serializes a beat run and a manual one:
    otherwise both would delete the old rows and the second insert would collide.
    """
    with transaction.atomic():
        DatasetRefresh.objects.get_or_create(
            dataset=dataset, defaults={"refreshed_at": timezone.now(), "rows": 0}
        )
        refresh = DatasetRefresh.objects.select_for_update().get(dataset=dataset)
        model.objects.all().delete()
        model.objects.bulk_create(rows, batch_size=1000)
        refresh.refreshed_at = timezone.now()
        refresh.rows = len(rows)
        refresh.save(update_fields=["refreshed_at", "rows"])


def cost_index_refresh(*, today: date | None = None) -> int:
    """Recompute every index, every day from each basket version's start to `today`."""
    today = today or timezone.now().date()
    baskets = list(CostIndexBasket.objects.order_by("key", "starts_on"))
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for basket_id, provider, model in CostIndexConstituent.objects.values_list(
        "basket_id", "provider", "model"
    ):
        members[basket_id].append((provider, model))
    history = selectors.price_history({pair for pairs in members.values() for pair in pairs})

    points: list[CostIndexPoint] = []
    for key, group in groupby(baskets, key=lambda basket: basket.key):
        versions = list(group)
        for position, basket in enumerate(versions):
            following = versions[position + 1].starts_on if position + 1 < len(versions) else None
            last = min(today, following - timedelta(days=1)) if following else today
            day = basket.starts_on
            while day <= last:
                computed = index_day(
                    closing_price(history.get(pair, []), day) for pair in members[basket.id]
                )
                if computed is not None:
                    points.append(
                        CostIndexPoint(
                            index_key=key,
                            date=day,
                            basket_version=basket.version,
                            blended_per_mtok=computed.blended_per_mtok,
                            input_per_mtok=computed.input_per_mtok,
                            output_per_mtok=computed.output_per_mtok,
                            constituents=computed.constituents,
                        )
                    )
                day += timedelta(days=1)

    _dataset_replace(dataset=COST_INDEX.key, model=CostIndexPoint, rows=points)
    return len(points)


def _community_row(day: date, dimension: str, value: str, group: Group) -> CommunityDaily:
    totals = group.totals
    quality = totals.quality_average
    latency = totals.average_latency_ms
    return CommunityDaily(
        date=day,
        dimension=dimension,
        dimension_value=value,
        events=totals.events,
        tokens=totals.total_tokens,
        cost=totals.cost.quantize(COST_QUANTUM),
        contributors=group.contributors,
        success=totals.success_count,
        quality_avg=None if quality is None else round(quality, 6),
        latency_avg_ms=None if latency is None else round(latency),
    )


def community_refresh(*, today: date | None = None) -> int:
    """Recompute the community dataset from the daily rollups of opted-in organizations.

    Only whole days before `today` (UTC) are published: today's numbers are still growing.
    Which groups are published is `opendata.community.groups_publishable`: at least k
    organizations behind each (k: `OPENDATA_COMMUNITY_MIN_CONTRIBUTORS`), and none
    recoverable by subtracting the published groups from the day's total.
    """
    today = today or timezone.now().date()
    k = settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS
    per_organization = selectors.community_rollups(
        before=datetime.combine(today, time.min, tzinfo=UTC), dimensions=DIMENSION_COLUMNS
    )
    days: dict[tuple[date, str], dict[str, Group]] = defaultdict(lambda: defaultdict(Group))
    for sums in per_organization:
        day = sums["hour"].astimezone(UTC).date()
        organization_id = sums["organization_id"]
        totals = UsageTotals.from_row(sums)
        days[(day, CommunityDimension.TOTAL)][TOTAL_VALUE].add(organization_id, totals)
        for column in DIMENSION_COLUMNS:
            value = sums[column] or UNSPECIFIED
            days[(day, column)][value].add(organization_id, totals)

    rows = [
        _community_row(day, dimension, value, group)
        for (day, dimension), groups in sorted(days.items())
        for value, group in sorted(groups_publishable(groups, k).items())
    ]
    _dataset_replace(dataset=COMMUNITY.key, model=CommunityDaily, rows=rows)
    return len(rows)


def datasets_refresh(*, today: date | None = None) -> dict[str, int]:
    """Every materialised dataset; the models dataset reads the catalog and needs none."""
    return {
        COST_INDEX.key: cost_index_refresh(today=today),
        COMMUNITY.key: community_refresh(today=today),
    }


# Catalog models that existed by the baskets' start day and that genai-prices prices; only
# those present in the installed catalog are used. o3's June 2025 price cut and
# mistral-small's March 2026 rise show in the series on their dates.
DEFAULT_BASKETS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "frontier": (
        "Frontier models: the flagship model of each major provider.",
        [
            ("openai", "gpt-4o"),
            ("openai", "gpt-4.1"),
            ("openai", "o3"),
            ("anthropic", "claude-sonnet-4-0"),
            ("google", "gemini-2.5-pro"),
        ],
    ),
    "budget": (
        "Budget models: the small, cheap model of each major provider.",
        [
            ("openai", "gpt-4o-mini"),
            ("openai", "gpt-4.1-nano"),
            ("anthropic", "claude-3-haiku"),
            ("google", "gemini-2.0-flash"),
            ("mistral", "mistral-small-latest"),
        ],
    ),
}
DEFAULT_BASKETS_START = date(2025, 6, 1)


def baskets_seed_defaults() -> int:
    """Create the `frontier` and `budget` baskets (v1) when no basket exists yet."""
    if CostIndexBasket.objects.exists():
        return 0
    catalog = set(ModelPrice.objects.values_list("provider", "model").distinct())
    created = 0
    with transaction.atomic():
        for key, (description, models) in DEFAULT_BASKETS.items():
            present = [pair for pair in models if pair in catalog]
            if not present:
                continue
            basket = CostIndexBasket.objects.create(
                key=key, version="v1", starts_on=DEFAULT_BASKETS_START, description=description
            )
            CostIndexConstituent.objects.bulk_create(
                CostIndexConstituent(basket=basket, provider=provider, model=model)
                for provider, model in present
            )
            created += 1
    return created
