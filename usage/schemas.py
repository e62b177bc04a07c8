"""The canonical usage event every ingest door translates into.

Field names are MyTokenTracker's `Event` (seed 000) plus the fields other surfaces carry
(endpoint, developer_id, tenant_id, status_code, error_message, cache_hit) and a client `id`
for idempotent retries. Pydantic validates a batch of 500 straight from the request bytes in
a few milliseconds, and drf-spectacular documents the same models, so the contract is
written once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    Tag,
    ValidationError,
)
from pydantic_core import to_json

from carbon.countries import country_known
from tokentracker.currencies import currency_code
from tokentracker.errors import DomainError

MAX_BATCH = 500

# Ceilings that keep every event, and every rollup sum of events, inside the database
# columns, so no value accepted at a door can make the rollup merge fail (README, "Limits").
# A rollup row sums one organization's hour of one model and dimension set:
# - tokens: a billion per count in one call, a thousand times the largest context window;
#   bigint sums of five such counts per event stay in range for 1.8 billion events;
# - a reported cost: ten million per event; numeric(28, 12) sums hold a billion of them;
# - quality_score: any scale within plus or minus a million; float sums never overflow.
MAX_TOKENS = 10**9
MAX_REPORTED_COST = Decimal(10_000_000)
MAX_QUALITY_SCORE = 1_000_000.0
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]
ReportedCost = Annotated[Decimal, Field(ge=0, le=MAX_REPORTED_COST, allow_inf_nan=False)]
QualityScore = Annotated[
    float, Field(ge=-MAX_QUALITY_SCORE, le=MAX_QUALITY_SCORE, allow_inf_nan=False)
]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; say so instead of failing at write time.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def text_field(max_length: int, *, min_length: int = 0) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


def _utc(value: datetime) -> datetime:
    """Naive times are UTC; everything is stored in UTC."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if value < EARLIEST:
        raise ValueError("must be after 2000-01-01")
    return value


def _country_code(value: str) -> str:
    code = value.strip().upper()
    if not country_known(code):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. FI")
    return code


CountryCode = Annotated[str, AfterValidator(_country_code)]


def _currency_code(value: str) -> str:
    try:
        return currency_code(value)
    except ValueError:
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR") from None


CurrencyCode = Annotated[str, AfterValidator(_currency_code)]


@dataclass(frozen=True)
class CarbonStamp:
    energy_wh: Decimal
    co2e_grams: Decimal
    methodology: str


def _json_without_nul(value: dict[str, Any]) -> dict[str, Any]:
    if b"\\u0000" in to_json(value):
        raise ValueError("must not contain NUL characters")
    return value


class EventInput(BaseModel):
    model_config = ConfigDict(extra="ignore", title="Event")

    provider: text_field(64, min_length=1) = Field(
        description="Provider slug, e.g. anthropic, openai, google, mistral.",
        examples=["openai"],
    )
    model: text_field(200, min_length=1) = Field(examples=["gpt-4o"])
    input_tokens: NonNegativeInt = Field(
        description=(
            "Prompt tokens as the provider reports them. OpenAI and Google count cached "
            "tokens inside this number; Anthropic does not. TokenTracker normalises both."
        ),
        examples=[1200],
    )
    output_tokens: NonNegativeInt = Field(
        description="Completion tokens, reasoning tokens included.", examples=[350]
    )
    cache_read_tokens: NonNegativeInt | None = None
    cache_write_tokens: NonNegativeInt | None = None
    reasoning_tokens: NonNegativeInt | None = Field(
        default=None,
        description=(
            "The part of output_tokens spent on reasoning (OpenAI's completion_tokens_details). "
            "Gemini reports thoughts apart from candidates: add them into output_tokens."
        ),
    )
    total_cost: ReportedCost | None = Field(
        default=None,
        description=(
            "If supplied, stored as the actual cost (at most 10,000,000 per event). Omit to "
            "have it estimated from the price catalog."
        ),
    )
    latency_ms: Annotated[StrictInt, Field(ge=0, le=2_147_483_647)] | None = Field(
        default=None, description="Response latency in milliseconds."
    )
    success: StrictBool | None = Field(default=None, description="Did the call/task succeed?")
    quality_score: QualityScore | None = Field(
        default=None,
        description="Optional quality/eval score (your scale, from -1,000,000 to 1,000,000).",
    )
    status: text_field(32) | None = Field(default=None, description="ok | error | timeout | ...")
    currency: CurrencyCode = Field(
        default="USD",
        description=(
            "ISO 4217 code of total_cost, e.g. EUR. Kept as sent and converted to the "
            "organization's reporting currency at the rate of the event's day."
        ),
        examples=["USD"],
    )
    platform: text_field(100) | None = Field(default=None, examples=["openai-api"])
    use_case: text_field(100) | None = Field(default=None, examples=["chat"])
    session_id: text_field(200) | None = None
    project: text_field(200) | None = None
    occurred_at: Annotated[datetime, AfterValidator(_utc)] | None = Field(
        default=None, description="When the call happened; defaults to the time received."
    )
    metadata: Annotated[dict[str, Any], AfterValidator(_json_without_nul)] | None = None
    id: text_field(128, min_length=1) | None = Field(
        default=None,
        description="Your id for this event. A retried event with the same id counts once.",
    )
    endpoint: text_field(200) | None = Field(
        default=None, description="The feature that made the call, e.g. chat-assistant."
    )
    developer_id: text_field(200) | None = None
    tenant_id: text_field(200) | None = None
    status_code: Annotated[StrictInt, Field(ge=100, le=599)] | None = None
    error_message: text_field(10_000) | None = None
    cache_hit: StrictBool | None = None
    datacenter_country: CountryCode | None = Field(
        default=None,
        description=(
            "ISO 3166-1 alpha-2 code of the country the call ran in, for its grid's carbon "
            "intensity; default: the provider's usual datacenter region."
        ),
        examples=["FI"],
    )

    # Set by a door that already showed the client a carbon estimate (carbon-llm's track,
    # persisted later by a task), so the stored event carries exactly those numbers.


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", title="EventBatch")

    events: list[EventInput] = Field(max_length=MAX_BATCH)


class EventsCreated(BaseModel):
    model_config = ConfigDict(title="EventsCreated")

    success: bool
    created: int = Field(description="Events written by this request.")
    total_cost: float = Field(
        description="Cost of the events written in the reporting currency (priced, converted)."
    )
    duplicates: int = Field(description="Events skipped because their id was already recorded.")
    unpriced: int = Field(description="Events of models the catalog does not price.")


def _body_kind(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "events" in value else "event"


_EventsUnion = Annotated[
    Annotated[EventBatch, Tag("batch")] | Annotated[EventInput, Tag("event")],
    Discriminator(_body_kind),
]


class EventsBody(RootModel[_EventsUnion]):
    """One Event, or {"events": [...]} with up to 500."""

    model_config = ConfigDict(title="EventsBody")


class FieldError(BaseModel):
    index: int | None = None
    field: str
    message: str


def events_parse(raw: bytes) -> tuple[list[EventInput], bool]:
    """Parse a request body into events; returns (events, is_batch).

    Raises EventsInvalid naming each bad field, with the event's index for a batch.
    """
    try:
        body = EventsBody.model_validate_json(raw).root
    except ValidationError as exc:
        raise EventsInvalid([_field_error(error) for error in exc.errors()]) from None
    if isinstance(body, EventBatch):
        return body.events, True
    return [body], False


def _field_error(error: Any) -> FieldError:
    loc = list(error["loc"])
    if loc and loc[0] in ("batch", "event"):
        loc = loc[1:]
    index = None
    if len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
        index = loc[1]
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "body"
    message = error["msg"]
    if error["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    if error["type"] == "json_invalid":
        field, message = "body", f"Malformed JSON: {error.get('ctx', {}).get('error', message)}"
    elif error["type"] == "model_attributes_type" or error["type"] == "model_type":
        message = "Expected a JSON object"
    return FieldError(index=index, field=field, message=message)


class EventsInvalid(DomainError):
    """Events refused field by field; each door words `errors` in its own field names."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            f"{len(errors)} invalid field(s)",
            details={"errors": [error.model_dump() for error in errors]},
        )
        self.errors = errors
