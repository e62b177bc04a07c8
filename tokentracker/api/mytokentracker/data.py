"""The open data API (MyTokenTracker's `/api/v1/data*`): public, cacheable, CORS-open.

Every response carries `ETag`, `Last-Modified` (when the dataset was last rebuilt) and
`Cache-Control: public`; a conditional GET that matches gets 304 before any row is read
(Django's own `get_conditional_response`). Parameters are checked first, so a bad one is a
422 in the MyTokenTracker envelope whatever the client's validators say.
"""

import hashlib
from calendar import timegm
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from opendata import selectors
from opendata.datasets import COMMUNITY, COST_INDEX, DATASETS, MODELS, Dataset, publisher
from opendata.models import CommunityDimension
from opendata.selectors import Freshness
from tokentracker.api.base import FormatIsAParameter, PublicView
from usage.genai_catalog import provider_canonical

from . import data_params as params
from .data_render import csv_text, json_rows

ALL_INDEXES = "all"
ERRORS = {
    422: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description='A bad parameter: `{"error": {"code", "message", "details"}}`.',
    )
}
FORMAT = OpenApiParameter("format", str, enum=["json", "csv"], description="Default json.")
LIMIT = OpenApiParameter("limit", int, description="At most this many rows (0 or more).")
FROM = OpenApiParameter("from", OpenApiTypes.DATE, description="First day, YYYY-MM-DD.")
TO = OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, YYYY-MM-DD.")
DATASET_RESPONSES = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, "text/csv"): OpenApiTypes.STR,
    304: OpenApiResponse(description="Not modified since the client's ETag/Last-Modified."),
    **ERRORS,
}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class OpenDataView(PublicView):
    """Public, cacheable, CORS-open (any origin: `opendata.signals.cors_open_data`);
    `format` is the dataset's json|csv parameter."""

    content_negotiation_class = FormatIsAParameter

    def freshness(self) -> Freshness:
        raise NotImplementedError

    def cached(
        self, request: Request, build: Callable[[Freshness], HttpResponseBase]
    ) -> HttpResponseBase:
        """`build()` the response unless the client's copy is current; validators on both."""
        freshness = self.freshness()
        modified = freshness.modified_at
        fingerprint = "|".join(
            [
                request.get_full_path(),
                request.get_host(),
                modified.isoformat() if modified else "never",
                str(freshness.rows),
                str(freshness.version),
                settings.OPENDATA_LICENSE,
                settings.OPENDATA_ATTRIBUTION,
                settings.TOKENTRACKER_VERSION,
            ]
        )
        etag = quote_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
        last_modified = int(timegm(modified.utctimetuple())) if modified else None
        response = get_conditional_response(
            request, etag=etag, last_modified=last_modified
        ) or build(freshness)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.OPENDATA_CACHE_MAX_AGE)
        return response


def _latest(freshness: dict[str, Freshness]) -> Freshness:
    moments = [f.modified_at for f in freshness.values() if f.modified_at]
    return Freshness(
        max(moments) if moments else None,
        sum(f.rows for f in freshness.values()),
        version=sum(f.version for f in freshness.values()),
    )


class DataIndexView(OpenDataView):
    @cached_property
    def all_freshness(self) -> dict[str, Freshness]:
        return selectors.datasets_freshness()

    def freshness(self) -> Freshness:
        return _latest(self.all_freshness)

    @extend_schema(
        summary="Discover open datasets, row counts, and freshness",
        operation_id="dataIndex",
        tags=["open-data"],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponseBase:
        def build(latest: Freshness) -> Response:
            datasets = {}
            for key, dataset in DATASETS.items():
                found = self.all_freshness[key]
                datasets[key] = {
                    "name": dataset.name,
                    "description": dataset.description,
                    "endpoint": dataset.endpoint,
                    "formats": list(params.FORMATS),
                    "count": found.rows,
                    "refreshed_at": _iso(found.modified_at) if found.modified_at else None,
                }
            return Response(
                {
                    "name": "TokenTracker Open Data",
                    **publisher(),
                    "schema": "/api/v1/data/schema",
                    "generated_at": _iso(latest.modified_at or timezone.now()),
                    "datasets": datasets,
                }
            )

        return self.cached(request, build)


class DataSchemaView(OpenDataView):
    def freshness(self) -> Freshness:
        return _latest(selectors.datasets_freshness())

    @extend_schema(
        summary="Field dictionary for every open dataset",
        operation_id="dataSchema",
        tags=["open-data"],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponseBase:
        def build(latest: Freshness) -> Response:
            return Response(
                {
                    **publisher(),
                    "generated_at": _iso(latest.modified_at or timezone.now()),
                    "datasets": {
                        key: {
                            "endpoint": dataset.endpoint,
                            "fields": [f.as_dict() for f in dataset.fields],
                        }
                        for key, dataset in DATASETS.items()
                    },
                }
            )

        return self.cached(request, build)


class DatasetView(OpenDataView):
    """One dataset: its filters checked, then (unless 304) its rows as JSON or CSV."""

    dataset: Dataset

    def filters(self, query: Any) -> dict[str, Any]:
        raise NotImplementedError

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def wrapper_extra(self, rows: list[dict[str, Any]], filters: dict[str, Any]) -> dict:
        return {}

    def freshness(self) -> Freshness:
        return selectors.dataset_freshness(self.dataset.key)

    def get(self, request: Request) -> HttpResponseBase:
        query = request.query_params
        output = params.output_format(query)
        filters = self.filters(query)
        dataset = self.dataset

        def build(freshness: Freshness) -> HttpResponseBase:
            rows = self.rows(**filters)
            if output == "csv":
                response = HttpResponse(
                    csv_text(rows, dataset.columns), content_type="text/csv; charset=utf-8"
                )
                response["Content-Disposition"] = f'inline; filename="{dataset.key}.csv"'
                return response
            generated = freshness.modified_at or timezone.now()
            body: dict[str, Any] = {
                "name": dataset.name,
                "description": dataset.description,
                **publisher(),
            }
            if dataset.unit:
                body["unit"] = dataset.unit
            body.update(self.wrapper_extra(rows, filters))
            body.update(
                source=request.build_absolute_uri(dataset.endpoint),
                generated_at=_iso(generated),
                count=len(rows),
                rows=json_rows(rows, dataset.columns),
            )
            return Response(body)

        return self.cached(request, build)


class CostIndexView(DatasetView):
    dataset = COST_INDEX

    def filters(self, query: Any) -> dict[str, Any]:
        known = selectors.basket_keys()
        index = params.choice(query, "index", [*known, ALL_INDEXES]) or ALL_INDEXES
        start, end = params.window(query)
        keys = known if index == ALL_INDEXES else [index]
        return {"index_keys": keys, "start": start, "end": end, "limit": params.limit(query)}

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        return selectors.cost_index_rows(**filters)

    def wrapper_extra(self, rows: list[dict[str, Any]], filters: dict[str, Any]) -> dict:
        versions = list(dict.fromkeys(row["basket_version"] for row in rows))
        if not versions:
            versions = selectors.basket_versions_current(
                filters["index_keys"], today=timezone.now().date()
            )
        return {"basket_version": ",".join(dict.fromkeys(versions)), **COST_INDEX.extra}

    @extend_schema(
        summary="AI Cost Index series (JSON or CSV)",
        operation_id="dataCostIndex",
        description=(
            "Daily blended price per million tokens (3:1 input:output) of the `frontier` and "
            "`budget` baskets, from the catalog's price history (refreshed daily)."
        ),
        tags=["open-data"],
        parameters=[
            OpenApiParameter("index", str, description="frontier, budget or all (default)."),
            FROM,
            TO,
            LIMIT,
            FORMAT,
        ],
        responses=DATASET_RESPONSES,
    )
    def get(self, request: Request) -> HttpResponseBase:
        return super().get(request)


class CommunityView(DatasetView):
    dataset = COMMUNITY

    def filters(self, query: Any) -> dict[str, Any]:
        start, end = params.window(query)
        return {
            "dimension": params.choice(query, "dimension", list(CommunityDimension.values)),
            "start": start,
            "end": end,
            "limit": params.limit(query),
        }

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        return selectors.community_rows(**filters)

    @extend_schema(
        summary="Anonymized community usage rollup (JSON or CSV)",
        operation_id="dataCommunity",
        description=(
            "Daily totals across organizations that opted in, by dimension; a row stands for "
            "at least k organizations (OPENDATA_COMMUNITY_MIN_CONTRIBUTORS, default 5)."
        ),
        tags=["open-data"],
        parameters=[
            OpenApiParameter("dimension", str, enum=list(CommunityDimension.values)),
            FROM,
            TO,
            LIMIT,
            FORMAT,
        ],
        responses=DATASET_RESPONSES,
    )
    def get(self, request: Request) -> HttpResponseBase:
        return super().get(request)


class ModelsView(DatasetView):
    dataset = MODELS

    def filters(self, query: Any) -> dict[str, Any]:
        provider = params.provider(query)
        return {
            "provider": provider_canonical(provider) if provider else None,
            "active": params.boolean(query, "active"),
            "limit": params.limit(query),
        }

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        return selectors.model_rows(**filters)

    @extend_schema(
        summary="Model price catalog (JSON or CSV)",
        operation_id="dataModels",
        description="The price in effect now of every priced catalog model.",
        tags=["open-data"],
        parameters=[
            OpenApiParameter("provider", str, description="A provider slug, e.g. openai."),
            OpenApiParameter("active", bool),
            LIMIT,
            FORMAT,
        ],
        responses=DATASET_RESPONSES,
    )
    def get(self, request: Request) -> HttpResponseBase:
        return super().get(request)
