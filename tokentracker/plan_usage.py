"""Reads of an organization's plan and how much of its quotas it has used."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from .models import DailyEventCount, MonthlyLiveEventCount, Organization, Plan
from .ratelimit import rate_limit_peek

# The API surfaces counted against the plan's hourly limit
# (tokentracker.api.ratelimit.PlanRateLimited.rate_limit_scope), with the name the page
# shows: Tokenwise's reads (its seed documents the limits; observe is not counted). A
# surface listed here without a limiter behind it would always read 0. CodingVibez's
# per-minute budgets (MinuteRateLimited) show their limits only (PlanUsage.per_minute).
RATE_LIMITED_SURFACES = (("tokenwise", "Tokenwise"),)


@dataclass(frozen=True)
class HourlyRequests:
    surface: str
    count: int | None  # None: the cache cannot be read, so the count is unknown


@dataclass(frozen=True)
class PlanUsage:
    plan: Plan
    today: date
    events_today: int
    month: date
    live_events_this_month: int
    hourly: list[HourlyRequests]

    @property
    def per_minute(self) -> list[tuple[str, int]]:
        """CodingVibez's per-minute budgets: shown as limits only, since a minute's count
        is gone before the page is read."""
        plan = self.plan
        return [
            ("reads (GET)", plan.reads_per_minute),
            ("writes (POST, ...)", plan.writes_per_minute),
            ("syncs (/api/sync*)", plan.syncs_per_minute),
            ("receipt uploads", plan.uploads_per_minute),
        ]

    @property
    def daily_share(self) -> float:
        limit = self.plan.daily_event_limit
        return self.events_today / limit if limit else 0.0


def plan_usage(organization: Organization, *, now: datetime) -> PlanUsage:
    """Today's events against the daily quota, this month's live carbon-llm events against
    the free allowance, and this hour's API requests (two queries, two cache reads)."""
    today = now.astimezone(UTC).date()
    month = today.replace(day=1)
    events_today = (
        DailyEventCount.objects.filter(organization_id=organization.pk, day=today)
        .values_list("events", flat=True)
        .first()
    )
    live = (
        MonthlyLiveEventCount.objects.filter(organization_id=organization.pk, month=month)
        .values_list("events", flat=True)
        .first()
    )
    hourly = [
        HourlyRequests(label, rate_limit_peek(scope=scope, subject=str(organization.pk), now=now))
        for scope, label in RATE_LIMITED_SURFACES
    ]
    return PlanUsage(organization.plan, today, events_today or 0, month, live or 0, hourly)
