"""Tokenwise's wire format (seed 003): camelCase bodies, validated and documented once.

Field names are the seed's exactly; drf-spectacular documents these models as they are.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from usage.schemas import MAX_TOKENS, whole_int

TokenCount = whole_int(ge=0, le=MAX_TOKENS)
RANGES = {"24h": 1, "7d": 7, "30d": 30, "90d": 90, "180d": 180}  # days
RangeName = Literal["24h", "7d", "30d", "90d", "180d"]
MAX_LIMIT = 100
# Far beyond any real log; keeps OFFSET inside a 64-bit integer whatever a client sends.
MAX_PAGE = 10**9


def _text(max_length: int, *, min_length: int = 0) -> Any:
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)
    ]


class TokenwiseObservation(BaseModel):
    """The body the Tokenwise SDK sends to `POST /api/v1/observe`, one call per request.

    Fields not named here are kept in the event's metadata, never dropped."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    provider: _text(64, min_length=1) = Field(examples=["openai"])
    model: _text(200, min_length=1) = Field(examples=["gpt-4o"])
    input: Any = Field(
        default=None,
        description="The request body sent upstream. Stored, encrypted, only when the "
        "workspace has payload storage on.",
    )
    output: Any = Field(default=None, description="The upstream response body. As `input`.")
    inputTokens: TokenCount | None = Field(
        default=None,
        description=(
            "Prompt tokens as the provider reports them: OpenAI and Google include cached "
            "tokens in this number, Anthropic does not."
        ),
    )
    outputTokens: TokenCount | None = None
    cachedInputTokens: TokenCount | None = Field(default=None, description="Cache reads.")
    cacheCreationTokens: TokenCount | None = Field(default=None, description="Cache writes.")
    latencyMs: whole_int(ge=0, le=2_147_483_647) | None = None
    status: Literal["success", "error"] | None = None
    statusCode: whole_int(ge=100, le=599) | None = None
    errorMessage: _text(10_000) | None = None
    tag: _text(200) | None = Field(
        default=None, description="The feature that made the call; reported as its endpoint."
    )


def _as_utc(moment: datetime) -> datetime:
    # UTC when it has no offset. 9999-12-31T23:59:59-12:00 is a valid ISO 8601 value whose
    # UTC moment is past datetime's range: a bad parameter, not a 500.
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("date is out of range once converted to UTC") from None


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class RequestsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    model: _text(200) | None = None
    status: Literal["success", "error"] | None = None
    from_: UtcDatetime | None = Field(default=None, alias="from")
    to: UtcDatetime | None = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50


class RangeQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    range: RangeName = "7d"


class TokenwiseRequest(BaseModel):
    """One logged LLM call (seed 003 `Request`)."""

    id: UUID
    workspaceId: UUID
    timestamp: datetime
    provider: str
    model: str
    inputTokens: int | None = Field(
        description="The whole prompt: uncached, cache-read and cache-write tokens, whatever "
        "the provider's convention (Anthropic reports cache reads and writes apart). Null "
        "when the call was observed without any token count (a failed call); when some "
        "count was sent, a missing one is 0."
    )
    outputTokens: int | None = Field(
        description="Output tokens, reasoning included; null as inputTokens."
    )
    totalTokens: int | None = Field(description="inputTokens + outputTokens; null as inputTokens.")
    cost: float | None = Field(
        description="In the organization's reporting currency; null when the request has no "
        "cost in it (a model with no known price, or an amount with no exchange rate), or "
        "when no token count was sent (nothing to price)."
    )
    latencyMs: int | None
    status: Literal["success", "error"]
    statusCode: int | None
    errorMessage: str | None
    cacheHit: bool
    metadata: dict[str, Any] | None
    inputPayload: Any = Field(
        default=None,
        description="Original request body (decrypted server-side). Omitted when "
        "workspace.payloadStorageEnabled = false.",
    )
    outputPayload: Any = Field(
        default=None, description="Upstream response body. Same opt-out as inputPayload."
    )


class TokenwiseRequestPage(BaseModel):
    data: list[TokenwiseRequest]
    total: int
    page: int
    limit: int


_UNPRICED = (
    "Requests with no cost in the reporting currency (a model with no known price, or an "
    "amount with no exchange rate): counted in requests, not in cost."
)
_PRICED_COST = (
    "In the organization's reporting currency: the cost of the priced requests (see "
    "unpricedRequests)."
)


class TokenwiseModelMetrics(BaseModel):
    model: str
    requests: int
    cost: float = Field(description=_PRICED_COST)
    unpricedRequests: int = Field(description=_UNPRICED)


class TokenwiseMetrics(BaseModel):
    totalRequests: int
    totalCost: float = Field(description=_PRICED_COST)
    unpricedRequests: int = Field(description=_UNPRICED)
    avgLatencyMs: int
    errorRate: float = Field(description="0-1")
    byModel: list[TokenwiseModelMetrics]


class TokenwiseEval(BaseModel):
    id: UUID
    promptGroupId: UUID
    requestId: UUID | None
    overallScore: float = Field(description="0-100")
    scores: dict[str, float] = Field(description="Per-criterion score map (0-100).")
    reasoning: str | None
    judgeModel: str
    createdAt: datetime


class TokenwiseEvalList(BaseModel):
    data: list[TokenwiseEval]


class TokenwiseError(BaseModel):
    error: str = Field(description="Human-readable message")


def error_message(exc: ValidationError, *, rename: dict[str, str] | None = None) -> str:
    """Every problem in one line, each naming the field as the client spelled it."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        field = (rename or {}).get(field, field)
        if error["type"] == "json_invalid":
            problems.append("Malformed JSON body")
        elif error["type"] in ("model_type", "model_attributes_type"):
            problems.append("Body must be a JSON object")
        else:
            problems.append(f"{field}: {error['msg']}")
    return "; ".join(problems)
