"""Cost per UTC day of one slice of an organization's usage: what budgets and projections
(billing) count against a project, a set of providers, an API key or a developer.

Projects and providers are rollup dimensions, so those read the daily rollups. API keys
and developers are not (a rollup row per key or developer would multiply the rollups), so
those read raw events: one aggregate per budget and evaluation over at most a month and its
history, through the (organization, occurred_at) index, and for developers the partial
(organization, developer_id, occurred_at) one.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from ..models import DailyRollup, UsageEvent


@dataclass(frozen=True)
class DailyCost:
    """Priced cost of one UTC day in the reporting currency, and the events left out of it
    (no price, or no exchange rate): counted, never valued as 0."""

    cost: Decimal
    unpriced_events: int = 0


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def daily_costs(
    *,
    organization_id: int,
    start: date,
    end: date,
    providers: tuple[str, ...] = (),
    project: str | None = None,
) -> dict[date, DailyCost]:
    """Per UTC day of [start, end] (both included) with usage, from the daily rollups;
    narrowed to `providers` and/or one `project` when given. Days without usage are left
    out."""
    rows = DailyRollup.objects.filter(
        organization_id=organization_id,
        hour__gte=_midnight(start),
        hour__lt=_midnight(end + timedelta(days=1)),
    )
    if providers:
        rows = rows.filter(provider__in=providers)
    if project is not None:
        rows = rows.filter(project=project)
    grouped = rows.values("hour").annotate(cost=Sum("cost"), unpriced=Sum("unpriced_events"))
    return {
        row["hour"].astimezone(UTC).date(): DailyCost(
            cost=Decimal(row["cost"] or 0), unpriced_events=row["unpriced"] or 0
        )
        for row in grouped.order_by()
    }


def daily_costs_of_events(
    *,
    organization_id: int,
    start: date,
    end: date,
    api_key_id: int | None = None,
    developer_id: str | None = None,
) -> dict[date, DailyCost]:
    """Per UTC day of [start, end] with usage, from raw events: those sent with one API key
    and/or by one developer. Days without events are left out."""
    events: QuerySet[UsageEvent] = UsageEvent.objects.filter(
        organization_id=organization_id,
        occurred_at__gte=_midnight(start),
        occurred_at__lt=_midnight(end + timedelta(days=1)),
    )
    if api_key_id is not None:
        events = events.filter(api_key_id=api_key_id)
    if developer_id is not None:
        events = events.filter(developer_id=developer_id)
    grouped = (
        events.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day")
        .annotate(cost=Sum("total_cost"), unpriced=Count("id", filter=Q(total_cost__isnull=True)))
        .order_by()
    )
    return {
        row["day"]: DailyCost(cost=Decimal(row["cost"] or 0), unpriced_events=row["unpriced"])
        for row in grouped
    }


@dataclass(frozen=True)
class ProviderProjectDay:
    day: date
    provider: str
    project: str
    cost: DailyCost


def daily_costs_by_provider_and_project(
    *, organization_id: int, start: date, end: date
) -> list[ProviderProjectDay]:
    """The organization's usage per UTC day of [start, end], provider and project, from the
    daily rollups: one read that every organization, service and project scope of a page of
    budgets is cut from."""
    rows = (
        DailyRollup.objects.filter(
            organization_id=organization_id,
            hour__gte=_midnight(start),
            hour__lt=_midnight(end + timedelta(days=1)),
        )
        .values("hour", "provider", "project")
        .annotate(cost=Sum("cost"), unpriced=Sum("unpriced_events"))
        .order_by()
    )
    return [
        ProviderProjectDay(
            day=row["hour"].astimezone(UTC).date(),
            provider=row["provider"],
            project=row["project"],
            cost=DailyCost(cost=Decimal(row["cost"] or 0), unpriced_events=row["unpriced"] or 0),
        )
        for row in rows
    ]
