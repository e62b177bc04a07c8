"""Query parameters of the CodingVibez reads: date windows, hours, groupBy, service,
provider, and the calendar month of the cost reads.

Dates are `YYYY-MM-DD` or ISO 8601 datetimes, in UTC when no offset is given. A date-only
end date counts that whole day; a datetime end is the instant the window stops. Rollups
hold whole UTC hours, so the window actually counted is widened to the hours it touches
(`UsageScope.covering`) and echoed back as `period`.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from rest_framework.request import Request

from billing.models import Service
from billing.selectors.costs import Month
from billing.selectors.spend import OTHER_SERVICE
from billing.services.manual_costs import ManualCostInvalid, service_parse
from tokentracker.api.errors import ApiError, Kind
from usage.dates import Bound, DateInvalid, bound_parse
from usage.selectors.dashboard import month_start, months_later
from usage.selectors.series import series_too_long
from usage.selectors.usage import GRANULARITIES

DEFAULT_RECENT_DAYS = 30
MAX_HOURS = 720
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000_000


def invalid(field: str, message: str) -> ApiError:
    # The CodingVibez error body carries only a message, so the message names the field.
    return ApiError(Kind.VALIDATION, f"{field}: {message}", details={"field": field})


def _bound(request: Request, name: str) -> Bound | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return bound_parse(raw)
    except DateInvalid as exc:
        raise invalid(name, str(exc)) from None


def _end_exclusive(bound: Bound) -> datetime:
    return bound.end_exclusive


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive


def _window(start_name: str, end_name: str, start: Bound | None, end: Bound | None) -> Window:
    assert start is not None and end is not None
    end_at = _end_exclusive(end)
    if start.moment > end_at or (start.moment == end_at and end.date_only):
        raise invalid(start_name, f"must not be after {end_name}")
    return Window(start.moment, end_at)


def billing_window(request: Request) -> Window:
    """`billingStartDate`/`billingEndDate`; default: this UTC calendar month.

    Given only one side, the period is the month-long billing cycle from or to it
    (2026-01-15 alone: 2026-01-15 to 2026-02-14), as CodingVibez billing periods run.
    """
    start = _bound(request, "billingStartDate")
    end = _bound(request, "billingEndDate")
    if start is None and end is None:
        first = month_start(timezone.now())
        return Window(first, months_later(first, 1))
    if start is None:
        assert end is not None
        start = Bound(months_later(_end_exclusive(end), -1), True)
    if end is None:
        end = Bound(months_later(start.moment, 1), False)
    return _window("billingStartDate", "billingEndDate", start, end)


def recent_window(request: Request, days: int = DEFAULT_RECENT_DAYS) -> Window:
    """`startDate`/`endDate`; default: the last `days` days, today included."""
    start = _bound(request, "startDate")
    end = _bound(request, "endDate")
    if end is None:
        today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = Bound(today, True)
    if start is None:
        start = Bound(_end_exclusive(end) - timedelta(days=days), True)
    return _window("startDate", "endDate", start, end)


def days_of(window: Window) -> tuple[date, date]:
    """The UTC days a window touches, first and last (both included), for what is booked
    by day rather than by instant (expenses): a datetime bound counts its whole day."""
    return window.start.date(), (window.end - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(request: Request) -> Page:
    """`limit` (1-500, default 100) and `offset` (default 0) of a list. CodingVibez's other
    lists are aggregates with no pages; a list of records needs a bound."""
    return Page(
        limit=_whole(request, "limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
        offset=_whole(request, "offset", 0, MAX_OFFSET, 0),
    )


def granularity(request: Request, default: str = "day") -> str:
    value = request.query_params.get("groupBy", "").strip().lower() or default
    if value not in GRANULARITIES:
        raise invalid("groupBy", f"must be one of {', '.join(GRANULARITIES)}")
    return value


def points_check(window: Window, by: str) -> None:
    problem = series_too_long(window.start, window.end, by)
    if problem:
        raise invalid("startDate", problem)


def hours(request: Request) -> int:
    raw = request.query_params.get("hours", "").strip()
    if not raw:
        return 24
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
        raise invalid("hours", f"must be a whole number from 1 to {MAX_HOURS}")
    return int(raw)


def service(request: Request) -> str | None:
    value = request.query_params.get("service", "").strip()
    if len(value) > 64:
        raise invalid("service", "must be at most 64 characters")
    return value or None


def _whole(request: Request, name: str, low: int, high: int, default: int) -> int:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid(name, f"must be a whole number from {low} to {high}")
    return int(raw)


def calendar_month(request: Request) -> Month:
    """`month` (1-12) and `year` (2000-2100); each left out is the current UTC one's."""
    current = Month.current()
    month = _whole(request, "month", 1, 12, current.month)
    year = _whole(request, "year", 2000, 2100, current.year)
    return Month(year, month)


COST_SERVICES = (*Service.values, OTHER_SERVICE)


def cost_service(value: str) -> str:
    """A path's service: one of the 13, in any case ("OpenAI"), or `other`, where expenses
    with another vendor count (as `/api/costs/all`'s `byProvider` shows them). Another is
    a validation error, not a 404, as the seed says."""
    if value.strip().lower() == OTHER_SERVICE:
        return OTHER_SERVICE
    try:
        return service_parse(value)
    except ManualCostInvalid:
        raise invalid(
            "provider", f"must be one of {', '.join(Service.values)}, or {OTHER_SERVICE}"
        ) from None


def known_service(request: Request, name: str = "provider") -> str | None:
    """One of the 13 services of seed 004 (any case), or None when absent. Another value is
    a VALIDATION_ERROR, not an empty answer: a typo must not read as "no spend"."""
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    try:
        return service_parse(value)
    except ManualCostInvalid as error:
        raise invalid(name, error.message) from None
