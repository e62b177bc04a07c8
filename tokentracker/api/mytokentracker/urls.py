"""MyTokenTracker (seed 000): POST/GET /api/v1/events and the open data under /api/v1/data."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .data import CommunityView, CostIndexView, DataIndexView, DataSchemaView, ModelsView
from .events import UsageEventViewSet

router = SimpleRouter(trailing_slash=False)
router.register("events", UsageEventViewSet, basename="usage-event")

# The public data paths first, as before: nothing in the router may shadow them.
urlpatterns = [
    path("data", DataIndexView.as_view(), name="opendata-index"),
    path("data/schema", DataSchemaView.as_view(), name="opendata-schema"),
    path("data/cost-index", CostIndexView.as_view(), name="opendata-cost-index"),
    path("data/community", CommunityView.as_view(), name="opendata-community"),
    path("data/models", ModelsView.as_view(), name="opendata-models"),
]
urlpatterns += router.urls
