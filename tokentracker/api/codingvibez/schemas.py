"""Response shapes of the CodingVibez surface, as the seed names them.

Views build their `data` through these models, so the OpenAPI schema drf-spectacular
renders from them is the shape actually served. Money is a JSON number in USD; a cost is
null (never 0) when every event it would sum is of a model the catalog cannot price.
"""

from typing import Any, Literal

from drf_spectacular.utils import OpenApiResponse
from pydantic import BaseModel, Field, create_model

from tokentracker.api.codingvibez.bodies import Freshness


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
        429: "RATE_LIMIT_EXCEEDED: the organization's daily event limit",
    }
    return {
        status: OpenApiResponse(CodingVibezError, description=descriptions[status])
        for status in statuses
    }


class CodingVibezTracked(BaseModel):
    id: str = Field(description="The event's id (a UUID).")
    provider: str = Field(description="As stored: the canonical provider slug.")
    model: str
    inputTokens: int
    outputTokens: int
    cachedTokens: int
    cost: float | None = Field(description="USD; null when the model is not in the catalog.")
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
    unpriced: int = Field(description="Token records of models the catalog cannot price.")
    totalCost: float = Field(description="USD of the events written (priced ones).")
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
    inputTokens: int = Field(description="As the provider reported them, summed.")
    outputTokens: int
    cachedTokens: int = Field(description="Cache-read tokens.")
    totalTokens: int = Field(description="Uncached input + cache read/write + output.")
    cost: float | None
    requests: int
    unpricedRequests: int = Field(description="Requests whose cost is unknown (not in cost).")


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
    cost: float | None


class CodingVibezTimeseriesAggregations(BaseModel):
    totalTokens: int
    totalCost: float
    requests: int
    unpricedRequests: int
    days: int
    averageDailyTokens: float
    averageDailyCost: float
    peakDay: CodingVibezDayPoint | None = Field(description="The costliest day, if any spend.")


class CodingVibezTimeseries(BaseModel):
    series: list[CodingVibezDayPoint] = Field(description="Every UTC day, empty ones as 0.")
    aggregations: CodingVibezTimeseriesAggregations
    period: CodingVibezPeriod
    lastUpdated: str | None
    dataFreshness: Freshness


class CodingVibezRate(BaseModel):
    tokensPerHour: float
    costPerHour: float
    tokensPerDay: float
    costPerDay: float


class CodingVibezServiceRate(CodingVibezRate):
    totalTokens: int
    totalCost: float
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
    cost: float | None
    tokens: int
    requests: int


class CodingVibezAnalyticsTotals(BaseModel):
    cost: float
    tokens: int
    requests: int
    inputTokens: int
    outputTokens: int
    cachedTokens: int
    unpricedRequests: int


class CodingVibezAnalyticsAverages(BaseModel):
    costPerRequest: float = Field(description="Over priced requests.")
    tokensPerRequest: float
    costPerPeriod: float = Field(description="Per bucket of groupBy, empty ones included.")
    tokensPerPeriod: float
    requestsPerPeriod: float


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
