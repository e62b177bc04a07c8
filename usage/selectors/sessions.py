"""A developer's day, per session (carbon-llm's `GET /api/v1/session/{developer_id}/today`)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Sum
from django.utils import timezone

from ..models import UsageEvent


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
