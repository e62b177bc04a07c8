"""CodingVibez reads: usage, timeseries, burn rate, analytics, tracking health.

Every number comes from the hourly rollups through `usage.selectors`; raw events are read
once per request, for the latest event time (one index lookup) that `dataFreshness` and
`lastUpdated` report.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.base import CodingVibezView
from tokentracker.api.codingvibez.bodies import freshness_label, provider_slug
from tokentracker.api.render import iso_or_none
from usage.selectors.dashboard import burn_rate
from usage.selectors.series import usage_series
from usage.selectors.usage import (
    GRANULARITIES,
    UsageScope,
    UsageTotals,
    event_latest_at,
    rollup_buffer,
    rollups_last_merged_at,
    rollups_set_aside,
    usage_by,
)

from . import params
from .schemas import (
    CodingVibezAnalytics,
    CodingVibezAnalyticsAverages,
    CodingVibezAnalyticsPoint,
    CodingVibezAnalyticsTotals,
    CodingVibezBuffer,
    CodingVibezBurnRate,
    CodingVibezBurnWindow,
    CodingVibezDayPoint,
    CodingVibezHealthProblem,
    CodingVibezModelTokens,
    CodingVibezRate,
    CodingVibezServiceRate,
    CodingVibezTimeseries,
    CodingVibezTimeseriesAggregations,
    CodingVibezTokens,
    CodingVibezTrackingHealth,
    enveloped,
    errors,
)
from .values import cost_of, iso, money, money_or_none, period_of

TAGS = ["codingvibez"]


def _date_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=f"{description} YYYY-MM-DD or ISO 8601.")


class FreshnessMixin:
    """`dataFreshness` and `lastUpdated`: how old the organization's latest event is."""

    organization_id: int

    def freshness(self) -> tuple[datetime | None, str]:
        latest = event_latest_at(self.organization_id)
        return latest, freshness_label(latest, timezone.now())


class TokensView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_tokens",
        summary="Token usage per provider and model over a billing period (CodingVibez)",
        description=(
            "Each `tokens` entry is one provider/model's totals over the period, costliest "
            "first: what a client charts as spend by model. Without dates the period is the "
            "current UTC month; with one date it is the month-long cycle from or to it."
        ),
        parameters=[
            _date_param("billingStartDate", "First day of the period."),
            _date_param("billingEndDate", "Last day of the period, inclusive."),
        ],
        responses={200: enveloped(CodingVibezTokens), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        window = params.billing_window(request)
        scope = UsageScope.covering(self.organization_id, window.start, window.end)
        latest, label = self.freshness()
        entries = [
            CodingVibezModelTokens(
                provider=keys["provider"],
                model=keys["model"],
                inputTokens=totals.prompt_tokens,
                outputTokens=totals.output_tokens,
                cachedTokens=totals.cache_read_tokens,
                totalTokens=totals.total_tokens,
                cost=cost_of(totals),
                requests=totals.events,
                unpricedRequests=totals.unpriced_events,
            )
            for keys, totals in usage_by(scope, "provider", "model")
        ]
        usage = CodingVibezTokens(
            tokens=entries,
            lastUpdated=iso_or_none(latest),
            dataFreshness=label,
            billingPeriod=period_of(scope),
        )
        return self.envelope(usage.model_dump())


def _sum(points: list[tuple[datetime, UsageTotals]]) -> UsageTotals:
    """Totals of a series, so a series and its totals cost one rollup query, not two."""
    return UsageTotals.combined(totals for _, totals in points)


def _elapsed(points: list[tuple[datetime, UsageTotals]]) -> int:
    """How many buckets the per-period averages divide by: each one that has started by now
    (the current, partly elapsed one counts as one whole period, since its usage so far is
    in the totals), plus any later one that already holds usage (ingest accepts events
    dated up to a day ahead). Buckets still wholly ahead and empty are not counted."""
    now = timezone.now()
    return sum(1 for bucket, totals in points if bucket < now or totals.events)


def _per(amount: int, count: int) -> float:
    return round(amount / count, 6) if count else 0.0


def _cost_per(totals: UsageTotals, count: int, *, times: int = 1) -> float | None:
    """The priced cost (x `times`) per `count`; null when every event is unpriced."""
    if totals.wholly_unpriced:
        return None
    return money(totals.cost * times / count) if count else 0.0


class TimeseriesView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_tokens_timeseries",
        summary="Daily tokens and cost (CodingVibez)",
        description=(
            "One point per UTC day, empty days as zeros. Default: the last 30 days. Daily "
            "averages divide by `daysElapsed`: days that have started (today counts whole)."
        ),
        parameters=[
            _date_param("startDate", "First day."),
            _date_param("endDate", "Last day, inclusive."),
        ],
        responses={200: enveloped(CodingVibezTimeseries), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        window = params.recent_window(request)
        params.points_check(window, "day")
        scope = UsageScope.covering(self.organization_id, window.start, window.end)
        points = usage_series(scope, "day")
        totals = _sum(points)
        elapsed = _elapsed(points)
        series = [
            CodingVibezDayPoint(
                date=day.date().isoformat(), totalTokens=t.total_tokens, cost=cost_of(t)
            )
            for day, t in points
        ]
        costliest = max(points, key=lambda point: point[1].cost, default=None)
        peak = None
        if costliest is not None and costliest[1].cost > 0:
            peak = series[points.index(costliest)]
        latest, label = self.freshness()
        timeseries = CodingVibezTimeseries(
            series=series,
            aggregations=CodingVibezTimeseriesAggregations(
                totalTokens=totals.total_tokens,
                totalCost=cost_of(totals),
                requests=totals.events,
                unpricedRequests=totals.unpriced_events,
                days=len(points),
                daysElapsed=elapsed,
                averageDailyTokens=_per(totals.total_tokens, elapsed),
                averageDailyCost=_cost_per(totals, elapsed),
                peakDay=peak,
            ),
            period=period_of(scope),
            lastUpdated=iso_or_none(latest),
            dataFreshness=label,
        )
        return self.envelope(timeseries.model_dump())


def _rate(totals: UsageTotals, hours: int) -> dict[str, float | int | None]:
    return {
        "tokensPerHour": _per(totals.total_tokens, hours),
        "costPerHour": _cost_per(totals, hours),
        "tokensPerDay": _per(totals.total_tokens * 24, hours),
        "costPerDay": _cost_per(totals, hours, times=24),
        "unpricedRequests": totals.unpriced_events,
    }


class BurnRateView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_tokens_burn_rate",
        summary="Tokens and cost per hour and per day (CodingVibez)",
        description=(
            "Totals of the last `hours` UTC hours, the current (partial) hour included, "
            "divided by `hours`; per day is per hour x 24. Rollups are hourly, so the "
            "window is whole hours, echoed as `window`."
        ),
        parameters=[
            OpenApiParameter("hours", int, description="1 to 720; default 24."),
            OpenApiParameter("service", str, description="Only this provider, e.g. openai."),
        ],
        responses={200: enveloped(CodingVibezBurnRate), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        hours = params.hours(request)
        service = params.service(request)
        burn_window = burn_rate(
            self.organization_id,
            now=timezone.now(),
            hours=hours,
            providers=(provider_slug(service),) if service else (),
        )
        by_service, totals = burn_window.by_provider, burn_window.totals
        latest, label = self.freshness()
        burn = CodingVibezBurnRate(
            burnRate=CodingVibezRate(**_rate(totals, hours)),
            byService={
                provider: CodingVibezServiceRate(
                    **_rate(t, hours),
                    totalTokens=t.total_tokens,
                    totalCost=cost_of(t),
                    requests=t.events,
                )
                for provider, t in by_service
            },
            window=CodingVibezBurnWindow(
                hours=hours, start=iso(burn_window.start), end=iso(burn_window.end)
            ),
            lastUpdated=iso_or_none(latest),
            dataFreshness=label,
        )
        return self.envelope(burn.model_dump())


class AnalyticsView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_analytics",
        summary="Cost, tokens and requests over time (CodingVibez)",
        description=(
            "One point per UTC bucket of `groupBy`, empty buckets as zeros; default: the "
            "last 30 days by day (by hour: today's 24 hours). Weeks start on Monday. The "
            "per-period averages divide by `averages.periodsElapsed`: the buckets that have "
            "started (the current one counts whole), not the ones still ahead of now."
        ),
        parameters=[
            _date_param("startDate", "First day."),
            _date_param("endDate", "Last day, inclusive."),
            OpenApiParameter("groupBy", str, enum=list(GRANULARITIES), description="Default day."),
        ],
        responses={200: enveloped(CodingVibezAnalytics), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        group_by = params.granularity(request)
        # Thirty days of hours is past the hourly series' limit: by hour, the default is today.
        window = params.recent_window(request, days=1 if group_by == "hour" else 30)
        params.points_check(window, group_by)
        scope = UsageScope.covering(self.organization_id, window.start, window.end)
        points = usage_series(scope, group_by)
        totals = _sum(points)
        buckets = _elapsed(points)
        latest, label = self.freshness()
        analytics = CodingVibezAnalytics(
            series=[
                CodingVibezAnalyticsPoint(
                    date=iso(bucket) if group_by == "hour" else bucket.date().isoformat(),
                    cost=cost_of(t),
                    tokens=t.total_tokens,
                    requests=t.events,
                )
                for bucket, t in points
            ],
            totals=CodingVibezAnalyticsTotals(
                cost=cost_of(totals),
                tokens=totals.total_tokens,
                requests=totals.events,
                inputTokens=totals.prompt_tokens,
                outputTokens=totals.output_tokens,
                cachedTokens=totals.cache_read_tokens,
                unpricedRequests=totals.unpriced_events,
            ),
            averages=CodingVibezAnalyticsAverages(
                costPerRequest=money_or_none(totals.priced_cost_per_event),
                tokensPerRequest=_per(totals.total_tokens, totals.events),
                costPerPeriod=_cost_per(totals, buckets),
                tokensPerPeriod=_per(totals.total_tokens, buckets),
                requestsPerPeriod=_per(totals.events, buckets),
                periodsElapsed=buckets,
            ),
            groupBy=group_by,
            period=period_of(scope),
            lastUpdated=iso_or_none(latest),
            dataFreshness=label,
        )
        return self.envelope(analytics.model_dump())


class TrackingHealthView(FreshnessMixin, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_tracking_health",
        summary="Is tracking keeping up? (CodingVibez)",
        description=(
            "`buffer` is our real one: events written but not yet merged into the hourly "
            "aggregates every read uses (they are never lost, only not yet counted), when a "
            "merge last ran, and `lagSeconds`, how long the oldest pending events (any "
            "organization's) have waited at most: the rollup lag `/api/health` judges. "
            "`errors` lists tracking problems: this organization's events pending while the "
            "lag is past HEALTH_ROLLUP_LAG_SECONDS (5 minutes by default; beat merges every "
            "10 s) means the worker or beat is down."
        ),
        responses={200: enveloped(CodingVibezTrackingHealth), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        pending, lag = rollup_buffer(self.organization_id, timezone.now())
        last_flush = rollups_last_merged_at()
        latest, label = self.freshness()
        problems = []
        overdue = settings.HEALTH_ROLLUP_LAG_SECONDS
        if pending and (lag.seconds is None or lag.seconds > overdue):
            problems.append(
                CodingVibezHealthProblem(
                    code="AGGREGATION_STALLED",
                    message=f"{pending} recorded events are not in the aggregates yet and no "
                    f"merge has run in the last {overdue} s; check the Celery worker and beat.",
                )
            )
        set_aside = rollups_set_aside(self.organization_id)
        if set_aside:
            problems.append(
                CodingVibezHealthProblem(
                    code="AGGREGATION_SET_ASIDE",
                    message=f"{set_aside} recorded events could not be added to the aggregates "
                    "(a sum out of range) and were set aside; an administrator can rebuild "
                    "the aggregates from the stored events.",
                )
            )
        if problems:
            status = "unhealthy"
        elif label in ("stale", "very_stale"):
            status = "degraded"
        else:
            status = "healthy"
        health = CodingVibezTrackingHealth(
            status=status,
            buffer=CodingVibezBuffer(
                size=pending,
                lastFlush=iso_or_none(last_flush),
                lagSeconds=None if lag.seconds is None else round(lag.seconds, 1),
            ),
            dataFreshness=label,
            lastUpdated=iso_or_none(latest),
            errors=problems,
        )
        return self.envelope(health.model_dump())
