"""The canonical usage event every ingest door translates into.

Field names are MyTokenTracker's `Event` (seed 000) plus the fields other surfaces carry
(endpoint, developer_id, tenant_id, status_code, error_message, cache_hit) and a client `id`
for idempotent retries. Each field is also accepted in its camelCase spelling (`inputTokens`,
`useCase`, ..., as JavaScript clients write them), and any other field is kept in
`metadata`: nothing a client sends is silently dropped. Pydantic validates a batch of 500
straight from the request bytes in a few milliseconds, event by event, and drf-spectacular
documents the same models, so the contract is written once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, to_json

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


def _whole_number(value: Any) -> Any:
    # JSON has one number type: JavaScript's JSON.stringify and Python's json.dumps of a
    # float write 1200.0 for a count computed in floating point. A whole value is that
    # integer; 1.5 is not a count. Booleans and strings still fail StrictInt.
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError(
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        return int(value)
    return value


# Every integer field of every ingest door: 1200 and 1200.0 alike, never 1.5, "1200" or true.
WholeInt = Annotated[StrictInt, BeforeValidator(_whole_number)]


def whole_int(*, ge: int, le: int) -> Any:
    """WholeInt within bounds. The bounds come before the validator so that pydantic-core
    checks them itself; after it, they would run as two Python calls per field and event."""
    return Annotated[StrictInt, Field(ge=ge, le=le), BeforeValidator(_whole_number)]


NonNegativeInt = whole_int(ge=0, le=MAX_TOKENS)
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


def _snake_or_camel(name: str) -> AliasChoices:
    return AliasChoices(name, to_camel(name))


class EventInput(BaseModel):
    # extra="allow": unknown fields are gathered into `metadata` by `_extras_into_metadata`.
    model_config = ConfigDict(
        extra="allow",
        title="Event",
        alias_generator=AliasGenerator(validation_alias=_snake_or_camel),
        validate_by_name=True,
    )

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
        description=(
            "Output tokens as the provider reports them. OpenAI, Anthropic and most "
            "OpenAI-compatible APIs count reasoning inside this number; Google Gemini "
            "(candidates_token_count) and xAI (completion_tokens) count it apart. Send the "
            "provider's own number: TokenTracker stores output with reasoning for all."
        ),
        examples=[350],
    )
    cache_read_tokens: NonNegativeInt | None = None
    cache_write_tokens: NonNegativeInt | None = None
    tokens_reported: StrictBool = Field(
        default=True,
        description=(
            "false when the token counts are not known (a failed call whose provider "
            "answered none): the zeros sent are then stored as unknown, and surfaces that "
            "can say so (Tokenwise's request log) show null rather than 0."
        ),
    )
    reasoning_tokens: NonNegativeInt | None = Field(
        default=None,
        description=(
            "Reasoning tokens as the provider reports them: OpenAI's "
            "completion_tokens_details.reasoning_tokens, Gemini's thoughts_token_count, "
            "xAI's reasoning_tokens. Priced at the output price unless the model has its own."
        ),
    )
    total_cost: ReportedCost | None = Field(
        default=None,
        description=(
            "If supplied, stored as the actual cost (at most 10,000,000 per event). Omit to "
            "have it estimated from the price catalog."
        ),
    )
    latency_ms: whole_int(ge=0, le=2_147_483_647) | None = Field(
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
    status_code: whole_int(ge=100, le=599) | None = None
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

    @model_validator(mode="before")
    @classmethod
    def _one_spelling_per_field(cls, data: Any) -> Any:
        # Most clients send one spelling: a set intersection in C rules that out first.
        if isinstance(data, dict) and not _camel_names(cls).isdisjoint(data):
            for name, camel in _camel_spellings(cls):
                if name in data and camel in data:
                    raise PydanticCustomError(
                        "field_repeated",
                        "sent both as {name} and as {camel}: send it once",
                        {"field": camel, "name": name, "camel": camel},
                    )
        return data

    @model_validator(mode="after")
    def _extras_into_metadata(self) -> "EventInput":
        """Unknown fields are kept in `metadata`, never dropped.

        A key sent both as a field and inside `metadata` with the same value is kept once;
        with different values the event is refused, naming the field, rather than guess
        which one the client meant.
        """
        extras = self.__pydantic_extra__
        if not extras:
            return self
        metadata = dict(self.metadata or {})
        for key, value in extras.items():
            if key in metadata and metadata[key] != value:
                raise PydanticCustomError(
                    "metadata_collision",
                    "unknown fields are kept in metadata, which already has a different "
                    "{key}: send it once",
                    {"field": key, "key": key},
                )
            metadata[key] = value
        _metadata_without_nul(metadata, extras)
        self.metadata = metadata
        extras.clear()
        return self


@cache
def _camel_spellings(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(snake_case, camelCase) of each field spelled two ways. Once per model: to_camel runs
    regular expressions, which per field of every event cost most of a batch's validation."""
    return tuple((name, camel) for name in model.model_fields if (camel := to_camel(name)) != name)


@cache
def _camel_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(camel for _, camel in _camel_spellings(model))


def _metadata_without_nul(metadata: dict[str, Any], extras: dict[str, Any]) -> None:
    try:
        _json_without_nul(metadata)
    except ValueError:
        key = next(key for key in extras if b"\\u0000" in to_json({key: extras[key]}))
        raise PydanticCustomError(
            "nul_characters", "must not contain NUL characters", {"field": key}
        ) from None


@dataclass(frozen=True)
class InvalidEvent:
    """An event of a batch that failed validation: its errors, without its index yet."""

    errors: tuple["FieldError", ...]


def _event_or_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # Each event of a batch is judged on its own: an invalid one becomes an InvalidEvent
    # the ingest service answers by index, and the rest of the batch is still stored.
    try:
        return handler(value)
    except ValidationError as exc:
        return InvalidEvent(tuple(_field_error(error) for error in exc.errors()))


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", title="EventBatch")

    events: list[Annotated[EventInput, WrapValidator(_event_or_invalid)]] = Field(
        max_length=MAX_BATCH
    )


class FieldError(BaseModel):
    index: int | None = Field(default=None, description="The event's place in the batch.")
    field: str
    message: str


class EventsCreated(BaseModel):
    model_config = ConfigDict(title="EventsCreated")

    success: bool
    created: int = Field(description="Events written by this request.")
    total_cost: float = Field(
        description="Cost of the events written in the reporting currency (priced, converted)."
    )
    duplicates: int = Field(description="Events skipped because their id was already recorded.")
    unpriced: int = Field(
        description=(
            "Events written with no cost in the reporting currency, left out of total_cost: "
            "models the catalog does not price, and amounts with no exchange rate for their day."
        )
    )
    rejected: int = Field(description="Invalid events of the batch, not written.")
    errors: list[FieldError] = Field(
        description="Why each rejected event was refused: its index, field and reason."
    )


def _body_kind(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "events" in value else "event"


_EventsUnion = Annotated[
    Annotated[EventBatch, Tag("batch")] | Annotated[EventInput, Tag("event")],
    Discriminator(_body_kind),
]


class EventsBody(RootModel[_EventsUnion]):
    """One Event, or {"events": [...]} with up to 500."""

    model_config = ConfigDict(title="EventsBody")


def events_parse(raw: bytes) -> tuple[list[EventInput | InvalidEvent], bool]:
    """Parse a request body into events; returns (events, is_batch).

    A batch's invalid events come back as InvalidEvent in their place, for the ingest
    service to answer by index. Raises EventsInvalid for a body that is no event and no
    batch (malformed JSON, more than 500 events, `events` not a list) and for an invalid
    single event.
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
    if "field" in error.get("ctx", {}):  # a whole-event check that names its field
        field = str(error["ctx"]["field"])
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
