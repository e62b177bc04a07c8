"""CodingVibez (seed 004) paths, mounted at /api/ without trailing slashes as the seed has.

The order matters where a path parameter could capture a fixed path: /api/costs/{provider}
comes last of /api/costs.
"""

from django.urls import path

from .checkout import CheckoutView
from .costs import AllCostsView, ManualCostView, ProviderCostsView
from .dashboard import DashboardView
from .expenses import ExpensesView
from .ingest import IngestView, TrackView
from .projections import ProjectionsView, TokenStatsView
from .reads import AnalyticsView, BurnRateView, TimeseriesView, TokensView, TrackingHealthView
from .receipts import ReceiptOcrView, ReceiptView
from .subscriptions import BillingHistoryView, SubscriptionStatusView
from .sync import StatusView, SyncOrganizationUsageView, SyncView
from .team import OrganizationsView, TeamInvitationsView, TeamMembersView

urlpatterns = [
    path("tokens/track", TrackView.as_view(), name="codingvibez-tokens-track"),
    path("tokens", TokensView.as_view(), name="codingvibez-tokens"),
    path("tokens/timeseries", TimeseriesView.as_view(), name="codingvibez-tokens-timeseries"),
    path("tokens/burn-rate", BurnRateView.as_view(), name="codingvibez-tokens-burn-rate"),
    path("tokens/stats", TokenStatsView.as_view(), name="codingvibez-tokens-stats"),
    path("analytics", AnalyticsView.as_view(), name="codingvibez-analytics"),
    path("dashboard", DashboardView.as_view(), name="codingvibez-dashboard"),
    path("projections", ProjectionsView.as_view(), name="codingvibez-projections"),
    path("tracking-health", TrackingHealthView.as_view(), name="codingvibez-tracking-health"),
    path("ingest", IngestView.as_view(), name="codingvibez-ingest"),
    path("organizations", OrganizationsView.as_view(), name="codingvibez-organizations"),
    path("team/members", TeamMembersView.as_view(), name="codingvibez-team-members"),
    path("costs/manual", ManualCostView.as_view(), name="codingvibez-costs-manual"),
    path("costs/all", AllCostsView.as_view(), name="codingvibez-costs-all"),
    # After costs/manual and costs/all, which it would otherwise capture as services.
    path("costs/<str:provider>", ProviderCostsView.as_view(), name="codingvibez-costs-provider"),
    path("receipts/ocr", ReceiptOcrView.as_view(), name="codingvibez-receipts-ocr"),
    path("receipts/<int:receipt_id>", ReceiptView.as_view(), name="codingvibez-receipt"),
    path("expenses", ExpensesView.as_view(), name="codingvibez-expenses"),
    path("team/invitations", TeamInvitationsView.as_view(), name="codingvibez-team-invitations"),
    path("sync", SyncView.as_view(), name="codingvibez-sync"),
    path(
        "sync-organization-usage",
        SyncOrganizationUsageView.as_view(),
        name="codingvibez-sync-organization-usage",
    ),
    path("status", StatusView.as_view(), name="codingvibez-status"),
    path(
        "subscription-status",
        SubscriptionStatusView.as_view(),
        name="codingvibez-subscription-status",
    ),
    path("billing-history", BillingHistoryView.as_view(), name="codingvibez-billing-history"),
    path("checkout", CheckoutView.as_view(), name="codingvibez-checkout"),
]
