"""CodingVibez's published files (seed 004 "Files"): /public/openapi.json,
/public/llms.txt and /public/api-docs.md, each describing our API as it runs.

No key: they are documentation. Cached by clients and proxies for an hour (they change
only with a deploy) with an ETag, so a revalidation costs a 304 and no body.
"""

import hashlib
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_safe

from tokentracker.api.openapi_docs import (
    api_docs_markdown,
    llms_txt,
    openapi_document,
    openapi_json,
)

MAX_AGE_SECONDS = 3600


def _summary() -> str:
    return (
        "TokenTracker speaks the APIs of five products verbatim, each in its own envelope, "
        "so their clients work by changing the base URL: MyTokenTracker (/api/v1/events, "
        "/api/v1/data*), Token Optimizer (/api/metrics/*, /api/logs, ...), carbon-llm "
        "(/api/v1/estimate, /api/v1/track, /api/v1/session/*), Tokenwise (/api/v1/public/*, "
        "/api/v1/observe) and CodingVibez (/api/tokens*, /api/team/*, ...). "
        "Authenticate with `Authorization: Bearer <API key>`. "
        "Rate limits, per organization and plan: Tokenwise reads "
        f"{settings.DEFAULT_PLAN_HOURLY_REQUEST_LIMIT:,}/hour by default; CodingVibez "
        f"GET {settings.DEFAULT_PLAN_READS_PER_MINUTE}/min, "
        f"POST {settings.DEFAULT_PLAN_WRITES_PER_MINUTE}/min, "
        f"sync {settings.DEFAULT_PLAN_SYNCS_PER_MINUTE}/min, "
        f"upload {settings.DEFAULT_PLAN_UPLOADS_PER_MINUTE}/min, "
        "with X-RateLimit-Limit/Remaining/Reset headers; every ingest door counts against "
        "the plan's daily event quota."
    )


@lru_cache(maxsize=1)
def _api_docs() -> bytes:
    return api_docs_markdown(openapi_document()).encode()


@lru_cache(maxsize=16)  # one per host name the server answers to (ALLOWED_HOSTS)
def _llms_txt(base_url: str) -> bytes:
    return llms_txt(openapi_document(), base_url=base_url, summary=_summary()).encode()


def _view(render: Callable[[HttpRequest], bytes], content_type: str) -> Callable:
    def etag_of(request: HttpRequest) -> str:
        return hashlib.sha256(render(request)).hexdigest()[:32]

    @require_safe
    @etag(etag_of)
    @cache_control(public=True, max_age=MAX_AGE_SECONDS)
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(render(request), content_type=content_type)

    return view


openapi_view = _view(lambda request: openapi_json(), "application/json")
llms_txt_view = _view(
    lambda request: _llms_txt(request.build_absolute_uri("/").rstrip("/")),
    "text/plain; charset=utf-8",
)
api_docs_view = _view(lambda request: _api_docs(), "text/markdown; charset=utf-8")

urlpatterns = [
    path("openapi.json", openapi_view, name="codingvibez-openapi"),
    path("llms.txt", llms_txt_view, name="codingvibez-llms-txt"),
    path("api-docs.md", api_docs_view, name="codingvibez-api-docs"),
]
