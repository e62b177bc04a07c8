"""Tokenwise's public API (seed 003) and its SDK's ingest, served verbatim.

Every view is a `TokenwiseView` (errors as `{"error": "..."}`, scoped to the key's
organization). The three reads are limited per plan (`PlanRateLimited`): Tokenwise
documents 1,000/hour on Indie and 10,000/hour on Pro, with X-RateLimit-* headers on every
read. Ingest (`POST /api/v1/observe`) is not: sharing that budget would let an app that
reads its own metrics starve its own logging. Observe is limited by the plan's daily event
quota, like every ingest door (429 `{"error": "Daily event limit reached"}`, Retry-After
until the next UTC midnight).
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import ValidationError
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker import metrics
from tokentracker.api.base import TokenwiseView
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.ratelimit import PlanRateLimited
from tokentracker.api.render import number, number_or_none
from usage.models import CostSource, UsageEvent
from usage.schemas import EventInput, EventsInvalid
from usage.selectors.requests import (
    REQUEST_STATUSES,
    DecryptedPayload,
    Workspace,
    evals_since,
    request_get,
    request_payloads,
    request_status,
    requests_filter,
    workspace_get,
)
from usage.selectors.usage import UsageScope, usage_by, usage_totals
from usage.services.observations import observation_record

from .schemas import (
    MAX_LIMIT,
    RANGES,
    RangeQuery,
    RequestsQuery,
    TokenwiseError,
    TokenwiseEvalList,
    TokenwiseMetrics,
    TokenwiseObservation,
    TokenwiseRequest,
    TokenwiseRequestPage,
    error_message,
)

# The seed's eval list has no pagination; this keeps a 180-day window's answer bounded.
MAX_EVALS = 1000
PAYLOAD_FIELDS = {"inputPayload", "outputPayload"}

# The ingest service names fields as EventInput does; a Tokenwise client knows these.
OBSERVE_FIELD_NAMES = {
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_read_tokens": "cachedInputTokens",
    "cache_write_tokens": "cacheCreationTokens",
    "latency_ms": "latencyMs",
    "status_code": "statusCode",
    "error_message": "errorMessage",
    "endpoint": "tag",
}

_UNAUTHORIZED = OpenApiResponse(TokenwiseError, "Missing, malformed, or revoked API key.")
_RATE_LIMITED = OpenApiResponse(
    TokenwiseError,
    "Plan rate limit hit (`Retry-After` says when to retry). Every response carries "
    "X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds).",
)
_BAD_REQUEST = OpenApiResponse(TokenwiseError, "A parameter is invalid; the message names it.")
_RANGE = OpenApiParameter(
    "range", str, enum=list(RANGES), description="Time window. Default: 7d.", default="7d"
)


def _parse_query(model: type, request: Request) -> Any:
    try:
        return model.model_validate(dict(request.query_params.items()))
    except ValidationError as exc:
        raise ApiError(Kind.VALIDATION, error_message(exc)) from None


def _window_start(range_name: str) -> datetime:
    return timezone.now() - timedelta(days=RANGES[range_name])


def request_row(
    event: UsageEvent, workspace: Workspace, payload: DecryptedPayload | None
) -> dict[str, Any]:
    known = event.tokens_reported
    reported = event.cost_source == CostSource.REPORTED
    metadata = event.metadata
    if event.endpoint:
        # Observe stores Tokenwise's tag as the endpoint; hand it back where a client looks.
        metadata = {**(metadata or {}), "tag": event.endpoint}
    row = TokenwiseRequest(
        id=event.uuid,
        workspaceId=workspace.uuid,
        timestamp=event.occurred_at,
        provider=event.provider,
        model=event.model,
        # Counts the client never sent are unknown (seed 003 makes these nullable), and so
        # is a cost computed from them: null, not 0. inputTokens is the whole prompt, not
        # the count as reported: Anthropic's leaves cache reads and writes out, and
        # totalTokens must be inputTokens + outputTokens for every provider.
        inputTokens=(
            event.uncached_input_tokens + event.cache_read_tokens + event.cache_write_tokens
            if known
            else None
        ),
        outputTokens=event.output_tokens if known else None,
        totalTokens=event.total_tokens if known else None,
        cost=number_or_none(event.total_cost if known or reported else None),
        latencyMs=event.latency_ms,
        status=request_status(event.outcome),
        statusCode=event.status_code,
        errorMessage=event.error_message or None,
        cacheHit=event.cache_hit,
        metadata=metadata,
        inputPayload=payload.input if payload else None,
        outputPayload=payload.output if payload else None,
    )
    # The seed: payloads are omitted, not null, when the workspace does not store them.
    exclude = None if workspace.payload_storage_enabled else PAYLOAD_FIELDS
    return row.model_dump(mode="json", exclude=exclude)


class TokenwiseRateLimitedView(PlanRateLimited, TokenwiseView):
    rate_limit_scope = "tokenwise"


class RequestListView(TokenwiseRateLimitedView):
    @extend_schema(
        summary="List logged LLM requests",
        description=(
            "Paginated list of every LLM call in your workspace, newest first. Payloads "
            "(input/output) are decrypted on read and only included when payload storage "
            "is on for the workspace. `from` and `to` are inclusive."
        ),
        parameters=[
            OpenApiParameter("model", str, description="Filter by model name (exact match)."),
            OpenApiParameter("status", str, enum=list(REQUEST_STATUSES)),
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="ISO 8601 timestamp."),
            OpenApiParameter("to", OpenApiTypes.DATETIME),
            OpenApiParameter("page", int, default=1, description="From 1."),
            OpenApiParameter("limit", int, default=50, description=f"1 to {MAX_LIMIT}."),
        ],
        responses={
            200: TokenwiseRequestPage,
            400: _BAD_REQUEST,
            401: _UNAUTHORIZED,
            429: _RATE_LIMITED,
        },
        tags=["Tokenwise: Requests"],
    )
    def get(self, request: Request) -> Response:
        query: RequestsQuery = _parse_query(RequestsQuery, request)
        start, end = query.from_, query.to  # UTC (UtcDatetime)
        if start and end and start > end:
            raise ApiError(Kind.VALIDATION, "from must not be after to")
        events = requests_filter(
            organization_id=self.organization_id,
            model=query.model,
            status=query.status,
            start=start,
            end=end,
        )
        offset = (query.page - 1) * query.limit
        page = list(events[offset : offset + query.limit])
        total = events.count()
        workspace = workspace_get(self.organization_id)
        payloads = (
            request_payloads([event.uuid for event in page])
            if workspace.payload_storage_enabled and page
            else {}
        )
        return Response(
            {
                "data": [request_row(e, workspace, payloads.get(e.uuid)) for e in page],
                "total": total,
                "page": query.page,
                "limit": query.limit,
            }
        )


class MetricsView(TokenwiseRateLimitedView):
    @extend_schema(
        summary="Aggregate cost / latency / error metrics",
        description=(
            "Roll-up of workspace traffic for the requested window, read from hourly rollups: "
            "the window is widened to the whole UTC hours it touches."
        ),
        parameters=[_RANGE],
        responses={
            200: TokenwiseMetrics,
            400: _BAD_REQUEST,
            401: _UNAUTHORIZED,
            429: _RATE_LIMITED,
        },
        tags=["Tokenwise: Metrics"],
    )
    def get(self, request: Request) -> Response:
        query: RangeQuery = _parse_query(RangeQuery, request)
        scope = UsageScope.covering(
            self.organization_id, _window_start(query.range), timezone.now()
        )
        totals = usage_totals(scope)
        average = totals.average_latency_ms
        # The seed types these costs as numbers (not nullable): each is the priced part,
        # and unpricedRequests beside it counts the requests it leaves out.
        metrics = TokenwiseMetrics(
            totalRequests=totals.events,
            totalCost=number(totals.cost),
            unpricedRequests=totals.unpriced_events,
            avgLatencyMs=round(average) if average is not None else 0,
            errorRate=totals.error_rate,
            byModel=[
                {
                    "model": dims["model"],
                    "requests": sums.events,
                    "cost": number(sums.cost),
                    "unpricedRequests": sums.unpriced_events,
                }
                for dims, sums in usage_by(scope, "model")
            ],
        )
        return Response(metrics.model_dump(mode="json"))


class EvalListView(TokenwiseRateLimitedView):
    @extend_schema(
        summary="List recent eval-run scores",
        description=(
            "LLM-as-judge quality scores recorded with `POST /api/v1/evals`, newest first "
            f"(at most {MAX_EVALS})."
        ),
        parameters=[_RANGE],
        responses={
            200: TokenwiseEvalList,
            400: _BAD_REQUEST,
            401: _UNAUTHORIZED,
            429: _RATE_LIMITED,
        },
        tags=["Tokenwise: Evals"],
    )
    def get(self, request: Request) -> Response:
        query: RangeQuery = _parse_query(RangeQuery, request)
        runs = evals_since(
            organization_id=self.organization_id,
            since=_window_start(query.range),
            limit=MAX_EVALS,
        )
        data = [
            {
                "id": run.uuid,
                "promptGroupId": run.prompt_group_id,
                "requestId": run.event_id,
                "overallScore": run.overall_score,
                "scores": run.scores,
                "reasoning": run.reasoning or None,
                "judgeModel": run.judge_model,
                "createdAt": run.created_at,
            }
            for run in runs
        ]
        return Response(TokenwiseEvalList(data=data).model_dump(mode="json"))


def _event_input(body: TokenwiseObservation) -> EventInput:
    success = None if body.status is None else body.status == "success"
    return EventInput(
        provider=body.provider,
        model=body.model,
        # Passed through in the provider's own convention (the SDK forwards what the
        # provider returned); events_record normalises cached tokens per provider.
        input_tokens=body.inputTokens or 0,
        output_tokens=body.outputTokens or 0,
        # A failed call often comes back with no usage at all: remember that the zeros
        # above are not counts, so the request log says null, as the client sent.
        tokens_reported=any(
            count is not None
            for count in (
                body.inputTokens,
                body.outputTokens,
                body.cachedInputTokens,
                body.cacheCreationTokens,
            )
        ),
        cache_read_tokens=body.cachedInputTokens,
        cache_write_tokens=body.cacheCreationTokens,
        latency_ms=body.latencyMs,
        success=success,
        status=body.status,
        status_code=body.statusCode,
        error_message=body.errorMessage,
        # A tag names the feature that made the call, which is what our `endpoint`
        # dimension is: it shows up in by-endpoint analytics and filters on every surface.
        endpoint=body.tag or None,
        metadata=body.model_extra or None,
    )


def _tokenwise_names(message: str) -> str:
    for ours, theirs in OBSERVE_FIELD_NAMES.items():
        message = message.replace(ours, theirs)
    return message


class ObserveView(TokenwiseView):
    @extend_schema(
        summary="Record one LLM call (Tokenwise SDK ingest)",
        description=(
            "What the Tokenwise SDK sends after each call. Token counts follow the provider's "
            "convention (OpenAI/Google include cached tokens in `inputTokens`, Anthropic does "
            "not). `tag` is recorded as the call's endpoint. `input`/`output` are kept, "
            "encrypted, only when the workspace has payload storage on. Counts may be written "
            "as whole floats (1200.0); other fields are kept in the request's metadata. "
            "Answers the logged request."
        ),
        request=TokenwiseObservation,
        responses={
            201: TokenwiseRequest,
            400: _BAD_REQUEST,
            401: _UNAUTHORIZED,
            403: OpenApiResponse(TokenwiseError, "The API key is read-only."),
            413: OpenApiResponse(TokenwiseError, "Body too large."),
            429: OpenApiResponse(
                TokenwiseError,
                "The plan's daily event quota is used up (`Retry-After`: seconds until the "
                "next UTC midnight). Observe is not counted against the hourly read limit.",
            ),
        },
        tags=["Tokenwise: Ingest"],
    )
    def post(self, request: Request) -> Response:
        raw = request.body  # too large: RequestDataTooBig, a 413 (tokentracker.api.errors)
        try:
            body = TokenwiseObservation.model_validate_json(raw)
            event = _event_input(body)
        except ValidationError as exc:
            raise ApiError(
                Kind.VALIDATION, error_message(exc, rename=OBSERVE_FIELD_NAMES)
            ) from None
        try:
            observation = observation_record(
                organization_id=self.organization_id,
                api_key_id=self.api_key_id,
                event=event,
                input_payload=body.input,
                output_payload=body.output,
                door=metrics.DOOR_OBSERVE,
            )
        except EventsInvalid as exc:
            message = "; ".join(
                f"{OBSERVE_FIELD_NAMES.get(e.field, e.field)}: {_tokenwise_names(e.message)}"
                for e in exc.errors
            )
            raise ApiError(Kind.VALIDATION, message) from None
        workspace = workspace_get(self.organization_id)
        event_row = request_get(organization_id=self.organization_id, event_id=observation.event_id)
        payload = (
            DecryptedPayload(input=body.input, output=body.output)
            if observation.payload_stored
            else None
        )
        return Response(request_row(event_row, workspace, payload), status=status.HTTP_201_CREATED)
