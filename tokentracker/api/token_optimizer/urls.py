from django.urls import path

from . import views

urlpatterns = [
    path("filters", views.FiltersView.as_view(), name="optimizer-filters"),
    path("metrics/summary", views.SummaryView.as_view(), name="optimizer-summary"),
    path("metrics/by-model", views.ByModelView.as_view(), name="optimizer-by-model"),
    path("metrics/by-endpoint", views.ByEndpointView.as_view(), name="optimizer-by-endpoint"),
    path("metrics/trend", views.TrendView.as_view(), name="optimizer-trend"),
    path("recommendations", views.RecommendationsView.as_view(), name="optimizer-recommendations"),
    path("logs", views.LogsView.as_view(), name="optimizer-logs"),
]
