"""Billing pages, included under `o/<slug:org_slug>/` (see tokentracker/urls.py)."""

from django.urls import path

from .views import (
    budgets,
    costs,
    expense_receipts,
    expenses,
    integrations,
    receipts,
    subscriptions,
)

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
    path("expenses/", expenses.expenses_page, name="expenses"),
    path("expenses/export.csv", expenses.expenses_csv, name="expenses-csv"),
    path("expenses/new", expenses.expense_create_page, name="expense-create"),
    path("expenses/<int:expense_id>/edit", expenses.expense_edit_page, name="expense-edit"),
    path("expenses/<int:expense_id>/delete", expenses.expense_delete_page, name="expense-delete"),
    path(
        "expenses/receipts",
        expense_receipts.expense_receipt_upload_page,
        name="expense-receipt-upload",
    ),
    path(
        "expenses/<int:expense_id>/review",
        expense_receipts.expense_review_page,
        name="expense-review",
    ),
    path(
        "receipts/<int:receipt_id>/file",
        receipts.receipt_file_page,
        name="receipt-file",
    ),
    path(
        "receipts/<int:receipt_id>/preview.png",
        receipts.receipt_preview_page,
        name="receipt-preview",
    ),
    path("budgets/", budgets.budgets_page, name="budgets"),
    path("budgets/new", budgets.budget_create_page, name="budget-create"),
    path("budgets/<int:budget_id>/edit", budgets.budget_edit_page, name="budget-edit"),
    path("budgets/<int:budget_id>/delete", budgets.budget_delete_page, name="budget-delete"),
    path("integrations/", integrations.integrations_page, name="integrations"),
    path(
        "integrations/<str:provider>/connect",
        integrations.integration_connect_page,
        name="integration-connect",
    ),
    path(
        "integrations/<str:provider>/remove",
        integrations.integration_remove_page,
        name="integration-remove",
    ),
    path(
        "integrations/<str:provider>/sync",
        integrations.integration_sync_page,
        name="integration-sync",
    ),
    path("billing/", subscriptions.billing_plan_page, name="billing_plan"),
    path("billing/checkout", subscriptions.billing_checkout_page, name="billing_checkout"),
    path("billing/portal", subscriptions.billing_portal_page, name="billing_portal"),
]
