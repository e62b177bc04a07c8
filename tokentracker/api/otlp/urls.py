"""OTLP/HTTP's path for traces: exporters append /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT."""

from django.urls import path

from .views import TracesView

urlpatterns = [path("v1/traces", TracesView.as_view(), name="otlp-traces")]
