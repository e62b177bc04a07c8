"""JSON instead of Django's HTML pages for unknown paths and crashes under /api/.

No surface owns an unknown path, so the nested `{"error": {"code", "message", "details"}}`
shape (native, MyTokenTracker, Token Optimizer) answers; pages keep Django's templates.
"""

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

# 500.html keeps its styles inline so that a broken static manifest cannot unstyle it; the
# Content-Security-Policy allows exactly that <style> by its hash (kept equal to the
# template by tests/tokentracker/pages/test_content_security_policy.py).
ERROR_PAGE_STYLE_HASH = "'sha256-nyTsJJvJulgaGXyV6NED5g0Yb9dU4nxqT+tq1p6UUKI='"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {
                "error": {
                    "code": "NOT_FOUND",
                    "message": f"No API endpoint at {request.path}.",
                    "details": {"path": request.path},
                }
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)


@csp_update({"style-src": [ERROR_PAGE_STYLE_HASH]})
@csp_update({"style-src": [ERROR_PAGE_STYLE_HASH]}, REPORT_ONLY=True)
def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {
                "error": {
                    "code": "INTERNAL_ERROR",
                    "message": "Internal server error.",
                    "details": {},
                }
            },
            status=500,
        )
    return defaults.server_error(request)
