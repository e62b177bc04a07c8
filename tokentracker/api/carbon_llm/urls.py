"""carbon-llm (seed 002) paths, mounted at /api/v1/ without trailing slashes as the seed has."""

from django.urls import path

from .views import EstimateView, SessionTodayView, TrackView

urlpatterns = [
    path("estimate", EstimateView.as_view(), name="carbon-estimate"),
    path("track", TrackView.as_view(), name="carbon-track"),
    path(
        "session/<path:developer_id>/today", SessionTodayView.as_view(), name="carbon-session-today"
    ),
]
