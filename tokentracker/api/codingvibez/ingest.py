"""CodingVibez ingest doors: `POST /api/tokens/track` and `POST /api/ingest`.

Both translate the body (`bodies`) and call `ingest.events_record`, the one ingest
service, so pricing, token conventions, quotas and rollups are the same as on every
other door. CodingVibez answers 200 on success (its seed lists no 201).
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker import metrics
from tokentracker.api.base import CodingVibezView
from tokentracker.api.codingvibez.bodies import (
    CodingVibezIngestBody,
    CodingVibezInvalid,
    CodingVibezTrackBody,
    ingest_parse,
    provider_slug,
    service_errors,
    track_parse,
)
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.parsers import JSONParser
from usage.models import CostSource
from usage.rollups import rollups_flush
from usage.schemas import EventInput, EventsInvalid, InvalidEvent
from usage.services import events as ingest

from .schemas import (
    CodingVibezIngested,
    CodingVibezRecordError,
    CodingVibezTracked,
    enveloped,
    errors,
)
from .values import iso, money

TAGS = ["codingvibez"]


class _JsonIngestView(CodingVibezView):
    # Bodies are validated from the raw JSON bytes (exact decimals for costs); declaring
    # only JSON keeps the schema from offering form encodings we would not read.
    parser_classes = [JSONParser]


def _invalid(exc: CodingVibezInvalid) -> ApiError:
    # The CodingVibez error body has only a message, so it carries every field's name.
    return ApiError(
        Kind.VALIDATION,
        exc.message,
        details={"errors": [error.model_dump(exclude_none=True) for error in exc.errors]},
    )


def _record(
    view: CodingVibezView,
    events: Sequence[EventInput | InvalidEvent],
    received_at: datetime,
    path: Callable[[int | None, str], str],
    door: str,
) -> ingest.IngestResult:
    try:
        return ingest.events_record(
            organization_id=view.organization_id,
            api_key_id=view.api_key_id,
            events=events,
            received_at=received_at,
            door=door,
            livemode=view.livemode,
        )
    except EventsInvalid as exc:
        raise _invalid(service_errors(exc.errors, path)) from None


class TrackView(_JsonIngestView):
    @extend_schema(
        operation_id="codingvibez_tokens_track",
        summary="Track one LLM call (CodingVibez)",
        description=(
            "Records one call through the same ingest as every other door: priced from the "
            "catalog at the call's time unless `cost` is given, cached tokens handled per "
            "provider. The event is written before the response in every case; `flush: "
            "true` additionally merges the hourly aggregates first, so a read right after "
            "counts it (without flush they catch up within seconds)."
        ),
        request=CodingVibezTrackBody,
        responses={200: enveloped(CodingVibezTracked), **errors(400, 401, 403, 413, 429)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        try:
            body, event = track_parse(request.body)
        except CodingVibezInvalid as exc:
            raise _invalid(exc) from None
        received_at = timezone.now()
        result = _record(
            self, [event], received_at, lambda _index, field: field, metrics.DOOR_TOKENS_TRACK
        )
        flushed = body.flush and rollups_flush()
        if result.unpriced:
            cost, source = None, CostSource.UNPRICED
        else:
            cost = money(result.total_cost)
            source = CostSource.REPORTED if body.cost is not None else CostSource.CATALOG
        tracked = CodingVibezTracked(
            id=str(result.event_ids[0]),
            provider=provider_slug(event.provider),
            model=event.model,
            inputTokens=event.input_tokens,
            outputTokens=event.output_tokens,
            cachedTokens=event.cache_read_tokens or 0,
            cost=cost,
            costSource=source,
            timestamp=iso(received_at),
            flushed=flushed,
        )
        return self.envelope(tracked.model_dump())


class IngestView(_JsonIngestView):
    @extend_schema(
        operation_id="codingvibez_ingest",
        summary="Integration ingest: token usage or plain spend (CodingVibez)",
        description=(
            '`type: "tokens"`: `data` is one usage record or a list (model, inputTokens, '
            "outputTokens, cachedTokens?, cost?, timestamp?, id?), priced like "
            '/api/tokens/track. `type: "cost"`: `data` is one spend or a list (amount, '
            "model?, timestamp?, description?, id?), each stored as an event whose cost is "
            "the amount as reported and whose tokens are zero. `service` is the provider, "
            "`project` the project and `product` the platform of every record. A list is "
            "judged record by record: the valid records are written and each invalid one is "
            "answered in `errors` with its index, e.g. `data[2].inputTokens` (`rejected` > "
            "0); when no record is valid the answer is a 400 naming every bad field and "
            "nothing is written. Fields the seed does not name are kept in metadata."
        ),
        request=CodingVibezIngestBody,
        responses={200: enveloped(CodingVibezIngested), **errors(400, 401, 403, 413, 429)},
        examples=[
            OpenApiExample(
                "Token usage",
                request_only=True,
                value={
                    "type": "tokens",
                    "service": "anthropic",
                    "project": "support-bot",
                    "product": "api",
                    "data": [
                        {
                            "model": "claude-sonnet-4",
                            "inputTokens": 1200,
                            "outputTokens": 300,
                            "cachedTokens": 5000,
                            "timestamp": "2026-01-15T10:30:00Z",
                        }
                    ],
                },
            ),
            OpenApiExample(
                "Spend without tokens",
                request_only=True,
                value={
                    "type": "cost",
                    "service": "cursor",
                    "data": {"amount": 20, "description": "Pro seat", "timestamp": "2026-01-01"},
                },
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        try:
            ingest = ingest_parse(request.body)
        except CodingVibezInvalid as exc:
            raise _invalid(exc) from None
        result = _record(
            self, ingest.events, timezone.now(), ingest.record_path, metrics.DOOR_INGEST
        )
        rejections = service_errors(result.errors, ingest.record_path).errors
        ingested = CodingVibezIngested(
            type=ingest.kind,
            service=provider_slug(ingest.service),
            recorded=result.created,
            duplicates=result.duplicates,
            unpriced=result.unpriced,
            totalCost=money(result.total_cost),
            ids=[str(event_id) for event_id in result.event_ids],
            rejected=result.rejected,
            errors=[
                CodingVibezRecordError(index=error.index, field=path.field, message=path.message)
                for error, path in zip(result.errors, rejections, strict=True)
            ],
        )
        return self.envelope(ingested.model_dump())
