"""Anthropic's Admin API usage report (Messages) and cost report, read with an admin key
(`sk-ant-admin...`, headers `x-api-key` and `anthropic-version`) into normalised rows.

Documented forms: `starting_at`/`ending_at` in RFC 3339 (buckets that start at or after
the one and end before the other), `bucket_width` 1m, 1h or 1d (a page holds at most 31
daily or 168 hourly buckets; the cost report is daily only, 31 a page), `group_by[]`
repeated, paging by `has_more`/`next_page` sent back as `page`. Usage splits input as
`uncached_input_tokens`, `cache_read_input_tokens` and `cache_creation`'s
`ephemeral_5m_input_tokens` + `ephemeral_1h_input_tokens`; it counts no requests. A cost's
`amount` is a decimal string in the currency's lowest unit: "123.45" USD is $1.2345.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from .http import AdminApi, ProviderAnswerInvalid
from .names import model_normalise
from .rows import (
    CostRow,
    RowUnreadable,
    UsageRow,
    amount_of,
    count_of,
    currency_of,
    group_of,
)

PROVIDER = "anthropic"
NAME = "Anthropic"
API_VERSION = "2023-06-01"
USAGE_PATH = "/v1/organizations/usage_report/messages"
COSTS_PATH = "/v1/organizations/cost_report"
USAGE_PAGE_LIMITS = {"1d": 31, "1h": 168}
COSTS_PAGE_LIMIT = 31
# Amounts come in cents; USD is the only currency the report uses (documented).
LOWEST_UNITS_PER_MAJOR = Decimal(100)


def api_open(key: str) -> AdminApi:
    return AdminApi(
        provider_name=NAME,
        base_url=settings.ANTHROPIC_ADMIN_API_BASE_URL,
        headers={"x-api-key": key, "anthropic-version": API_VERSION},
        secret=key,
    )


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise RowUnreadable(f"a bucket time is not RFC 3339: {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RowUnreadable(f"a bucket time is not RFC 3339: {value!r}") from None
    if moment.tzinfo is None:
        raise RowUnreadable(f"a bucket time has no offset: {value!r}")
    return moment.astimezone(UTC)


def _window(start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [("starting_at", rfc3339(start)), ("ending_at", rfc3339(end))]


def usage_fetch(
    api: AdminApi, *, start: datetime, end: datetime, width: str = "1d"
) -> list[UsageRow]:
    """Messages usage per bucket, model, workspace and API key over [start, end)."""
    query = [
        *_window(start, end),
        ("bucket_width", width),
        ("limit", str(USAGE_PAGE_LIMITS[width])),
        ("group_by[]", "model"),
        ("group_by[]", "workspace_id"),
        ("group_by[]", "api_key_id"),
    ]
    rows = []
    for page in api.pages(USAGE_PATH, query):
        try:
            for bucket in page["data"]:
                bucket_start = _moment(bucket["starting_at"])
                bucket_end = _moment(bucket["ending_at"])
                for result in bucket.get("results") or []:
                    creation = result.get("cache_creation") or {}
                    rows.append(
                        UsageRow(
                            start=bucket_start,
                            end=bucket_end,
                            width=width,
                            model=model_normalise(PROVIDER, result.get("model")),
                            project=group_of(result.get("workspace_id")),
                            api_key=group_of(result.get("api_key_id")),
                            input_tokens=count_of(result, "uncached_input_tokens"),
                            cache_read_tokens=count_of(result, "cache_read_input_tokens"),
                            cache_write_tokens=count_of(creation, "ephemeral_5m_input_tokens")
                            + count_of(creation, "ephemeral_1h_input_tokens"),
                            output_tokens=count_of(result, "output_tokens"),
                            requests=0,
                        )
                    )
        except (KeyError, TypeError, AttributeError, RowUnreadable) as error:
            raise ProviderAnswerInvalid(
                f"{NAME} answered a usage bucket we cannot read ({error})."
            ) from None
    return rows


def costs_fetch(api: AdminApi, *, start: datetime, end: datetime) -> list[CostRow]:
    """Daily costs per workspace and description over [start, end)."""
    query = [
        *_window(start, end),
        ("bucket_width", "1d"),
        ("limit", str(COSTS_PAGE_LIMIT)),
        ("group_by[]", "workspace_id"),
        ("group_by[]", "description"),
    ]
    rows = []
    for page in api.pages(COSTS_PATH, query):
        try:
            for bucket in page["data"]:
                day = _moment(bucket["starting_at"]).date()
                for result in bucket.get("results") or []:
                    rows.append(
                        CostRow(
                            day=day,
                            line_item=group_of(result.get("description"), 300),
                            model=model_normalise(PROVIDER, result.get("model")),
                            project=group_of(result.get("workspace_id")),
                            amount=amount_of(result.get("amount")) / LOWEST_UNITS_PER_MAJOR,
                            currency=currency_of(result.get("currency") or "USD"),
                        )
                    )
        except (KeyError, TypeError, AttributeError, RowUnreadable) as error:
            raise ProviderAnswerInvalid(
                f"{NAME} answered a cost bucket we cannot read ({error})."
            ) from None
    return rows
