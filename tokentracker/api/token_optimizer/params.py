"""Token Optimizer's common query parameters (seed 001): the domain's parser
(`usage.windows`), with its refusals answered in this contract's dialect."""

from typing import Any

from django.http import QueryDict

from tokentracker.api.errors import ApiError, Kind
from usage.windows import QueryInvalid, UsageQuery, usage_query
from usage.windows import flag as _flag
from usage.windows import positive_int as _positive_int

OptimizerQuery = UsageQuery


def _api_error(exc: QueryInvalid) -> ApiError:
    return ApiError(Kind.VALIDATION, exc.message, details=exc.details, code=exc.code)


def optimizer_query(params: QueryDict, organization_id: int) -> UsageQuery:
    try:
        return usage_query(params, organization_id)
    except QueryInvalid as exc:
        raise _api_error(exc) from None


def positive_int(params: Any, name: str, default: int, maximum: int | None = None) -> int:
    try:
        return _positive_int(params, name, default, maximum)
    except QueryInvalid as exc:
        raise _api_error(exc) from None


def flag(params: Any, name: str, default: bool) -> bool:
    try:
        return _flag(params, name, default)
    except QueryInvalid as exc:
        raise _api_error(exc) from None
