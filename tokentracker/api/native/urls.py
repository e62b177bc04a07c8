"""Our own API under /api/v1/, described by drf-spectacular (the events read-back is
MyTokenTracker's contract and lives in `mytokentracker`)."""

from rest_framework.routers import SimpleRouter

from .agent_logs import AgentLogViewSet
from .billing import BillingSubscriptionViewSet, InvoiceViewSet
from .budgets import BudgetAlertViewSet, BudgetViewSet
from .checkout import BillingRedirectViewSet
from .evals import EvalViewSet
from .expenses import ExpenseViewSet
from .integrations import IntegrationViewSet
from .manual_costs import ManualCostViewSet
from .receipts import ReceiptViewSet
from .reconciliation import ReconciliationViewSet
from .webhooks import AlertDeliveryViewSet, WebhookViewSet

router = SimpleRouter(trailing_slash=False)
router.register("evals", EvalViewSet, basename="eval")
router.register("manual-costs", ManualCostViewSet, basename="manual-cost")
# Not "receipt": the dashboard's receipt-file page has that name.
router.register("receipts", ReceiptViewSet, basename="api-receipt")
router.register("expenses", ExpenseViewSet, basename="expense")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("alerts", BudgetAlertViewSet, basename="budget-alert")
router.register("reconciliation", ReconciliationViewSet, basename="reconciliation")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("alert-deliveries", AlertDeliveryViewSet, basename="alert-delivery")
# Not "integration": the dashboard's Integrations page has names of its own.
router.register("integrations", IntegrationViewSet, basename="api-integration")
router.register("agent-logs", AgentLogViewSet, basename="agent-log")
router.register("billing/subscription", BillingSubscriptionViewSet, basename="billing-subscription")
router.register("billing/invoices", InvoiceViewSet, basename="billing-invoice")
# POST billing/checkout and billing/portal (the reads under billing/ are another viewset's).
router.register("billing", BillingRedirectViewSet, basename="billing-redirect")

urlpatterns = router.urls
