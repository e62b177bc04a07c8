"""Our own API under /api/v1/, described by drf-spectacular (the events read-back is
MyTokenTracker's contract and lives in `mytokentracker`)."""

from rest_framework.routers import SimpleRouter

from .budgets import BudgetAlertViewSet, BudgetViewSet
from .evals import EvalViewSet
from .manual_costs import ManualCostViewSet

router = SimpleRouter(trailing_slash=False)
router.register("evals", EvalViewSet, basename="eval")
router.register("manual-costs", ManualCostViewSet, basename="manual-cost")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("alerts", BudgetAlertViewSet, basename="budget-alert")

urlpatterns = router.urls
