"""Billing pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from .views import costs

urlpatterns = [
    path("costs/", costs.costs_page, name="costs"),
    path("costs/manual", costs.manual_cost_create_page, name="manual-cost-create"),
    path(
        "costs/manual/<int:manual_cost_id>",
        costs.manual_cost_edit_page,
        name="manual-cost-edit",
    ),
    path(
        "costs/manual/<int:manual_cost_id>/delete",
        costs.manual_cost_delete_page,
        name="manual-cost-delete",
    ),
]
