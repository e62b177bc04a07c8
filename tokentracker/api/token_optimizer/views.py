"""Token Optimizer surface (seed 001): filters, metrics, recommendations and logs.

Every number except the log rows comes from the hourly rollups (usage.selectors), so a
response costs the same at a thousand events or ten million. Money is rendered as a JSON
number rounded to the micro-dollar; `average_latency` is in seconds, as the seed shows it.

The seed gives examples, not types, and `average_latency` is already null when no latency
is known; so a cost is null, never 0, for a group whose every request is unpriced (no cost
in the reporting currency), and every cost stands beside `unpriced_requests`: what it
leaves out. `total_tokens` is the whole prompt (cached parts included) plus output.
"""

from decimal import Decimal
from math import ceil
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.base import FormatIsAParameter, TokenOptimizerView
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.render import number, number_or_none
from usage.dates import iso_z as iso
from usage.genai_catalog import provider_display
from usage.recommendations import recommendations_for
from usage.selectors.logs import csv_lines, log_events, log_json, log_rows
from usage.selectors.series import series_too_long, usage_series
from usage.selectors.usage import GRANULARITIES, UsageTotals, dimension_values, usage_by
from usage.windows import UsageQuery, flag, positive_int, usage_query

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
UNSPECIFIED = "(none)"

COMMON_PARAMETERS = [
    OpenApiParameter("granularity", str, enum=list(GRANULARITIES), description="Default day."),
    OpenApiParameter(
        "start_date", str, description="ISO date or date-time; default from granularity."
    ),
    OpenApiParameter("end_date", str, description="ISO date or date-time; default now."),
    OpenApiParameter("model", str, many=True, explode=True),
    OpenApiParameter("endpoint", str, many=True, explode=True),
    OpenApiParameter("provider", str, many=True, explode=True),
]
ERRORS = {
    400: OpenApiResponse(description="INVALID_PARAMETERS, INVALID_DATE_RANGE, …"),
    401: OpenApiResponse(description="UNAUTHORIZED: invalid or missing API key"),
}


def money(amount: Decimal | None) -> float | None:
    return number_or_none(amount, 6)


def grams(amount: Decimal) -> float:
    return number(amount, 6)


def seconds(totals: UsageTotals) -> float | None:
    average = totals.average_latency_ms
    return None if average is None else round(average / 1000, 3)


def _group(name: str, totals: UsageTotals) -> dict[str, Any]:
    return {
        "name": name or UNSPECIFIED,
        "total_tokens": totals.total_tokens,
        "total_cost": money(totals.priced_cost),
        "total_co2e_grams": grams(totals.co2e_grams),
        "average_latency": seconds(totals),
        "request_count": totals.events,
        "unpriced_requests": totals.unpriced_events,
    }


class OptimizerView(TokenOptimizerView):
    content_negotiation_class = FormatIsAParameter

    def query(self) -> UsageQuery:
        # A refused parameter is a QueryInvalid, answered in this dialect with its code.
        return usage_query(self.request.query_params, self.organization_id)


class FiltersView(OptimizerView):
    @extend_schema(
        summary="Filter options for the dashboard",
        tags=["token-optimizer"],
        responses={200: OpenApiTypes.OBJECT, 401: ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        providers = dimension_values(self.organization_id, "provider")
        return Response(
            {
                "models": dimension_values(self.organization_id, "model"),
                "endpoints": dimension_values(self.organization_id, "endpoint"),
                "providers": sorted(provider_display(p) for p in providers),
                "granularities": list(GRANULARITIES),
                "example_usage": {
                    "filter_by_model": "?model=gpt-4&model=gpt-3.5-turbo",
                    "filter_by_endpoint": "?endpoint=chat&endpoint=completions",
                    "filter_by_provider": "?provider=OpenAI&provider=Anthropic",
                    "filter_by_granularity": "?granularity=month",
                    "filter_by_date": "?end_date=2024-03-20T00:00:00Z",
                    "combine_filters": (
                        "?granularity=month&model=gpt-4&endpoint=chat&provider=OpenAI"
                    ),
                },
            }
        )


class SummaryView(OptimizerView):
    @extend_schema(
        summary="Aggregated usage metrics",
        description=(
            "`avg_cost_per_request` divides spend by priced requests; requests with no cost "
            "in the reporting currency (a model with no known price, an amount with no "
            "exchange rate) are counted in `unpriced_requests`, never as $0. A spend is null "
            "when every request it would sum is unpriced."
        ),
        tags=["token-optimizer"],
        parameters=COMMON_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query()
        providers = usage_by(query.scope, "provider")
        # One scan: the totals are the sum of the per-provider groups.
        totals = UsageTotals.combined(group for _, group in providers)
        breakdown = {
            provider_display(dims["provider"]): {
                "total_spend": money(group.priced_cost),
                "total_requests": group.events,
                "total_tokens": group.total_tokens,
                "unpriced_requests": group.unpriced_events,
            }
            for dims, group in providers
        }
        return Response(
            {
                "total_spend": money(totals.priced_cost),
                "total_requests": totals.events,
                "total_co2e_grams": grams(totals.co2e_grams),
                "total_energy_wh": grams(totals.energy_wh),
                "avg_cost_per_request": money(totals.priced_cost_per_event),
                "total_tokens": totals.total_tokens,
                "average_latency": seconds(totals),
                "unpriced_requests": totals.unpriced_events,
                "provider_breakdown": breakdown,
                "filters": query.filters(),
            }
        )


class ByModelView(OptimizerView):
    @extend_schema(
        summary="Metrics grouped by model",
        tags=["token-optimizer"],
        parameters=COMMON_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query()
        models = [_group(d["model"], t) for d, t in usage_by(query.scope, "model")]
        return Response({"models": models, "filters": query.filters()})


class ByEndpointView(OptimizerView):
    @extend_schema(
        summary="Metrics grouped by endpoint",
        description=f'Events reported without an endpoint are grouped as "{UNSPECIFIED}".',
        tags=["token-optimizer"],
        parameters=COMMON_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query()
        endpoints = [_group(d["endpoint"], t) for d, t in usage_by(query.scope, "endpoint")]
        return Response({"endpoints": endpoints, "filters": query.filters()})


class TrendView(OptimizerView):
    @extend_schema(
        summary="Usage per time bucket",
        description="One point per UTC bucket of the window, empty buckets included as zeros.",
        tags=["token-optimizer"],
        parameters=COMMON_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query()
        problem = series_too_long(query.scope.start, query.scope.end, query.granularity)
        if problem:
            raise ApiError(
                Kind.VALIDATION,
                problem[0].upper() + problem[1:] + ".",
                details={"start_date": iso(query.scope.start), "end_date": iso(query.scope.end)},
                code="INVALID_DATE_RANGE",
            )
        trends = [
            {
                "timestamp": iso(bucket),
                "total_tokens": totals.total_tokens,
                "total_cost": money(totals.priced_cost),
                "total_co2e_grams": grams(totals.co2e_grams),
                "request_count": totals.events,
                "unpriced_requests": totals.unpriced_events,
            }
            for bucket, totals in usage_series(query.scope, query.granularity)
        ]
        return Response({"trends": trends, "filters": query.filters()})


class RecommendationsView(OptimizerView):
    @extend_schema(
        summary="Cheaper models for the usage in the window",
        description=(
            "For each model used, the cheapest catalog model of the same price class and "
            "modality, from a provider already in use, with at least the same context window, "
            "priced on the organization's own token mix. Alternatives the organization has "
            "used with a worse success rate or quality are never suggested. Every amount "
            "(`potential_savings`, `current_cost`, `alternative_cost`, and those in "
            "`reasoning`) is in the organization's reporting currency, named in `currency`: "
            "the alternative's catalog price (USD) is converted at the rate of each day the "
            "tokens were sent, as the organization's own costs were. A model used on a day "
            "with no exchange rate gets no recommendation."
        ),
        tags=["token-optimizer"],
        parameters=COMMON_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = self.query()
        recommendations = [
            {
                "model": found.model,
                "alternative": found.alternative,
                "potential_savings": money(found.potential_savings),
                "confidence": found.confidence,
                "reasoning": found.reasoning,
                "provider": provider_display(found.provider),
                "alternative_provider": provider_display(found.alternative_provider),
                "current_cost": money(found.current_cost),
                "alternative_cost": money(found.alternative_cost),
                "currency": found.currency,
                "request_count": found.requests,
            }
            for found in recommendations_for(query.scope)
        ]
        return Response({"recommendations": recommendations, "filters": query.filters()})


class LogsView(OptimizerView):
    @extend_schema(
        summary="Token usage logs, as JSON pages or a CSV download",
        tags=["token-optimizer"],
        parameters=[
            *COMMON_PARAMETERS,
            OpenApiParameter("page", int, description="Default 1."),
            OpenApiParameter("per_page", int, description="Default 50, at most 100."),
            OpenApiParameter("format", str, enum=["json", "csv"]),
            OpenApiParameter("sort_by", str, description="A log field; default timestamp."),
            OpenApiParameter("sort_desc", bool, description="Default true."),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = request.query_params
        query = self.query()
        output = params.get("format") or "json"
        if output not in ("json", "csv"):
            raise ApiError(
                Kind.VALIDATION, "format must be json or csv.", details={"format": output}
            )
        # An unknown sort_by is a SortInvalid: INVALID_SORT in this dialect.
        events = log_events(
            query.scope, params.get("sort_by") or "timestamp", flag(params, "sort_desc", True)
        )
        if output == "csv":
            providers = dimension_values(self.organization_id, "provider")
            response = StreamingHttpResponse(csv_lines(events, providers), content_type="text/csv")
            filename = f"token_logs_{timezone.now():%Y-%m-%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response

        page = positive_int(params, "page", 1)
        per_page = positive_int(params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        total = query.scope.events().count()
        total_pages = ceil(total / per_page)
        if page > max(total_pages, 1):
            raise ApiError(
                Kind.VALIDATION,
                f"page {page} is past the last page ({total_pages}).",
                details={"page": page, "total_pages": total_pages},
                code="INVALID_PAGE",
            )
        offset = (page - 1) * per_page
        return Response(
            {
                "logs": [log_json(row) for row in log_rows(events)[offset : offset + per_page]],
                "pagination": {
                    "current_page": page,
                    "total_pages": total_pages,
                    "total_items": total,
                    "per_page": per_page,
                },
                "filters": query.filters(),
            }
        )
