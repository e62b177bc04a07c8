"""Response shapes of the CodingVibez surface, as the seed names them.

Views build their `data` through these models, so the OpenAPI schema drf-spectacular
renders from them is the shape actually served. Money is a JSON number in the
organization's reporting currency (`Organization.reporting_currency`, USD unless it was
changed); a cost is null (never 0) when every event it would sum is unpriced (no cost in the
reporting currency: a model the catalog cannot price, or an amount with no exchange rate),
and a cost of priced and unpriced events is the priced part with `unpricedRequests` beside
it.

Token fields hold our normalised parts whatever the provider's convention:
`inputTokens` is the whole prompt (uncached + cache read + cache write), `cachedTokens` the
cache reads within it, `outputTokens` includes reasoning, and a total is input + output.
"""

from typing import Any, Literal

from drf_spectacular.utils import OpenApiResponse
from pydantic import BaseModel, Field, create_model

from tokentracker.api.codingvibez.bodies import Freshness

_INPUT = (
    "The whole prompt: uncached, cache-read and cache-write tokens, whatever the provider's "
    "convention (OpenAI and Google count cached tokens inside their prompt count, Anthropic "
    "reports them apart)."
)
_OUTPUT = "Output tokens, reasoning included."
_CACHED = "Cache-read tokens: a part of inputTokens, not in addition to it."
_NULL_COST = "null when every request is unpriced."
_IN_CURRENCY = "In the organization's reporting currency"
_COST = _IN_CURRENCY + ": the cost of the priced requests; " + _NULL_COST
_UNPRICED = (
    "Requests with no cost in the reporting currency (a model with no known price, or an "
    "amount with no exchange rate): counted in requests and tokens, not in cost."
)


class CodingVibezError(BaseModel):
    success: Literal[False]
    error: str = Field(description="Human-readable; names the field for validation errors.")
    code: str = Field(examples=["VALIDATION_ERROR"])
    requestId: str


def enveloped(data: type[BaseModel]) -> type[BaseModel]:
    """`{success: true, data, timestamp, requestId}` around `data`, for the schema."""
    return create_model(
        f"{data.__name__}Envelope",
        success=(Literal[True], ...),
        data=(data, ...),
        timestamp=(str, Field(description="ISO 8601, UTC.")),
        requestId=(str, ...),
    )


def errors(*statuses: int) -> dict[int, Any]:
    descriptions = {
        400: "VALIDATION_ERROR: the message names the bad field (every record's, when no "
        "record of /api/ingest is valid); nothing was written",
        401: "AUTHENTICATION_ERROR: no valid API key or session",
        403: "AUTHORIZATION_ERROR: read-only key or viewer member on a write",
        413: "VALIDATION_ERROR: body too large",
        503: "INTEGRATION_ERROR: billing is not configured on this server, or Stripe refused "
        "the request or could not be reached (the message says which and is Stripe's own)",
        429: (
            "RATE_LIMIT_EXCEEDED: the plan's per-minute limit for this kind of request "
            "(GET, POST, sync, upload; `Retry-After` says when to retry) or, on ingest, the "
            "daily event limit. Every response carries X-RateLimit-Limit, "
            "X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds)."
        ),
    }
    # Every CodingVibez request is rate-limited (tokentracker.api.ratelimit), so every
    # operation can answer 429.
    return {
        status: OpenApiResponse(CodingVibezError, description=descriptions[status])
        for status in sorted({*statuses, 429})
    }


class CodingVibezTracked(BaseModel):
    id: str = Field(description="The event's id (a UUID).")
    provider: str = Field(description="As stored: the canonical provider slug.")
    model: str
    inputTokens: int
    outputTokens: int
    cachedTokens: int
    cost: float | None = Field(
        description=_IN_CURRENCY + "; null when the event has no cost in it (a model the "
        "catalog cannot price, or a cost with no exchange rate for its day)."
    )
    costSource: Literal["reported", "catalog", "unpriced"]
    timestamp: str
    flushed: bool = Field(description="Aggregates already include this event.")


class CodingVibezRecordError(BaseModel):
    index: int = Field(description="The record's place in `data`.")
    field: str = Field(examples=["data[2].inputTokens"])
    message: str


class CodingVibezIngested(BaseModel):
    type: Literal["tokens", "cost"]
    service: str = Field(description="As stored: the canonical provider slug.")
    recorded: int = Field(description="Events written by this request.")
    duplicates: int = Field(description="Records skipped: their id was recorded before.")
    unpriced: int = Field(
        description="Records written with no cost in the reporting currency (a model the "
        "catalog cannot price, or a cost with no exchange rate for its day)."
    )
    totalCost: float = Field(
        description=_IN_CURRENCY + ": the cost of the events written (the priced ones)."
    )
    ids: list[str] = Field(description="The written events' ids, in input order.")
    rejected: int = Field(description="Invalid records of the list, not written.")
    errors: list[CodingVibezRecordError] = Field(
        description="Why each rejected record was refused: its index, field and reason."
    )


class CodingVibezPeriod(BaseModel):
    startDate: str = Field(description="First UTC day counted (YYYY-MM-DD).")
    endDate: str = Field(description="Last UTC day counted, inclusive (YYYY-MM-DD).")
    start: str = Field(description="Exact start of the hours counted (rollups are hourly).")
    end: str = Field(description="Exact end of the hours counted, exclusive.")


class CodingVibezModelTokens(BaseModel):
    """One `tokens` entry: a provider/model's totals over the billing period."""

    provider: str
    model: str
    inputTokens: int = Field(description=_INPUT)
    outputTokens: int = Field(description=_OUTPUT)
    cachedTokens: int = Field(description=_CACHED)
    totalTokens: int = Field(description="inputTokens + outputTokens.")
    cost: float | None = Field(description=_COST)
    requests: int
    unpricedRequests: int = Field(description=_UNPRICED)


class CodingVibezTokens(BaseModel):
    tokens: list[CodingVibezModelTokens] = Field(
        description="Per provider and model over the billing period, costliest first."
    )
    lastUpdated: str | None = Field(description="When the latest event happened.")
    dataFreshness: Freshness
    billingPeriod: CodingVibezPeriod


class CodingVibezDayPoint(BaseModel):
    date: str = Field(description="UTC day (YYYY-MM-DD).")
    totalTokens: int
    cost: float | None = Field(description=_COST)


class CodingVibezTimeseriesAggregations(BaseModel):
    totalTokens: int
    totalCost: float | None = Field(description=_COST)
    requests: int
    unpricedRequests: int = Field(description=_UNPRICED)
    days: int = Field(description="Days in the series.")
    daysElapsed: int = Field(
        description="Days the daily averages divide by: those that have started (today "
        "counted whole), plus any later day already holding usage."
    )
    averageDailyTokens: float
    averageDailyCost: float | None = Field(description="totalCost / days.")
    peakDay: CodingVibezDayPoint | None = Field(description="The costliest day, if any spend.")


class CodingVibezTimeseries(BaseModel):
    series: list[CodingVibezDayPoint] = Field(description="Every UTC day, empty ones as 0.")
    aggregations: CodingVibezTimeseriesAggregations
    period: CodingVibezPeriod
    lastUpdated: str | None
    dataFreshness: Freshness


class CodingVibezRate(BaseModel):
    tokensPerHour: float
    costPerHour: float | None = Field(description="Priced cost per hour; " + _NULL_COST)
    tokensPerDay: float
    costPerDay: float | None = Field(description="Priced cost per day; " + _NULL_COST)
    unpricedRequests: int = Field(description=_UNPRICED)


class CodingVibezServiceRate(CodingVibezRate):
    totalTokens: int
    totalCost: float | None = Field(description=_COST)
    requests: int


class CodingVibezBurnWindow(BaseModel):
    hours: int
    start: str
    end: str


class CodingVibezBurnRate(BaseModel):
    burnRate: CodingVibezRate
    byService: dict[str, CodingVibezServiceRate] = Field(
        description="Keyed by provider, costliest first."
    )
    window: CodingVibezBurnWindow = Field(
        description="The last `hours` UTC hours, the current one included."
    )
    lastUpdated: str | None
    dataFreshness: Freshness


class CodingVibezAnalyticsPoint(BaseModel):
    date: str = Field(
        description="Bucket start: YYYY-MM-DD, or an ISO datetime for groupBy=hour. "
        "Weeks start on Monday."
    )
    cost: float | None = Field(description=_COST)
    tokens: int = Field(description="Input + output tokens.")
    requests: int


class CodingVibezAnalyticsTotals(BaseModel):
    cost: float | None = Field(description=_COST)
    tokens: int = Field(description="inputTokens + outputTokens.")
    requests: int
    inputTokens: int = Field(description=_INPUT)
    outputTokens: int = Field(description=_OUTPUT)
    cachedTokens: int = Field(description=_CACHED)
    unpricedRequests: int = Field(description=_UNPRICED)


class CodingVibezAnalyticsAverages(BaseModel):
    costPerRequest: float | None = Field(description="Over priced requests; " + _NULL_COST)
    tokensPerRequest: float
    costPerPeriod: float | None = Field(
        description="Per elapsed bucket of groupBy (periodsElapsed), empty ones included; "
        + _NULL_COST
    )
    tokensPerPeriod: float
    requestsPerPeriod: float
    periodsElapsed: int = Field(
        description="Buckets the per-period averages divide by: those that have started by "
        "now, the current partly elapsed one counted whole, plus any later bucket that "
        "already holds usage. Buckets still ahead are in `series` as zeros, not counted."
    )


class CodingVibezAnalytics(BaseModel):
    series: list[CodingVibezAnalyticsPoint]
    totals: CodingVibezAnalyticsTotals
    averages: CodingVibezAnalyticsAverages
    groupBy: str
    period: CodingVibezPeriod
    lastUpdated: str | None
    dataFreshness: Freshness


class CodingVibezBuffer(BaseModel):
    size: int = Field(
        description="Events recorded but not yet in the hourly aggregates (pending merge)."
    )
    lastFlush: str | None = Field(
        description="When the aggregates last took in pending events (any organization's); "
        "null when unknown, e.g. after a cache restart."
    )
    lagSeconds: float | None = Field(
        description="The rollup lag /api/health reports: how long the oldest pending events "
        "(any organization's) have waited to be merged, at most; 0 with nothing pending, "
        "null while events are pending and no merge is on record."
    )


class CodingVibezHealthProblem(BaseModel):
    code: str = Field(examples=["AGGREGATION_STALLED"])
    message: str


class CodingVibezTrackingHealth(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"] = Field(
        description="unhealthy: a tracking problem in `errors`; degraded: data is stale or "
        "very stale; healthy otherwise (no_data included: nothing is wrong yet)."
    )
    buffer: CodingVibezBuffer
    dataFreshness: Freshness
    lastUpdated: str | None
    errors: list[CodingVibezHealthProblem]


class CodingVibezOrganization(BaseModel):
    id: str = Field(description="The organization's UUID.")
    name: str
    slug: str = Field(description="Its dashboard address is /o/{slug}/.")
    plan: str
    role: str | None = Field(
        description="The signed-in person's role (owner, admin, member, viewer); null for an "
        "API key, which belongs to the organization rather than to a person."
    )
    current: bool = Field(description="The organization this key or session reads and writes.")
    createdAt: str


class CodingVibezOrganizations(BaseModel):
    organizations: list[CodingVibezOrganization]


class CodingVibezMember(BaseModel):
    id: str = Field(description="The membership's id.")
    email: str | None = Field(description="Null when read with an API key.")
    name: str | None = Field(description="Null when read with an API key.")
    role: str
    joinedAt: str


class CodingVibezInvitation(BaseModel):
    id: str
    email: str
    role: str
    status: Literal["pending", "expired", "accepted", "revoked"]
    invitedBy: str | None = Field(description="The inviter's email.")
    createdAt: str
    expiresAt: str


class CodingVibezTeam(BaseModel):
    organizationId: str
    members: list[CodingVibezMember]
    invitations: list[CodingVibezInvitation] = Field(
        description="Open invitations; listed only to admins and owners (empty otherwise)."
    )


class CodingVibezInvitationBody(BaseModel):
    email: str = Field(examples=["user@example.com"])
    role: Literal["owner", "admin", "member", "viewer"] = Field(
        description="Only an owner may invite an owner."
    )
    organizationId: str | None = Field(
        default=None,
        description=(
            "Signed in: the organization to invite to (`id` from GET /api/organizations); "
            "required when you belong to several. Ignored with an API key."
        ),
    )
