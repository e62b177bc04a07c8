"""Reads of the dashboard pages, built on the same rollup selectors as the API.

Every figure here is a `UsageTotals` from `usage.selectors`; this module only chooses the
windows (the month so far, last month, the last 24 hours) and groups one read several ways
so a page costs a handful of rollup queries whatever the event count.
"""

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.paginator import Page
from django.db.models import QuerySet

from tokentracker.crypto import DecryptionFailed, json_decrypt

from ..models import Eval, RequestPayload, UsageEvent
from ..paging import CappedCountPaginator, statement_timeout
from .series import usage_series
from .usage import UsageScope, UsageTotals, event_latest_at, hour_ceil, usage_by

# Explorer breakdown tables, in the order the page shows them.
BREAKDOWN_DIMENSIONS = ("model", "provider", "endpoint", "project", "status", "platform")
TOP_ROWS = 5
DEFAULT_BURN_HOURS = 24


def months_later(moment: datetime, months: int) -> datetime:
    """The same day `months` on, or the month's last day when it has no such day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def month_start(moment: datetime) -> datetime:
    """Midnight UTC on the first of `moment`'s UTC calendar month."""
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class BurnRate:
    """Spend and tokens of the last `hours` whole UTC hours (the current one included)."""

    hours: int
    start: datetime
    end: datetime
    totals: UsageTotals
    by_provider: list[tuple[str, UsageTotals]]

    @property
    def cost_per_hour(self) -> Decimal | None:
        """The priced spend per hour; None when every event of the window is unpriced."""
        cost = self.totals.priced_cost
        return None if cost is None else cost / self.hours

    @property
    def cost_per_day(self) -> Decimal | None:
        cost = self.totals.priced_cost
        return None if cost is None else cost * 24 / self.hours


def burn_rate(
    organization_id: int,
    *,
    now: datetime,
    hours: int = DEFAULT_BURN_HOURS,
    providers: Sequence[str] = (),
    livemode: bool | None = None,
) -> BurnRate:
    """CodingVibez's burn rate: the window ends at the end of the current hour, so the
    partial hour counts, and per hour is the window's totals divided by `hours`."""
    end = hour_ceil(now)
    scope = UsageScope(
        organization_id,
        end - timedelta(hours=hours),
        end,
        providers=tuple(providers),
        livemode=livemode,
    )
    by_provider = [(keys["provider"], totals) for keys, totals in usage_by(scope, "provider")]
    totals = UsageTotals.combined(totals for _, totals in by_provider)
    return BurnRate(hours, scope.start, scope.end, totals, by_provider)


@dataclass(frozen=True)
class Overview:
    """The overview's window (this month so far unless a preset or dates say otherwise)
    against its previous period. The names keep the default's words: `month` is the
    window's totals, `last_month` the previous period's."""

    month_start: datetime
    month_end: datetime  # exclusive: the window's end, or the end of the current hour
    last_month_start: datetime
    month: UsageTotals
    last_month: UsageTotals
    by_model: list[tuple[dict[str, str], UsageTotals]]
    by_provider: list[tuple[str, UsageTotals]]
    daily: list[tuple[datetime, UsageTotals]]
    burn: BurnRate
    has_events: bool
    last_month_end: datetime | None = None
    # The previous period's days (None: not compared), beside `daily` by offset.
    previous_daily: list[tuple[datetime, UsageTotals]] | None = None
    # The previous period by provider and model (None: not compared), for the top tables.
    previous_by_model: list[tuple[dict[str, str], UsageTotals]] | None = None

    @property
    def top_models(self) -> list[tuple[dict[str, str], UsageTotals]]:
        return self.by_model[:TOP_ROWS]

    @property
    def top_providers(self) -> list[tuple[str, UsageTotals]]:
        return self.by_provider[:TOP_ROWS]

    @property
    def previous_by_provider(self) -> list[tuple[str, UsageTotals]] | None:
        if self.previous_by_model is None:
            return None
        return _fold(self.previous_by_model, "provider")


def _fold(
    rows: list[tuple[dict[str, str], UsageTotals]], dimension: str
) -> list[tuple[str, UsageTotals]]:
    """Rows grouped by several dimensions, regrouped by one of them, costliest first."""
    groups: dict[str, list[UsageTotals]] = {}
    for keys, totals in rows:
        groups.setdefault(keys[dimension], []).append(totals)
    folded = [(value, UsageTotals.combined(parts)) for value, parts in groups.items()]
    folded.sort(key=lambda item: (-item[1].cost, -item[1].events, item[0]))
    return folded


def overview_read(
    organization_id: int,
    *,
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
    previous: tuple[datetime, datetime] | None = None,
    zone: tzinfo = UTC,
    livemode: bool | None = None,
) -> Overview:
    """The window so far against its previous period (`usage.selectors.periods`), top
    models and providers, daily spend (local days of `zone`), and the burn rate. One
    grouped read of the window serves its totals, models and providers, and one of the
    previous period its totals and the top tables' previous figures. Without `window`:
    the UTC month so far against the whole of last month; with a window and no
    `previous`, no comparison (the previous totals are zero and `previous_daily` None).
    `livemode` narrows every figure to live or test events (None: both)."""
    if window is None:
        start = month_start(now)
        end = hour_ceil(now)
        previous = (months_later(start, -1), start)
    else:
        # A window still running counts up to the end of this hour: its chart stops today.
        start, end = window[0], min(window[1], max(window[0], hour_ceil(now)))
    last_start, last_end = previous if previous else (start, start)
    month = UsageScope(organization_id, start, end, livemode=livemode)
    by_model = usage_by(month, "provider", "model")
    last_scope = UsageScope(organization_id, last_start, last_end, livemode=livemode)
    # Grouped as the window is: the same one read gives the totals and the rows' figures.
    previous_by_model = usage_by(last_scope, "provider", "model") if previous else None
    last_month = UsageTotals.combined(totals for _, totals in previous_by_model or [])
    month_totals = UsageTotals.combined(totals for _, totals in by_model)
    # Only an organization quiet for two months pays for the look-up of any event at all.
    has_events = bool(month_totals.events or last_month.events) or (
        event_latest_at(organization_id) is not None
    )
    return Overview(
        month_start=start,
        month_end=month.end,
        last_month_start=last_start,
        month=month_totals,
        last_month=last_month,
        by_model=by_model,
        by_provider=_fold(by_model, "provider"),
        daily=usage_series(month, "day", zone),
        burn=burn_rate(organization_id, now=now, livemode=livemode),
        has_events=has_events,
        last_month_end=last_end,
        previous_daily=usage_series(last_scope, "day", zone)
        if previous and window is not None
        else None,
        previous_by_model=previous_by_model,
    )


def usage_by_co2e(scope: UsageScope, *dimensions: str) -> list[tuple[dict[str, str], UsageTotals]]:
    """`usage_by`, largest CO2e first: what the carbon page ranks by."""
    rows = usage_by(scope, *dimensions)
    rows.sort(key=lambda item: -item[1].co2e_grams)  # stable: ties keep usage_by's order
    return rows


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    rows: list[tuple[str, UsageTotals]]
    # The rows beside the previous period's (`usage.selectors.periods.rows_compared`): what
    # the page shows; set by the view, which knows the previous period.
    compared: list[tuple[str, UsageTotals, Any]] = field(default_factory=list)


def usage_breakdowns(
    scope: UsageScope, dimensions: Sequence[str] = BREAKDOWN_DIMENSIONS
) -> tuple[UsageTotals, list[Breakdown]]:
    """The scope's totals and one table per dimension, from a single grouped rollup read
    (a read per dimension would scan the same rows five times)."""
    rows = usage_by(scope, *dimensions)
    totals = UsageTotals.combined(totals for _, totals in rows)
    return totals, [Breakdown(dimension, _fold(rows, dimension)) for dimension in dimensions]


def series_points(points: list[tuple[datetime, UsageTotals]], granularity: str) -> list[dict]:
    """A series as the chart script reads it (json_script): plain numbers, labels in UTC."""
    label = "%Y-%m-%d %H:%M" if granularity == "hour" else "%Y-%m-%d"
    return [
        {
            "label": bucket.strftime(label),
            "cost": float(totals.cost),
            "unpriced": totals.unpriced_events,
            "events": totals.events,
            "tokens": totals.total_tokens,
            "co2e_grams": float(totals.co2e_grams),
            "energy_wh": float(totals.energy_wh),
        }
        for bucket, totals in points
    ]


def log_page(events: QuerySet, *, page: int, per_page: int, timeout_ms: int) -> Page:
    """One page of log rows (from `logs.log_events`) as dicts with the uuid the
    request detail page is linked by. Two queries: the count (capped, see `usage.paging`)
    and the rows, read here under a statement timeout. Raises `EmptyPage` past the last
    page, or past the cap, and `ReadTimedOut` past the timeout (PostgreSQL)."""
    rows = events.values(
        "uuid",
        "occurred_at",
        "provider",
        "model",
        "endpoint",
        "project",
        "log_prompt_tokens",
        "output_tokens",
        "total_tokens",
        "total_cost",
        "latency_ms",
        "outcome",
        "co2e_grams",
    )
    with statement_timeout(timeout_ms):
        result = CappedCountPaginator(rows, per_page).page(page)
        result.object_list = list(result.object_list)
    return result


@dataclass(frozen=True)
class StoredPayload:
    """A request's stored bodies as indented JSON text, or why they cannot be shown."""

    input_text: str | None
    output_text: str | None
    problem: str | None = None


@dataclass(frozen=True)
class RequestDetail:
    event: UsageEvent
    payload: StoredPayload | None
    evals: list[Eval]

    @property
    def output_without_reasoning(self) -> int:
        # output_tokens includes reasoning (usage.pricing); the page lists the parts apart.
        return self.event.output_tokens - self.event.reasoning_tokens

    @property
    def metadata_text(self) -> str | None:
        metadata = self.event.metadata
        return None if metadata is None else json.dumps(metadata, indent=2, ensure_ascii=False)


def _pretty(ciphertext: str) -> str | None:
    if not ciphertext:
        return None
    value: Any = json_decrypt(ciphertext)
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def request_detail(organization_id: int, uuid: UUID) -> RequestDetail | None:
    """One event of the organization, its decrypted payloads and its eval scores; None if
    the uuid is not this organization's (another's looks exactly like a missing one)."""
    event = (
        UsageEvent.objects.filter(organization_id=organization_id, uuid=uuid)
        .select_related("api_key")
        .first()
    )
    if event is None:
        return None
    stored = RequestPayload.objects.filter(event_id=event.uuid).first()
    payload = None
    if stored is not None:
        try:
            payload = StoredPayload(
                _pretty(stored.input_ciphertext), _pretty(stored.output_ciphertext)
            )
        except DecryptionFailed:
            payload = StoredPayload(
                None,
                None,
                "The payloads were encrypted with a key this server no longer has.",
            )
    evals = list(
        Eval.objects.filter(organization_id=organization_id, event_id=event.uuid).order_by(
            "-created_at", "-id"
        )
    )
    return RequestDetail(event, payload, evals)
