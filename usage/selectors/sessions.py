"""Sessions: a developer's day per session (carbon-llm's
`GET /api/v1/session/{developer_id}/today`), the sessions list (from the session summaries)
and one session's requests in time order with running totals (from raw events)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.utils import timezone

from ..models import Outcome, SessionSummary, UsageEvent


@dataclass(frozen=True)
class SessionDay:
    session_id: str
    prompt_tokens: int
    completion_tokens: int
    co2e_grams: Decimal
    model: str | None
    started_at: datetime
    last_activity: datetime


@dataclass(frozen=True)
class DeveloperDay:
    developer_id: str
    co2e_grams: Decimal
    prompts: int
    tokens: int
    top_model: str | None
    sessions: list[SessionDay] = field(default_factory=list)


def developer_today(
    *, organization_id: int, developer_id: str, now: datetime | None = None
) -> DeveloperDay:
    """The developer's events of the current UTC day, per session and in total.

    Reads raw events (developer and session are not rollup dimensions) through a partial
    index on (organization, developer_id, occurred_at): one developer's day is a few
    hundred rows at most.
    """
    now = now or timezone.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    events = UsageEvent.objects.filter(
        organization_id=organization_id,
        developer_id=developer_id,
        occurred_at__gte=start,
        occurred_at__lt=start + timedelta(days=1),
    )
    groups = list(
        events.values("session_id", "model")
        .annotate(
            prompts=Count("id"),
            # The whole prompt, not input_tokens as reported (Anthropic's leaves cache reads
            # and writes out), so that prompt + completion is the day's total_tokens.
            prompt_tokens=Sum(
                F("uncached_input_tokens") + F("cache_read_tokens") + F("cache_write_tokens")
            ),
            completion_tokens=Sum("output_tokens"),
            tokens=Sum("total_tokens"),
            co2e=Sum("co2e_grams"),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
        .order_by("session_id", "model")
    )
    by_model: Counter[str] = Counter()
    sessions: dict[str, dict] = {}
    for group in groups:
        by_model[group["model"]] += group["prompts"]
        if not group["session_id"]:
            continue
        session = sessions.setdefault(
            group["session_id"],
            {
                "prompt": 0,
                "completion": 0,
                "co2e": Decimal(0),
                "models": Counter(),
                "first": group["first"],
                "last": group["last"],
            },
        )
        session["prompt"] += group["prompt_tokens"]
        session["completion"] += group["completion_tokens"]
        session["co2e"] += group["co2e"] or Decimal(0)
        session["models"][group["model"]] += group["prompts"]
        session["first"] = min(session["first"], group["first"])
        session["last"] = max(session["last"], group["last"])
    rows = [
        SessionDay(
            session_id=session_id,
            prompt_tokens=values["prompt"],
            completion_tokens=values["completion"],
            co2e_grams=values["co2e"],
            model=_most_common(values["models"]),
            started_at=values["first"],
            last_activity=values["last"],
        )
        for session_id, values in sessions.items()
    ]
    rows.sort(key=lambda row: row.last_activity, reverse=True)
    return DeveloperDay(
        developer_id=developer_id,
        co2e_grams=sum((g["co2e"] or Decimal(0) for g in groups), Decimal(0)),
        prompts=sum(g["prompts"] for g in groups),
        tokens=sum(g["tokens"] for g in groups),
        top_model=_most_common(by_model),
        sessions=rows,
    )


def _most_common(counts: Counter[str]) -> str | None:
    if not counts:
        return None
    # Ties go to the alphabetically first model, so the answer does not depend on row order.
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


# The sessions list's orders, every one largest (or latest) first; ties by last activity.
SESSION_SORTS = {
    "last": "Last activity",
    "cost": "Cost",
    "events": "Requests",
    "tokens": "Tokens",
    "duration": "Duration",
}
_SORT_COLUMNS = {
    "last": "last_at",
    "cost": "cost",
    "events": "events",
    "tokens": "total_tokens",
    "duration": "duration",
}
SESSION_ID_MAX_LENGTH = SessionSummary._meta.get_field("session_id").max_length


def sessions_list(
    *,
    organization_id: int,
    start: datetime,
    end: datetime,
    sort: str = "last",
    developer_id: str = "",
    livemode: bool = True,
) -> QuerySet[SessionSummary]:
    """The organization's sessions active in [start, end) (some event in it), sorted; each
    row sums the whole session, not just its part in the window. Live sessions unless
    `livemode` is False (test-key sessions). Reads the summaries: one row per session
    through the (organization, livemode, last_at) index, whatever the event count."""
    sessions = SessionSummary.objects.filter(
        organization_id=organization_id, livemode=livemode, last_at__gte=start, first_at__lt=end
    )
    if developer_id:
        sessions = sessions.filter(developer_id=developer_id)
    column = _SORT_COLUMNS[sort]
    if column == "duration":
        sessions = sessions.annotate(duration=F("last_at") - F("first_at"))
    return sessions.order_by(f"-{column}", "-last_at", "session_id")


@dataclass(frozen=True)
class SessionOverview:
    session_id: str
    livemode: bool
    developer_id: str
    first_at: datetime
    last_at: datetime
    events: int
    total_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost: Decimal
    unpriced_events: int
    co2e_grams: Decimal
    errors: int
    models: list[str]

    @property
    def duration(self) -> timedelta:
        return self.last_at - self.first_at


def _session_events(organization_id: int, session_id: str, livemode: bool) -> QuerySet:
    return UsageEvent.objects.filter(
        organization_id=organization_id, livemode=livemode, session_id=session_id
    )


def session_overview(
    *, organization_id: int, session_id: str, livemode: bool = True
) -> SessionOverview | None:
    """One session's totals, developer, times and models, from its raw events (what the
    page lists, so the totals and the running sums agree); None if it has no event."""
    if not session_id or len(session_id) > SESSION_ID_MAX_LENGTH or "\x00" in session_id:
        return None
    events = _session_events(organization_id, session_id, livemode)
    totals = events.aggregate(
        events=Count("id"),
        priced=Count("total_cost"),
        first_at=Min("occurred_at"),
        last_at=Max("occurred_at"),
        total_tokens=Sum("total_tokens"),
        cache_read_tokens=Sum("cache_read_tokens"),
        cache_write_tokens=Sum("cache_write_tokens"),
        cost=Sum("total_cost"),
        co2e_grams=Sum("co2e_grams"),
        errors=Count("id", filter=Q(outcome=Outcome.ERROR)),
    )
    if not totals["events"]:
        return None
    developer = (
        events.exclude(developer_id="")
        .order_by("occurred_at", "developer_id")
        .values_list("developer_id", flat=True)
        .first()
    )
    models = sorted(set(events.values_list("model", flat=True).distinct().order_by()))
    return SessionOverview(
        session_id=session_id,
        livemode=livemode,
        developer_id=developer or "",
        first_at=totals["first_at"],
        last_at=totals["last_at"],
        events=totals["events"],
        total_tokens=totals["total_tokens"] or 0,
        cache_read_tokens=totals["cache_read_tokens"] or 0,
        cache_write_tokens=totals["cache_write_tokens"] or 0,
        cost=totals["cost"] or Decimal(0),
        unpriced_events=totals["events"] - totals["priced"],
        co2e_grams=totals["co2e_grams"] or Decimal(0),
        errors=totals["errors"],
        models=models,
    )


def session_requests(
    *, organization_id: int, session_id: str, livemode: bool = True
) -> QuerySet[UsageEvent]:
    """The session's requests in time order, each with the running (cumulative) cost,
    tokens and unpriced count up to and including it. Computed by window functions over
    the whole session before any LIMIT/OFFSET, so a page's running sums count every
    earlier page; (occurred_at, id) is unique, so no two rows share a running sum."""
    order = [F("occurred_at").asc(), F("id").asc()]
    return (
        _session_events(organization_id, session_id, livemode)
        .annotate(
            running_cost=Window(Sum("total_cost"), order_by=order),
            running_tokens=Window(Sum("total_tokens"), order_by=order),
            running_unpriced=Window(
                Sum(
                    Case(
                        When(total_cost__isnull=True, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                ),
                order_by=order,
            ),
        )
        .order_by("occurred_at", "id")
    )
