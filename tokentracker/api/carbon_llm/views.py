"""carbon-llm (seed 002): `POST /api/v1/estimate`, `POST /api/v1/track`,
`GET /api/v1/session/{developer_id}/today`, each answering CORS preflights
(django-cors-headers, `CORS_*` settings)."""

import re
import time
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import ValidationError
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from carbon import estimator, factors
from tokentracker import metrics
from tokentracker.api.base import CarbonLlmView
from tokentracker.api.carbon_llm.estimates import (
    EstimateAnswer,
    estimate_answer,
    grams,
    per_1k_tokens_used,
    provider_resolve,
)
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.parsers import JSONParser
from tokentracker.api.render import number
from tokentracker.models import ApiKeyMode
from tokentracker.permissions import HasApiKey
from tokentracker.selectors import organization_slug
from tokentracker.services import FreeQuotaExhausted
from usage.dates import iso_z
from usage.schemas import EventInput
from usage.selectors.sessions import developer_today
from usage.services.tracks import track_accept

from .schemas import (
    ApiError as ApiErrorSchema,
)
from .schemas import (
    DeveloperTodayStats,
    EstimateRequest,
    EstimateResponse,
    TrackAccepted,
    TrackRequest,
    validation_details,
)

TAGS = ["carbon-llm"]
DEVELOPER_ID_MAX = 200  # UsageEvent.developer_id


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ApiErrorSchema) for code in codes}


def _parse(model: type, raw: bytes) -> Any:
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise ApiError(Kind.VALIDATION, "Invalid body", details=validation_details(exc)) from None


class EstimateView(CarbonLlmView):
    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="postEstimate",
        summary="Estimate CO2e for a completion",
        description=(
            "Immediate estimate, not billed and not stored. `method: hardware` uses "
            "`duration_ms` and the grid of `datacenter_country` for the headline figure."
        ),
        request=EstimateRequest,
        parameters=[
            OpenApiParameter(
                "X-Response-Time",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="Server time spent on the estimate, e.g. 0.41ms",
            )
        ],
        responses={200: EstimateResponse, **_errors(400, 500)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        started = time.perf_counter()
        body: EstimateRequest = _parse(EstimateRequest, request.body)
        answer = estimate_answer(
            model=body.model,
            prompt_tokens=body.prompt_tokens,
            completion_tokens=body.completion_tokens,
            provider=body.provider,
            method=body.method,
            duration_ms=body.duration_ms,
            country_code=body.datacenter_country,
        )
        response_body = _estimate_body(answer, body.datacenter_country)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return Response(response_body, headers={"X-Response-Time": f"{elapsed_ms:.2f}ms"})


# The formulas name keys of `calculation_details`: evaluated with those numbers (floats
# rendered in full, so JSON carries them exactly) they give the figure before its rounding to
# the nine decimals of `estimated_co2_grams`, in the estimator's own order of operations.
TOKEN_FORMULA = "fixed_grams + output_tokens / 1000 * coefficient_per_1k"
HARDWARE_FORMULA = (
    "duration_ms / 3600000 * (gpus * gpu_power_kw + server_power_kw * gpus / server_gpus) "
    "* pue / batch_size * grid_gco2e_per_kwh"
)


def _formula(formula: str, numbers: dict[str, Any]) -> str:
    """The formula, then the same with its numbers written in."""
    substituted = formula
    for name in numbers:  # whole words: gpus is not the end of server_gpus
        substituted = re.sub(rf"\b{name}\b", repr(numbers[name]), substituted)
    return f"{formula} = {substituted}"


def _estimate_body(answer: EstimateAnswer, country_code: str | None) -> dict[str, Any]:
    token, hardware = answer.token, answer.hardware
    terms = {
        "fixed_grams": token.fixed_grams,
        "output_tokens": answer.completion_tokens,
        "coefficient_per_1k": token.coefficient_per_1k,
    }
    details: dict[str, Any] = {
        "formula": _formula(TOKEN_FORMULA, terms),
        "total_tokens": answer.total_tokens,
        "method": answer.method,
        **terms,
        "energy_wh": grams(token.energy_wh),
        "grid_gco2e_per_kwh": token.zone.gco2e_per_kwh,
        "zone": token.zone.zone,
        "range_grams": {"low": grams(token.co2e_low_grams), "high": grams(token.co2e_high_grams)},
        "methodology_version": token.methodology_version,
    }
    body: dict[str, Any] = {}
    if hardware is not None:
        # The token method's terms live on in `comparison`; here they would mislead.
        for token_only in ("fixed_grams", "range_grams"):
            details.pop(token_only)
        hardware_terms = {
            "duration_ms": hardware.duration_ms,
            "gpus": hardware.gpus,
            "gpu_power_kw": factors.GPU_POWER_KW,
            "server_power_kw": factors.SERVER_POWER_KW,
            "server_gpus": factors.SERVER_GPUS,
            "pue": hardware.pue,
            "batch_size": factors.BATCH_SIZE,
            "grid_gco2e_per_kwh": hardware.zone.gco2e_per_kwh,
        }
        details.update(
            formula=_formula(HARDWARE_FORMULA, hardware_terms),
            coefficient_per_1k=per_1k_tokens_used(answer.headline_grams, answer.total_tokens),
            energy_wh=grams(hardware.energy_wh),
            zone=hardware.zone.zone,
            **hardware_terms,
        )
        body["hardware_context"] = {
            "duration_ms": hardware.duration_ms,
            "datacenter_country": country_code,
            "zone": hardware.zone.zone,
            "grid_gco2e_per_kwh": hardware.zone.gco2e_per_kwh,
            "gpus": hardware.gpus,
            "gpu_power_kw": factors.GPU_POWER_KW,
            "power_kw": round(hardware.power_kw, 6),
            "pue": hardware.pue,
            "batch_size": factors.BATCH_SIZE,
            "energy_wh": grams(hardware.energy_wh),
        }
        body["comparison"] = {
            "token_method_grams": answer.token_grams,
            "hardware_method_grams": answer.headline_grams,
            "difference_percent": answer.hardware_vs_token_percent,
            "note": (
                "The token method models generation time from the model's size; the "
                "hardware method takes the measured duration, which includes queueing "
                "and network time."
            ),
        }
    return {
        "estimated_co2_grams": answer.headline_grams,
        "confidence": token.confidence,
        "source": token.source,
        "billed_event": False,
        "total_tokens": answer.total_tokens,
        "co2_per_1k_tokens_used": per_1k_tokens_used(answer.headline_grams, answer.total_tokens),
        "calculation_details": details,
        **({"warning": token.warning} if token.warning else {}),
        **body,
        **({"green_datacenter_tip": answer.tip.text} if answer.tip else {}),
        "methodology_version": token.methodology_version,
    }


class TrackView(CarbonLlmView):
    permission_classes = [HasApiKey]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="postTrack",
        summary="Queue a tracked usage event",
        description=(
            "Accepts the event and answers 202 with the carbon snapshot that will be stored. "
            "A task writes it; refresh if the row is not visible immediately. Keys: "
            "`isv_test_sk_` (test, never counts against the free quota), `isv_live_sk_` or "
            "any other key of the organization (live)."
        ),
        request=TrackRequest,
        parameters=[
            OpenApiParameter(
                "X-Event-Id",
                str,
                OpenApiParameter.HEADER,
                response=[202],
                description="Same as `event_id` in body",
            )
        ],
        responses={
            202: OpenApiResponse(
                TrackAccepted,
                description="Accepted — event queued; `X-Event-Id` equals `event_id`",
            ),
            **_errors(400, 401, 402, 500, 503),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body: TrackRequest = _parse(TrackRequest, request.body)
        key = self.api_key
        assert key is not None
        try:
            event = EventInput(
                provider=provider_resolve(body.provider, body.model),
                model=body.model,
                input_tokens=body.prompt_tokens,
                output_tokens=body.completion_tokens,
                tenant_id=body.tenant_id,
                developer_id=body.developer_id,
                session_id=body.session_id,
                latency_ms=body.duration_ms,
                datacenter_country=body.datacenter_country,
                metadata=body.model_extra or None,
            )
        except ValidationError as exc:  # the kept extras: NUL characters
            raise ApiError(
                Kind.VALIDATION, "Invalid body", details=validation_details(exc)
            ) from None
        try:
            accepted = track_accept(
                organization_id=key.organization_id,
                api_key_id=key.id,
                is_live=key.mode != ApiKeyMode.TEST,
                event=event,
                country_code=body.datacenter_country,
                door=metrics.DOOR_TRACK,
            )
        except FreeQuotaExhausted as exc:
            raise ApiError(
                Kind.PAYMENT_REQUIRED,
                "Free tier quota exceeded for live key.",
                details={"limit": exc.limit},
                extra={"billing_url": _billing_url(request, key.organization_id)},
            ) from None
        estimate = accepted.estimate
        grams = number(accepted.co2e_grams)
        response_body = {
            "queued": True,
            "event_id": accepted.event_id,
            "is_test": accepted.is_test,
            "methodology_version": estimate.methodology_version,
            "estimated_co2_grams": grams,
            "total_tokens": accepted.total_tokens,
            "co2_per_1k_tokens_used": per_1k_tokens_used(grams, accepted.total_tokens),
            "confidence": estimate.confidence,
            "source": estimate.source,
            "model_found": estimate.model_found,
        }
        if not accepted.is_test and accepted.free_events_remaining is not None:
            response_body["free_events_remaining"] = accepted.free_events_remaining
        return Response(
            response_body,
            status=status.HTTP_202_ACCEPTED,
            headers={"X-Event-Id": accepted.event_id},
        )


def _billing_url(request: Request, organization_id: int) -> str:
    """The organization's Plan & billing page: its quotas and use, and where an admin buys
    a plan with more free live events."""
    slug = organization_slug(organization_id)
    return request.build_absolute_uri(reverse("billing_plan", kwargs={"org_slug": slug}))


class SessionTodayView(CarbonLlmView):
    permission_classes = [HasApiKey]

    @extend_schema(
        operation_id="getSessionDeveloperToday",
        summary="Today's IDE session stats for a developer id",
        description="The developer's events of the current UTC day, in your organization.",
        parameters=[
            OpenApiParameter(
                "developer_id",
                str,
                OpenApiParameter.PATH,
                description="URL-encoded developer identifier",
            )
        ],
        responses={200: DeveloperTodayStats, **_errors(401, 500, 503)},
        tags=TAGS,
    )
    def get(self, request: Request, developer_id: str) -> Response:
        # The path is already percent-decoded once by the server; decoding again would turn
        # an id containing "%41" into "A".
        if "\x00" in developer_id or len(developer_id) > DEVELOPER_ID_MAX:
            raise ApiError(
                Kind.VALIDATION,
                "Invalid developer_id",
                details={
                    "developer_id": f"at most {DEVELOPER_ID_MAX} characters, no NUL characters"
                },
            )
        day = developer_today(organization_id=self.organization_id, developer_id=developer_id)
        return Response(
            {
                "developer_id": day.developer_id,
                "today_co2_grams": number(day.co2e_grams),
                "today_prompts": day.prompts,
                "today_tokens": day.tokens,
                "top_model": day.top_model,
                "sessions": [
                    {
                        "id": row.session_id,
                        "session_id": row.session_id,
                        "developer_id": day.developer_id,
                        "total_prompt_tokens": row.prompt_tokens,
                        "total_completion_tokens": row.completion_tokens,
                        "total_co2_grams": number(row.co2e_grams),
                        "model": row.model,
                        "started_at": iso_z(row.started_at),
                        "last_activity": iso_z(row.last_activity),
                    }
                    for row in day.sessions
                ],
                "equivalent": estimator.equivalent(number(day.co2e_grams)),
            }
        )
