"""Refreshing the materialised open datasets (Celery beat daily, `refresh_open_data`).

The cost index is recomputed whole in one transaction: it comes from the public price
history, so a reader never sees half a series and a corrected price shows on its date.
The community dataset is append-only: a refresh computes only the whole UTC days not yet
published and adds them; a published day is never recomputed, so opting in or out changes
no published number (the difference of two versions of a day would be exactly the
organizations that joined or left). Community rows come from the daily rollups, never
from raw events.
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
from usage.selectors.usage import UsageTotals

from . import selectors
from .community import (
    DIMENSIONS,
    UNSPECIFIED,
    Cell,
    Group,
    day_groups,
    groups_publishable,
    quality_on_published_scale,
)
from .cost_index import closing_price, index_day
from .datasets import COMMUNITY, COST_INDEX
from .models import (
    CommunityDaily,
    CostIndexBasket,
    CostIndexConstituent,
    CostIndexPoint,
    DatasetRefresh,
)

COST_QUANTUM = Decimal("0.000001")


def _dataset_refresh_locked(dataset: str) -> DatasetRefresh:
    """The dataset's refresh record, locked until the transaction ends: refreshes of one
    dataset (a beat run and a manual one) run one at a time instead of colliding."""
    DatasetRefresh.objects.get_or_create(
        dataset=dataset, defaults={"refreshed_at": timezone.now(), "rows": 0}
    )
    return DatasetRefresh.objects.select_for_update().get(dataset=dataset)


def _dataset_replace(*, dataset: str, model: type[Model], rows: list[Model]) -> None:
    """Swap a dataset's rows in one transaction, refreshes of one dataset one at a time."""
    with transaction.atomic():
        refresh = _dataset_refresh_locked(dataset)
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


def _community_row(day: date, key: tuple[str, str], group: Group) -> CommunityDaily:
    totals = group.totals
    quality = totals.quality_average
    latency = totals.average_latency_ms
    return CommunityDaily(
        date=day,
        dimension=key[0],
        dimension_value=key[1],
        events=totals.events,
        tokens=totals.total_tokens,
        cost=totals.cost.quantize(COST_QUANTUM),
        contributors=group.contributors,
        success=totals.success_count,
        quality_avg=None if quality is None else round(quality, 6),
        latency_avg_ms=None if latency is None else round(latency),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def community_days(*, first: date | None, last: date) -> list[CommunityDaily]:
    """The publishable rows of the days `first` (None: the earliest consented) to `last`."""
    k = settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS
    per_organization = selectors.community_rollups(
        since=_midnight(first) if first else None,
        before=_midnight(last + timedelta(days=1)),
        dimensions=DIMENSIONS,
    )
    cells: dict[date, list[Cell]] = defaultdict(list)
    for sums in per_organization:
        values = tuple(sums[column] or UNSPECIFIED for column in DIMENSIONS)
        day = sums["hour"].astimezone(UTC).date()
        totals = quality_on_published_scale(UsageTotals.from_row(sums), sums["quality_scale"])
        cells[day].append(Cell(sums["organization_id"], values, totals))
    return [
        _community_row(day, key, group)
        for day in sorted(cells)
        for key, group in groups_publishable(day_groups(cells[day]), k).items()
    ]


def community_refresh(*, today: date | None = None, rebuild: bool = False) -> int:
    """Publish the community days not published yet, up to yesterday (UTC); returns the
    number of rows added.

    Today's numbers are still growing, so only whole days before `today` are computed, each
    once: rollups that arrive for a day after it was published stay out of it. Which groups
    of a day are published is `opendata.community.groups_publishable`; which organizations
    count, `opendata.selectors.community_rollups` (opted in, from the day after consent).

    `rebuild` (the `refresh_open_data --rebuild` command, never beat) withdraws every
    published day and recomputes the whole history with today's opt-ins. It is for an
    operator correcting a mistake (a wrong k, a bug): the old and new versions of a day
    differ by the organizations that opted out since, so it republishes what this append-only
    design otherwise never reveals.
    """
    today = today or timezone.now().date()
    last = today - timedelta(days=1)
    with transaction.atomic():
        refresh = _dataset_refresh_locked(COMMUNITY.key)
        if rebuild:
            CommunityDaily.objects.all().delete()
            refresh.published_through = None
        through = refresh.published_through
        rows = []
        if through is None or through < last:
            first = through + timedelta(days=1) if through else None
            rows = community_days(first=first, last=last)
            CommunityDaily.objects.bulk_create(rows, batch_size=1000)
            refresh.published_through = last
        refresh.refreshed_at = timezone.now()
        refresh.rows = CommunityDaily.objects.count()
        refresh.save(update_fields=["refreshed_at", "rows", "published_through"])
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
