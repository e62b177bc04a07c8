from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker import metrics
from tokentracker.api.base import NativeViewSet
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.pagination import CursorPagination
from usage.models import UsageEvent
from usage.schemas import EventsBody, EventsCreated, EventsInvalid, events_parse
from usage.services import events as ingest

from .filters import UsageEventFilter
from .serializers import UsageEventSerializer

IDEMPOTENCY_KEY_MAX = 200


class EventCursorPagination(CursorPagination):
    # Cursor pagination: no COUNT(*) over millions of rows, stable under concurrent inserts.
    ordering = ("-occurred_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


def _error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=description)


@extend_schema_view(
    list=extend_schema(summary="List usage events", tags=["events"]),
    retrieve=extend_schema(summary="One usage event", tags=["events"]),
)
class UsageEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NativeViewSet):
    queryset = UsageEvent.objects.all()
    serializer_class = UsageEventSerializer
    filterset_class = UsageEventFilter
    pagination_class = EventCursorPagination
    lookup_field = "uuid"

    @extend_schema(
        summary="Report one usage event or a batch",
        description=(
            'MyTokenTracker\'s `POST /api/v1/events`: one Event or `{"events": [...]}` with up '
            "to 500. A batch is judged event by event: the valid events are written and each "
            "invalid one is answered in `errors` with its index, field and reason (201 with "
            "`rejected` > 0); when no event is valid the answer is a 422 and nothing is "
            "written. Fields may be spelled in snake_case or camelCase (`inputTokens`), "
            "whole numbers may be written 1200.0, and unknown fields are kept in `metadata`. "
            "Send an `id` per event, or an `Idempotency-Key` header per request, to make "
            "retries count once; a replay repeats the whole answer, rejections included."
        ),
        request=EventsBody,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="A retry with the same key and body replays the first response.",
            )
        ],
        responses={
            201: EventsCreated,
            401: _error_response("Invalid or missing API token"),
            403: _error_response("The API key is read-only"),
            409: _error_response("Idempotency-Key reused with a different body"),
            422: _error_response(
                "No event is valid, or the body is no event or batch; details.errors names "
                "each bad field (with its index in a batch)"
            ),
            429: _error_response("Daily log limit reached"),
        },
        tags=["events"],
    )
    def create(self, request: Request) -> Response:
        idempotency_key = request.headers.get("Idempotency-Key") or None
        if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise ApiError(
                Kind.VALIDATION,
                f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} characters.",
                details={"errors": [{"field": "Idempotency-Key", "message": "too long"}]},
            )
        raw = request.body  # too large: RequestDataTooBig, a 413 (tokentracker.api.errors)
        is_batch = False
        try:
            events, is_batch = events_parse(raw)
            result = ingest.events_record(
                organization_id=self.organization_id,
                api_key_id=self.api_key_id,
                events=events,
                idempotency_key=idempotency_key,
                body_digest=ingest.request_digest(raw),
                door=metrics.DOOR_EVENTS,
                livemode=self.livemode,
            )
        except EventsInvalid as exc:
            raise ApiError(
                Kind.VALIDATION,
                f"Validation failed: {len(exc.errors)} invalid field(s).",
                details={
                    "errors": [
                        e.model_dump(exclude_none=True, exclude=None if is_batch else {"index"})
                        for e in exc.errors
                    ]
                },
            ) from None
        except ingest.IdempotencyKeyReused:
            raise ApiError(
                Kind.CONFLICT,
                "This Idempotency-Key was already used with a different request body.",
            ) from None
        response = Response(result.as_response(), status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response
