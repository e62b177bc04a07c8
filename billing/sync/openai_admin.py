"""OpenAI's organization Usage API (completions) and Costs API, read with an admin key
(`sk-admin-...`, Authorization: Bearer) into normalised rows.

Documented forms: `start_time`/`end_time` in Unix seconds (end exclusive), `bucket_width`
1h or 1d (a page holds at most 168 hourly or 31 daily buckets; costs only 1d, at most 180 a
page), `group_by` repeated, paging by `has_more`/`next_page` sent back as `page`. A usage
result's `input_tokens` counts the cached ones too (`input_cached_tokens`): the uncached
part is the difference. A cost result's `amount` is `{value, currency: "usd"}` in dollars.
"""

from datetime import UTC, datetime

from django.conf import settings

from .http import AdminApi, ProviderAnswerInvalid
from .names import line_item_model, model_normalise
from .rows import (
    CostRow,
    RowUnreadable,
    UsageRow,
    amount_of,
    count_of,
    currency_of,
    group_of,
)

PROVIDER = "openai"
NAME = "OpenAI"
USAGE_PATH = "/v1/organization/usage/completions"
COSTS_PATH = "/v1/organization/costs"
USAGE_PAGE_LIMITS = {"1d": 31, "1h": 168}
COSTS_PAGE_LIMIT = 180


def api_open(key: str) -> AdminApi:
    return AdminApi(
        provider_name=NAME,
        base_url=settings.OPENAI_ADMIN_API_BASE_URL,
        headers={"Authorization": f"Bearer {key}"},
        secret=key,
    )


def _moment(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowUnreadable(f"a bucket time is not Unix seconds: {value!r}")
    return datetime.fromtimestamp(value, UTC)


def _window(start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [("start_time", str(int(start.timestamp()))), ("end_time", str(int(end.timestamp())))]


def usage_fetch(
    api: AdminApi, *, start: datetime, end: datetime, width: str = "1d"
) -> list[UsageRow]:
    """Completions usage per bucket, model, project and API key over [start, end)."""
    query = [
        *_window(start, end),
        ("bucket_width", width),
        ("limit", str(USAGE_PAGE_LIMITS[width])),
        ("group_by", "model"),
        ("group_by", "project_id"),
        ("group_by", "api_key_id"),
    ]
    rows = []
    for page in api.pages(USAGE_PATH, query):
        try:
            for bucket in page["data"]:
                bucket_start = _moment(bucket["start_time"])
                bucket_end = _moment(bucket["end_time"])
                for result in bucket.get("results") or []:
                    given = count_of(result, "input_tokens")
                    cached = count_of(result, "input_cached_tokens")
                    rows.append(
                        UsageRow(
                            start=bucket_start,
                            end=bucket_end,
                            width=width,
                            model=model_normalise(PROVIDER, result.get("model")),
                            project=group_of(result.get("project_id")),
                            api_key=group_of(result.get("api_key_id")),
                            # Cached tokens are inside input_tokens (the documented
                            # meaning); never below 0 if a correction lands in between.
                            input_tokens=max(0, given - cached),
                            cache_read_tokens=cached,
                            cache_write_tokens=0,
                            output_tokens=count_of(result, "output_tokens"),
                            requests=count_of(result, "num_model_requests"),
                        )
                    )
        except (KeyError, TypeError, AttributeError, RowUnreadable) as error:
            raise ProviderAnswerInvalid(
                f"{NAME} answered a usage bucket we cannot read ({error})."
            ) from None
    return rows


def costs_fetch(api: AdminApi, *, start: datetime, end: datetime) -> list[CostRow]:
    """Daily costs per line item and project over [start, end)."""
    query = [
        *_window(start, end),
        ("bucket_width", "1d"),
        ("limit", str(COSTS_PAGE_LIMIT)),
        ("group_by", "line_item"),
        ("group_by", "project_id"),
    ]
    rows = []
    for page in api.pages(COSTS_PATH, query):
        try:
            for bucket in page["data"]:
                day = _moment(bucket["start_time"]).date()
                for result in bucket.get("results") or []:
                    amount = result.get("amount") or {}
                    line_item = group_of(result.get("line_item"), 300)
                    rows.append(
                        CostRow(
                            day=day,
                            line_item=line_item,
                            model=line_item_model(PROVIDER, line_item),
                            project=group_of(result.get("project_id")),
                            amount=amount_of(amount.get("value")),
                            currency=currency_of(amount.get("currency") or "usd"),
                        )
                    )
        except (KeyError, TypeError, AttributeError, RowUnreadable) as error:
            raise ProviderAnswerInvalid(
                f"{NAME} answered a cost bucket we cannot read ({error})."
            ) from None
    return rows
