from django.urls import path

from .views import CommunityView, CostIndexView, DataIndexView, DataSchemaView, ModelsView

urlpatterns = [
    path("data", DataIndexView.as_view(), name="opendata-index"),
    path("data/schema", DataSchemaView.as_view(), name="opendata-schema"),
    path("data/cost-index", CostIndexView.as_view(), name="opendata-cost-index"),
    path("data/community", CommunityView.as_view(), name="opendata-community"),
    path("data/models", ModelsView.as_view(), name="opendata-models"),
]
