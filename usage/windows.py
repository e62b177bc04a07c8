"""The usage window and filters in a query string, as every analytics surface and page takes
them (Token Optimizer's parameters, seed 001): parsed once, refused with QueryInvalid.

`granularity` (default day) implies the default window ending now: a day of hours, 30 days,
12 weeks, a year of months, five years. A bare date as `end_date` includes that whole day.
The window is widened to whole UTC hours (rollups hold hours) and the `filters` object
echoes the window actually counted.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from tokentracker.errors import DomainError

from .dates import Bound, DateInvalid, bound_parse
from .dates import iso_z as iso
from .genai_catalog import provider_canonical
from .selectors.usage import GRANULARITIES, UsageScope

# PostgreSQL stores no NUL in text: a filter holding one would fail mid-query.
NUL = "\x00"


class QueryInvalid(DomainError):
    """A query parameter refused: the message names it; `code` is a finer kind that a
    contract may answer with (INVALID_GRANULARITY, ...)."""


DEFAULT_GRANULARITY = "day"
DEFAULT_SPAN = {
    "hour": timedelta(hours=24),
    "day": timedelta(days=30),
    "week": timedelta(weeks=12),
    "month": timedelta(days=365),
    "year": timedelta(days=5 * 365),
}


@dataclass(frozen=True)
class UsageQuery:
    scope: UsageScope
    granularity: str
    models: tuple[str, ...]
    endpoints: tuple[str, ...]
    providers: tuple[str, ...]

    def filters(self) -> dict[str, Any]:
        return {
            "granularity": self.granularity,
            "start_date": iso(self.scope.start),
            "end_date": iso(self.scope.end),
            "models": list(self.models),
            "endpoints": list(self.endpoints),
            "providers": list(self.providers),
        }


def _bound(params: QueryDict, name: str) -> Bound | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return bound_parse(raw)
    except DateInvalid as exc:
        raise QueryInvalid(f"{name} {exc}.", details={name: raw}) from None


def _values(params: QueryDict, name: str) -> tuple[str, ...]:
    # Repeated parameters (?model=a&model=b), in first-seen order, blanks dropped.
    values = tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))
    if any(NUL in value for value in values):
        # PostgreSQL refuses a NUL in a text value: the filter would fail mid-query.
        raise QueryInvalid(
            f"{name} must not contain NUL characters.",
            details={name: "must not contain NUL characters"},
        )
    return values


def usage_query(params: QueryDict, organization_id: int) -> UsageQuery:
    granularity = params.get("granularity") or DEFAULT_GRANULARITY
    if granularity not in GRANULARITIES:
        raise QueryInvalid(
            f"granularity must be one of {', '.join(GRANULARITIES)}.",
            details={"granularity": granularity, "allowed": list(GRANULARITIES)},
            code="INVALID_GRANULARITY",
        )
    start_bound, end_bound = _bound(params, "start_date"), _bound(params, "end_date")
    end = end_bound.end_exclusive if end_bound else timezone.now()
    start = start_bound.moment if start_bound else end - DEFAULT_SPAN[granularity]
    if start >= end:
        raise QueryInvalid(
            "Start date must be before end date",
            details={"start_date": params.get("start_date"), "end_date": params.get("end_date")},
            code="INVALID_DATE_RANGE",
        )
    models, endpoints, providers = (
        _values(params, "model"),
        _values(params, "endpoint"),
        _values(params, "provider"),
    )
    scope = UsageScope.covering(
        organization_id,
        start,
        end,
        models=models,
        endpoints=endpoints,
        # "OpenAI", "openai" and "gemini" all mean the stored canonical id.
        providers=tuple(dict.fromkeys(provider_canonical(p) for p in providers)),
    )
    return UsageQuery(scope, granularity, models, endpoints, providers)


def positive_int(params: Any, name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" between 1 and {maximum}" if maximum else " of at least 1"
        raise QueryInvalid(
            f"{name} must be a whole number{bound}.",
            details={name: raw},
            code="INVALID_PAGE",
        )
    return value


def flag(params: Any, name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise QueryInvalid(
        f"{name} must be true or false.",
        details={name: raw},
        code="INVALID_SORT",
    )
