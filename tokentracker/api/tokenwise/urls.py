from django.urls import path

from .views import EvalListView, MetricsView, ObserveView, RequestListView

urlpatterns = [
    path("public/requests", RequestListView.as_view(), name="tokenwise-requests"),
    path("public/metrics", MetricsView.as_view(), name="tokenwise-metrics"),
    path("public/evals", EvalListView.as_view(), name="tokenwise-evals"),
    path("observe", ObserveView.as_view(), name="tokenwise-observe"),
]
