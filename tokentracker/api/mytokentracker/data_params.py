"""The query parameters of the data API, each refused with a clear 422, never a 500."""

import re
from datetime import date
from typing import Any

from django.http import QueryDict

from tokentracker.api.errors import ApiError, Kind
from usage.dates import DateInvalid, bound_parse

FORMATS = ("json", "csv")
# Above any dataset's size, below every database's LIMIT range (PostgreSQL: bigint).
MAX_LIMIT = 2**31 - 1
PROVIDER_MAX_LENGTH = 64  # usage.models.ModelPrice.provider
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _invalid(name: str, value: Any, message: str) -> ApiError:
    return ApiError(Kind.VALIDATION, f"{name} {message}.", details={name: value})


def output_format(params: QueryDict) -> str:
    value = params.get("format") or "json"
    if value not in FORMATS:
        raise _invalid("format", value, "must be json or csv")
    return value


def limit(params: QueryDict) -> int | None:
    raw = params.get("limit")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _invalid("limit", raw, "must be a whole number of rows") from None
    if value < 0:
        raise _invalid("limit", raw, "cannot be negative")
    return min(value, MAX_LIMIT)


def provider(params: QueryDict) -> str | None:
    raw = (params.get("provider") or "").strip()
    if not raw:
        return None
    if len(raw) > PROVIDER_MAX_LENGTH or "\x00" in raw:
        raise _invalid("provider", raw[:100], "is not a provider slug")
    return raw


def day(params: QueryDict, name: str) -> date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _DATE_ONLY.match(raw):
        raise _invalid(name, raw, "must be a date (YYYY-MM-DD): the datasets are daily")
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise _invalid(name, raw, "is not a valid date (YYYY-MM-DD)") from None
    try:
        # The analytics surfaces' parser, for its range: no date arithmetic can overflow.
        return bound_parse(raw).moment.date()
    except DateInvalid as exc:
        raise _invalid(name, raw, str(exc)) from None


def window(params: QueryDict) -> tuple[date | None, date | None]:
    start, end = day(params, "from"), day(params, "to")
    if start and end and start > end:
        raise ApiError(
            Kind.VALIDATION,
            "from must be on or before to.",
            details={"from": start.isoformat(), "to": end.isoformat()},
        )
    return start, end


def choice(params: QueryDict, name: str, allowed: list[str]) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise _invalid(name, value, f"must be one of {', '.join(allowed)}")
    return value


def boolean(params: QueryDict, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise _invalid(name, raw, "must be true or false")
