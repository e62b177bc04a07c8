from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tokentracker import page_urls
from tokentracker.api.token_optimizer.health import HealthView

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
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Dashboard pages. Each app's organization pages go under o/<org_slug>/ (see
    # tokentracker.pages for the decorator every one of them uses).
    path("", include(page_urls.urlpatterns)),
    path("o/<slug:org_slug>/", include(page_urls.organization_urlpatterns)),
    path("o/<slug:org_slug>/", include("usage.page_urls")),
]

handler404 = "tokentracker.api.handlers.page_not_found"
handler500 = "tokentracker.api.handlers.server_error"
