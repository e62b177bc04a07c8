"""Read-only browsing of UsageEvent in Django admin that stays cheap on a 10M-row table.

Three parts of a stock changelist read the whole event table on every page view:
the paginator's COUNT(*), the distinct values behind a plain `list_filter` on a text
column, and the date hierarchy's MIN/MAX and DISTINCT date_trunc queries (no index has
`occurred_at` first; the only one leads with the organization), and a stock search
(`UPPER(uuid::text) = ...` and `LIKE` on unindexed text). Here the count stops at
`usage.paging.CappedCountPaginator.CAP` rows, providers are listed from the daily rollups, the date
drill-down reads the daily rollups too (`usage_admin.rollup_date_hierarchy`), and search
goes through the UUID index or the rollups' names (`events_search`). The list itself is
one `ORDER BY occurred_at DESC, id DESC LIMIT 100` query that walks the `event_time`
index: fast for anything common among recent events; a filter that matches few events, or
only old ones, walks further (add the organization filter, which has an index).
bench/admin_events.py measures all of this on the generated dataset.
"""

import uuid
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest

from .models import DailyRollup


class ProviderFilter(admin.SimpleListFilter):
    """Providers that have events, from the daily rollups: a few thousand rows, where
    Django's AllValuesFieldListFilter would SELECT DISTINCT over every event."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        providers = DailyRollup.objects.values_list("provider", flat=True).distinct()
        return [(provider, provider) for provider in providers.order_by("provider")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(provider=value) if value else queryset


def events_search(queryset: QuerySet, term: str) -> QuerySet:
    """An event UUID finds that event through its unique index. Anything else is the start
    of a model or project name, resolved against the daily rollups first: the events are
    then filtered on exact names, and a term that names nothing returns at once instead of
    scanning every event to find no match (neither column is indexed on its own)."""
    term = term.strip()
    if not term:
        return queryset
    try:
        return queryset.filter(uuid=uuid.UUID(term))
    except ValueError:
        pass
    models = set(
        DailyRollup.objects.filter(model__istartswith=term).values_list("model", flat=True)
    )
    projects = set(
        DailyRollup.objects.filter(project__istartswith=term).values_list("project", flat=True)
    )
    if not models and not projects:
        return queryset.none()
    return queryset.filter(Q(model__in=models) | Q(project__in=projects))


def rollup_days(changelist: ChangeList) -> QuerySet:
    """The daily rollup rows matching the changelist's organization, provider and outcome
    filters and its date drill-down, with the day as `occurred_at` so Django's own date
    hierarchy code can read them in place of events. A day is listed when it has any event
    of those filters (the cost source is not in the rollups, so it does not narrow days)."""
    params = changelist.params
    rows = DailyRollup.objects.all()
    narrowing = {
        "organization__id__exact": "organization_id",
        "provider": "provider",
        "outcome__exact": "outcome",
    }
    for param, column in narrowing.items():
        value = params.get(param)
        if isinstance(value, list):
            value = value[-1]
        if value:
            rows = rows.filter(**{column: value})
    for part in ("year", "month", "day"):
        value = params.get(f"occurred_at__{part}")
        if isinstance(value, list):
            value = value[-1]
        if value:
            rows = rows.filter(**{f"hour__{part}": value})
    return rows.annotate(occurred_at=F("hour")).order_by()


class RollupDatesChangeList:
    """A changelist as Django's `date_hierarchy` sees it, with the rollups as its rows."""

    def __init__(self, changelist: ChangeList) -> None:
        self._changelist = changelist
        self.queryset = rollup_days(changelist)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._changelist, name)
