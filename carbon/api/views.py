"""carbon-llm (seed 002): `POST /api/v1/estimate`, `POST /api/v1/track`,
`GET /api/v1/session/{developer_id}/today`, each answering CORS preflights
(django-cors-headers, `CORS_*` settings)."""

import time
from typing import Any
from urllib.parse import unquote

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import ValidationError
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from carbon import estimator, services
from carbon.book import carbon_book_get
from carbon.selectors import developer_today
from tokentracker.api.surfaces import CarbonLlmView
from tokentracker.errors import ApiError, Kind
from tokentracker.models import ApiKeyMode
from tokentracker.permissions import HasOrganization
from tokentracker.services import QuotaExceeded
from usage.genai_catalog import model_provider_guess, provider_canonical
from usage.schemas import EventInput
from usage.services import carbon_decimal

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
BILLING_URL = "/dashboard/billing"


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ApiErrorSchema) for code in codes}


def _parse(model: type, raw: bytes) -> Any:
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise ApiError(Kind.VALIDATION, "Invalid body", details=validation_details(exc)) from None


def _grams(value: float) -> float:
    return float(carbon_decimal(value))


def _per_1k_used(grams: float, total_tokens: int) -> float:
    return round(grams / total_tokens * 1000, 9) if total_tokens else 0.0


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
        responses={200: EstimateResponse, **_errors(400, 500)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        started = time.perf_counter()
        body: EstimateRequest = _parse(EstimateRequest, request.body)
        book = carbon_book_get()
        provider = (
            provider_canonical(body.provider) if body.provider else model_provider_guess(body.model)
        )
        estimate = estimator.estimate_tokens(
            book,
            provider=provider,
            model=body.model,
            output_tokens=body.completion_tokens,
            country_code=body.datacenter_country,
        )
        total_tokens = body.prompt_tokens + body.completion_tokens
        token_grams = _grams(estimate.co2e_grams)
        details = {
            "formula": (
                "fixed_grams + completion_tokens / 1000 * coefficient_per_1k "
                f"= {estimate.fixed_grams:.6g} + {body.completion_tokens} / 1000 * "
                f"{estimate.coefficient_per_1k:.6g}"
            ),
            "total_tokens": total_tokens,
            "coefficient_per_1k": round(estimate.coefficient_per_1k, 9),
            "method": "token",
            "output_tokens": body.completion_tokens,
            "fixed_grams": round(estimate.fixed_grams, 9),
            "energy_wh": _grams(estimate.energy_wh),
            "grid_gco2e_per_kwh": estimate.zone.gco2e_per_kwh,
            "zone": estimate.zone.zone,
            "range_grams": {
                "low": _grams(estimate.co2e_low_grams),
                "high": _grams(estimate.co2e_high_grams),
            },
            "methodology_version": estimate.methodology_version,
        }
        headline = token_grams
        payload: dict[str, Any] = {}
        if body.method == "hardware":
            hardware = estimator.estimate_hardware(
                book, profile=estimate.profile, duration_ms=body.duration_ms, zone=estimate.zone
            )
            headline = _grams(hardware.co2e_grams)
            # The token method's terms live on in `comparison`; here they would mislead.
            for token_only in ("fixed_grams", "range_grams"):
                details.pop(token_only)
            details.update(
                method="hardware",
                formula=(
                    "duration_h * (gpus * gpu_kw + server_kw * gpus / 8) * pue / batch_size "
                    "* grid_gco2e_per_kwh"
                ),
                coefficient_per_1k=_per_1k_used(headline, total_tokens),
                energy_wh=_grams(hardware.energy_wh),
            )
            payload["hardware_context"] = {
                "duration_ms": hardware.duration_ms,
                "datacenter_country": body.datacenter_country,
                "zone": hardware.zone.zone,
                "grid_gco2e_per_kwh": hardware.zone.gco2e_per_kwh,
                "gpus": hardware.gpus,
                "gpu_power_kw": estimator.GPU_POWER_KW,
                "power_kw": round(hardware.power_kw, 6),
                "pue": hardware.pue,
                "batch_size": estimator.BATCH_SIZE,
                "energy_wh": _grams(hardware.energy_wh),
            }
            payload["comparison"] = {
                "token_method_grams": token_grams,
                "hardware_method_grams": headline,
                "difference_percent": (
                    round((headline - token_grams) / token_grams * 100, 1) if token_grams else None
                ),
                "note": (
                    "The token method models generation time from the model's size; the "
                    "hardware method takes the measured duration, which includes queueing "
                    "and network time."
                ),
            }
        tip = estimator.green_tip(book, estimate.zone)
        response_body = {
            "estimated_co2_grams": headline,
            "confidence": estimate.confidence,
            "source": estimate.source,
            "billed_event": False,
            "total_tokens": total_tokens,
            "co2_per_1k_tokens_used": _per_1k_used(headline, total_tokens),
            "calculation_details": details,
            **({"warning": estimate.warning} if estimate.warning else {}),
            **payload,
            **({"green_datacenter_tip": tip.text} if tip else {}),
            "methodology_version": estimate.methodology_version,
        }
        elapsed_ms = (time.perf_counter() - started) * 1000
        return Response(response_body, headers={"X-Response-Time": f"{elapsed_ms:.2f}ms"})


class TrackView(CarbonLlmView):
    permission_classes = [HasOrganization]
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
        provider = body.provider or model_provider_guess(body.model)
        event = EventInput(
            provider=provider,
            model=body.model,
            input_tokens=body.prompt_tokens,
            output_tokens=body.completion_tokens,
            tenant_id=body.tenant_id,
            developer_id=body.developer_id,
            session_id=body.session_id,
            latency_ms=body.duration_ms,
            datacenter_country=body.datacenter_country,
        )
        try:
            accepted = services.track_accept(
                organization_id=key.organization_id,
                api_key_id=key.id,
                is_live=key.mode != ApiKeyMode.TEST,
                event=event,
                country_code=body.datacenter_country,
            )
        except services.FreeQuotaExhausted as exc:
            raise ApiError(
                Kind.PAYMENT_REQUIRED,
                "Free tier quota exceeded for live key.",
                details={"limit": exc.limit},
                extra={"billing_url": request.build_absolute_uri(BILLING_URL)},
            ) from None
        except QuotaExceeded as exc:
            raise ApiError(
                Kind.QUOTA_EXCEEDED,
                "Daily event limit reached.",
                details={"limit": exc.limit, "used": exc.used},
            ) from None
        estimate = accepted.estimate
        grams = float(accepted.co2e_grams)
        response_body = {
            "queued": True,
            "event_id": accepted.event_id,
            "is_test": accepted.is_test,
            "methodology_version": estimate.methodology_version,
            "estimated_co2_grams": grams,
            "total_tokens": accepted.total_tokens,
            "co2_per_1k_tokens_used": _per_1k_used(grams, accepted.total_tokens),
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


class SessionTodayView(CarbonLlmView):
    permission_classes = [HasOrganization]

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
        developer_id = unquote(developer_id)
        day = developer_today(organization_id=self.organization_id, developer_id=developer_id)
        return Response(
            {
                "developer_id": day.developer_id,
                "today_co2_grams": float(day.co2e_grams),
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
                        "total_co2_grams": float(row.co2e_grams),
                        "model": row.model,
                        "started_at": _iso(row.started_at),
                        "last_activity": _iso(row.last_activity),
                    }
                    for row in day.sessions
                ],
                "equivalent": estimator.equivalent(float(day.co2e_grams)),
            }
        )


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")
