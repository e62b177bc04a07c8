"""Usage pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from .views import carbon, data_mode, explorer, overview, requests, sessions

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("explorer/", explorer.explorer, name="explorer"),
    path("explorer/export.csv", explorer.explorer_export, name="explorer-export"),
    path("data", data_mode.data_mode_set, name="data-mode"),
    path("requests/<uuid:uuid>", requests.request_page, name="request-detail"),
    path("sessions/", sessions.sessions_page, name="sessions"),
    # `path`, not `str`: a session id may hold a slash (views.sessions quotes it whole).
    path("sessions/<path:session_id>/", sessions.session_page, name="session-detail"),
    # The carbon pages read the usage rollups, so they live here; the carbon app itself
    # knows only estimates, factors and the methodology.
    path("carbon/", carbon.carbon_page, name="carbon"),
    path("carbon/methodology", carbon.methodology_page, name="carbon-methodology"),
]
