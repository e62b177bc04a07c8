"""Carbon pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("carbon/", views.carbon_page, name="carbon"),
    path("carbon/methodology", views.methodology_page, name="carbon-methodology"),
]
