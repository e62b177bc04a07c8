"""Billing pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from .views import budgets

urlpatterns = [
    path("budgets/", budgets.budgets_page, name="budgets"),
    path("budgets/new", budgets.budget_create_page, name="budget-create"),
    path("budgets/<int:budget_id>/edit", budgets.budget_edit_page, name="budget-edit"),
    path("budgets/<int:budget_id>/delete", budgets.budget_delete_page, name="budget-delete"),
]
