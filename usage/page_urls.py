"""Usage pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from .views import explorer, overview, requests

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("explorer/", explorer.explorer, name="explorer"),
    path("explorer/export.csv", explorer.explorer_export, name="explorer-export"),
    path("requests/<uuid:uuid>", requests.request_page, name="request-detail"),
]
