"""CodingVibez (seed 004) bodies, translated into the canonical `EventInput`.

The surface only renames fields; `usage.services.events.events_record` does the rest. Two
mappings are decisions worth knowing:

- `cachedTokens` becomes `cache_read_tokens` unchanged, and `inputTokens` stays as the
  provider reported it. CodingVibez clients pass the provider's own prompt count
  (`prompt_tokens` for OpenAI/Google, which includes cached tokens; `input_tokens` for
  Anthropic, which does not), so the ingest service's per-provider rule is the right one.
- `/api/ingest`'s `product` becomes `platform`: in CodingVibez a service is the vendor
  (github, openai) and a product is what of theirs was used (copilot, api), which is what
  `platform` means ("openai-api"); `use_case` is what *we* used it for.
- Fields the seed does not name are kept in the event's `metadata`, never dropped: a
  record's own, and the `/api/ingest` envelope's (given to each of its records; a
  record's own field of the same name wins, as the more specific).
- `/api/ingest` judges a list record by record: the valid ones are written, the invalid
  ones answered by index (`rejected`, `errors`); only when none is valid is it a 400.

Also here: the surface's data-freshness labels (the reads behind them are usage selectors).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictBool,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from usage.genai_catalog import provider_canonical
from usage.schemas import (
    MAX_BATCH,
    EventInput,
    FieldError,
    InvalidEvent,
    NonNegativeInt,
    ReportedCost,
)

# A cost reported without a model still needs one (every rollup is per model); this name
# says plainly that none was given rather than guessing one.
UNSPECIFIED_MODEL = "unspecified"


class CodingVibezTrackBody(BaseModel):
    """`POST /api/tokens/track`. Other fields are kept in the event's metadata."""

    model_config = ConfigDict(extra="allow")

    provider: str = Field(examples=["openai"], description="openai, anthropic, google, ...")
    model: str = Field(examples=["gpt-4-turbo"])
    inputTokens: NonNegativeInt = Field(
        description=(
            "Prompt tokens as the provider reports them: OpenAI and Google include cached "
            "tokens in this count, Anthropic does not. Both are priced correctly."
        ),
        examples=[1000],
    )
    outputTokens: NonNegativeInt = Field(examples=[500])
    cachedTokens: NonNegativeInt = Field(
        default=0, description="Cache-read prompt tokens.", examples=[0]
    )
    cost: ReportedCost | None = Field(
        default=None,
        description="What the provider billed, in `currency`. Wins over the catalog price.",
        examples=[0.05],
    )
    currency: str = Field(
        default="USD",
        description=(
            "ISO 4217 code of `cost` (an extension of the seed, which bills in USD); "
            "converted to the organization's reporting currency at the rate of its day."
        ),
        examples=["USD"],
    )
    flush: StrictBool = Field(
        default=False,
        description=(
            "The event is always written before the response. With flush, the hourly "
            "aggregates are also brought up to date first, so an immediate GET /api/tokens "
            "or /api/analytics already counts it. If that merge fails the event is still "
            "stored and `flushed` is false: do not send it again."
        ),
    )


class CodingVibezTokenRecord(BaseModel):
    """One usage record of `POST /api/ingest` with `type: "tokens"`; other fields are kept
    in the event's metadata."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(examples=["claude-sonnet-4"])
    inputTokens: NonNegativeInt = Field(
        description="As the service reports it (see /api/tokens/track).", examples=[1200]
    )
    outputTokens: NonNegativeInt = Field(examples=[300])
    cachedTokens: NonNegativeInt = Field(default=0, examples=[0])
    cost: ReportedCost | None = Field(
        default=None, description="Billed, in `currency`; omit to price it."
    )
    currency: str = Field(
        default="USD",
        description=(
            "ISO 4217 code of `cost` (an extension of the seed, which bills in USD); "
            "converted to the organization's reporting currency at the rate of its day."
        ),
        examples=["USD"],
    )
    timestamp: datetime | None = Field(
        default=None, description="ISO 8601; default: when received. Naive times are UTC."
    )
    id: str | None = Field(
        default=None, description="Your id for the record; a retried record counts once."
    )


class CodingVibezCostRecord(BaseModel):
    """One spend of `POST /api/ingest` with `type: "cost"`: money with no tokens; other
    fields are kept in the event's metadata."""

    model_config = ConfigDict(extra="allow")

    amount: ReportedCost = Field(description="Spent, in `currency`.", examples=[20.0])
    currency: str = Field(
        default="USD",
        description=(
            "ISO 4217 code of `amount` (an extension of the seed, which bills in USD); "
            "converted to the organization's reporting currency at the rate of its day."
        ),
        examples=["USD"],
    )
    model: str | None = Field(
        default=None, description=f'Defaults to "{UNSPECIFIED_MODEL}".', examples=["gpt-4o"]
    )
    timestamp: datetime | None = Field(default=None, description="Default: when received.")
    description: str | None = Field(default=None, max_length=1000, examples=["Seat fee"])
    id: str | None = Field(default=None, description="Your id; a retried record counts once.")


def _one_or_many(value: Any) -> str:
    return "many" if isinstance(value, list) else "one"


@dataclass(frozen=True)
class InvalidRecord:
    """A record of a list that failed validation; its errors name fields within it."""

    errors: tuple[FieldError, ...]


def _record_or_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A list is judged record by record: one bad record does not refuse the others.
    try:
        return handler(value)
    except ValidationError as exc:
        return InvalidRecord(tuple(_pydantic_errors(exc)))


def _records(record: type[BaseModel]) -> Any:
    judged = Annotated[record, WrapValidator(_record_or_invalid)]
    return Annotated[
        Annotated[list[judged], Tag("many"), Field(min_length=1, max_length=MAX_BATCH)]
        | Annotated[record, Tag("one")],
        Discriminator(_one_or_many),
    ]


class _IngestCommon(BaseModel):
    # Fields the seed does not name are given to every record's metadata.
    model_config = ConfigDict(extra="allow")

    service: str = Field(description="The provider, e.g. openai, anthropic, cursor.")
    project: str | None = Field(default=None, description="Stored as the event's project.")
    product: str | None = Field(
        default=None,
        description="The service's product used (copilot, api); stored as the platform.",
    )


class CodingVibezTokensIngest(_IngestCommon):
    type: Literal["tokens"]
    data: _records(CodingVibezTokenRecord) = Field(
        description=f"One usage record, or a list of 1 to {MAX_BATCH}."
    )


class CodingVibezCostIngest(_IngestCommon):
    type: Literal["cost"]
    data: _records(CodingVibezCostRecord) = Field(
        description=f"One spend, or a list of 1 to {MAX_BATCH}; each is stored as an event "
        "with its amount as the reported cost and zero tokens."
    )


class CodingVibezIngestBody(RootModel):
    """`POST /api/ingest`: `{type, service, data, project?, product?}`, record by record."""

    root: Annotated[CodingVibezTokensIngest | CodingVibezCostIngest, Field(discriminator="type")]


# --- Errors, named in the client's vocabulary ------------------------------------------


class CodingVibezInvalid(Exception):
    """Bad input; each error names the field as the client sent it."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @property
    def message(self) -> str:
        return str(self)


# Ordered: the compound phrase must be replaced before its parts.
_CANONICAL_TO_SEED = (
    ("cache_read_tokens + cache_write_tokens", "cachedTokens"),
    ("cache_read_tokens", "cachedTokens"),
    ("input_tokens", "inputTokens"),
    ("output_tokens", "outputTokens"),
    ("occurred_at", "timestamp"),
)


def _seed_words(text: str) -> str:
    for canonical, seed in _CANONICAL_TO_SEED:
        text = text.replace(canonical, seed)
    return text


def _path(parts: Iterable[Any]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _pydantic_errors(exc: ValidationError, *, tagged: bool = False) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        # Union tags (the ingest `type`, "one"/"many" records) are how we parse, not where
        # the client erred.
        loc = list(error["loc"])
        if tagged and loc and loc[0] in ("tokens", "cost"):
            loc = loc[1:]
        if len(loc) >= 2 and loc[0] == "data" and loc[1] in ("one", "many"):
            del loc[1]
        message = error["msg"]
        if error["type"] == "json_invalid":
            loc, message = [], f"Malformed JSON: {error.get('ctx', {}).get('error', message)}"
        elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc, message = ["type"], 'must be "tokens" or "cost"'
        elif error["type"] in ("model_type", "model_attributes_type"):
            message = "Expected a JSON object" + (" or a list of them" if loc == ["data"] else "")
        errors.append(FieldError(field=_seed_words(_path(loc)), message=message))
    return errors


# --- Bodies -> events ------------------------------------------------------------------


_TOP_LEVEL = ("service", "project", "product", "provider")


def _event_errors(exc: ValidationError, names: dict[str, str]) -> list[FieldError]:
    """EventInput's own errors (lengths, NUL, dates) in seed names, relative to the record."""
    errors = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "body"
        if "field" in error.get("ctx", {}):  # a metadata check naming the client's field
            field = str(error["ctx"]["field"])
        seed_field = names.get(field, _seed_words(field))
        message = error["msg"].removeprefix("Value error, ")
        errors.append(FieldError(field=seed_field, message=_seed_words(message)))
    return errors


def _event(location: tuple[Any, ...], names: dict[str, str], **fields: Any) -> EventInput:
    """Build one EventInput; a bad field is a CodingVibezInvalid naming it."""
    try:
        return EventInput(**fields)
    except ValidationError as exc:
        errors = [
            FieldError(
                field=_path((e.field,) if e.field in _TOP_LEVEL else (*location, e.field)),
                message=e.message,
            )
            for e in _event_errors(exc, names)
        ]
        raise CodingVibezInvalid(errors) from None


def _record_event(names: dict[str, str], **fields: Any) -> EventInput | InvalidEvent:
    """One record's event, or its errors; a bad service, project or product (common to
    every record) refuses the request."""
    try:
        return EventInput(**fields)
    except ValidationError as exc:
        errors = _event_errors(exc, names)
        common = [error for error in errors if error.field in _TOP_LEVEL]
        if common:
            raise CodingVibezInvalid(common) from None
        return InvalidEvent(tuple(errors))


def _metadata(*parts: dict[str, Any] | None) -> dict[str, Any] | None:
    merged = {key: value for part in parts if part for key, value in part.items()}
    return merged or None


def track_parse(raw: bytes) -> tuple[CodingVibezTrackBody, EventInput]:
    """The track body and its event; raises CodingVibezInvalid naming each bad field."""
    try:
        body = CodingVibezTrackBody.model_validate_json(raw)
    except ValidationError as exc:
        raise CodingVibezInvalid(_pydantic_errors(exc)) from None
    event = _event(
        (),
        {"total_cost": "cost"},
        provider=body.provider,
        model=body.model,
        input_tokens=body.inputTokens,
        output_tokens=body.outputTokens,
        cache_read_tokens=body.cachedTokens,
        total_cost=body.cost,
        currency=body.currency,
        metadata=_metadata(body.model_extra),
    )
    return body, event


@dataclass(frozen=True)
class IngestRequest:
    kind: str  # "tokens" | "cost"
    service: str
    events: list[EventInput | InvalidEvent]  # a list's invalid records in their place
    single: bool  # `data` was one object, not a list: errors say data.x, not data[0].x

    def record_path(self, index: int | None, field: str) -> str:
        where = "data" if self.single else f"data[{index or 0}]"
        return where if field == "body" else f"{where}.{field}"


def ingest_parse(raw: bytes) -> IngestRequest:
    """`POST /api/ingest` into events; raises CodingVibezInvalid naming each bad field."""
    try:
        body = CodingVibezIngestBody.model_validate_json(raw).root
    except ValidationError as exc:
        raise CodingVibezInvalid(_pydantic_errors(exc, tagged=True)) from None
    single = not isinstance(body.data, list)
    records = [body.data] if single else body.data
    common = {
        "provider": body.service,
        "project": body.project,
        "platform": body.product,
    }
    names = {"provider": "service", "platform": "product"}
    events: list[EventInput | InvalidEvent] = []
    for record in records:
        if isinstance(record, InvalidRecord):
            events.append(InvalidEvent(record.errors))
        elif isinstance(record, CodingVibezTokenRecord):
            events.append(
                _record_event(
                    {**names, "total_cost": "cost"},
                    **common,
                    model=record.model,
                    input_tokens=record.inputTokens,
                    output_tokens=record.outputTokens,
                    cache_read_tokens=record.cachedTokens,
                    total_cost=record.cost,
                    currency=record.currency,
                    occurred_at=record.timestamp,
                    id=record.id,
                    metadata=_metadata(body.model_extra, record.model_extra),
                )
            )
        else:
            events.append(
                _record_event(
                    {**names, "total_cost": "amount"},
                    **common,
                    model=record.model or UNSPECIFIED_MODEL,
                    input_tokens=0,
                    output_tokens=0,
                    total_cost=record.amount,
                    currency=record.currency,
                    occurred_at=record.timestamp,
                    id=record.id,
                    metadata=_metadata(
                        body.model_extra,
                        record.model_extra,
                        {"description": record.description} if record.description else None,
                    ),
                )
            )
    return IngestRequest(kind=body.type, service=body.service, events=events, single=single)


def service_errors(errors: Iterable[FieldError], path: Any) -> CodingVibezInvalid:
    """The ingest service's errors (token conventions, future dates) in seed names.

    `path(index, field)` places a per-event error; the service names canonical fields.
    """
    return CodingVibezInvalid(
        [
            FieldError(
                field=path(error.index, _seed_words(error.field)),
                message=_seed_words(error.message),
            )
            for error in errors
        ]
    )


def provider_slug(reported: str) -> str:
    """The provider as stored (and as every aggregate groups it): "OpenAI" -> "openai"."""
    return provider_canonical(reported)


# --- Data freshness --------------------------------------------------------------------

FRESH_FOR = timedelta(minutes=15)
STALE_FOR = timedelta(minutes=60)
Freshness = Literal["fresh", "stale", "very_stale", "no_data"]


def freshness_label(latest: datetime | None, now: datetime) -> Freshness:
    """CodingVibez's labels: fresh < 15 min since the latest event, stale 15-60, very_stale
    beyond, no_data without events. An event dated ahead (clock skew) counts as fresh."""
    if latest is None:
        return "no_data"
    age = now - latest
    if age < FRESH_FOR:
        return "fresh"
    if age <= STALE_FOR:
        return "stale"
    return "very_stale"


# --- Reads -----------------------------------------------------------------------------
# Not aggregates: one index lookup and a count over the small pending buffer. They belong
# with usage/selectors.py; they live here until that module takes them.
