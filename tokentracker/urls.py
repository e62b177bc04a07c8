from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tokentracker import page_urls
from tokentracker.api.token_optimizer.health import HealthView

# drf-spectacular's Swagger UI page keeps three lines of inline <style>: the policy allows
# exactly those by their hash, on that page only (the hash is checked against the rendered
# page by tests/tokentracker/pages/test_content_security_policy.py).
SWAGGER_UI_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
# The split view serves Swagger UI's start-up script as a file (?script), not inline, so
# the page runs under the same script-src 'self' as every other.
swagger_ui = csp_update({"style-src": [SWAGGER_UI_STYLE_HASH]})(
    csp_update({"style-src": [SWAGGER_UI_STYLE_HASH]}, REPORT_ONLY=True)(
        SpectacularSwaggerSplitView.as_view(url_name="schema")
    )
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthView.as_view(), name="health"),
    path("api/v1/", include("tokentracker.api.carbon_llm.urls")),
    # Before the other /api/v1/ includes so nothing there can shadow the public data paths.
    path("api/v1/", include("tokentracker.api.mytokentracker.urls")),
    path("api/v1/", include("tokentracker.api.native.urls")),
    path("api/v1/", include("tokentracker.api.tokenwise.urls")),
    path("api/", include("tokentracker.api.token_optimizer.urls")),
    path("api/", include("tokentracker.api.codingvibez.urls")),
    path("api/stripe/", include("tokentracker.api.stripe_webhook.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", swagger_ui, name="swagger-ui"),
    # CodingVibez's published files: our OpenAPI document, llms.txt and the docs as Markdown.
    path("public/", include("tokentracker.api.codingvibez.public")),
    # Last of the API routes: unknown paths under CodingVibez's prefixes, in its envelope.
    path("api/", include("tokentracker.api.codingvibez.unknown")),
    # Dashboard pages. Each app's organization pages go under o/<org_slug>/ (see
    # tokentracker.pages for the decorator every one of them uses).
    path("", include(page_urls.urlpatterns)),
    path("o/<slug:org_slug>/", include(page_urls.organization_urlpatterns)),
    path("o/<slug:org_slug>/", include("usage.page_urls")),
    path("o/<slug:org_slug>/", include("billing.page_urls")),
]

handler404 = "tokentracker.api.handlers.page_not_found"
handler500 = "tokentracker.api.handlers.server_error"
