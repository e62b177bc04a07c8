"""The billing app's models, one module per domain noun; imported here so Django and
every `billing.models.X` (migrations included) find them."""

from .budgets import (
    AlertKind,
    Budget,
    BudgetAlert,
    BudgetScope,
    WebhookEndpoint,
    WebhookKind,
    default_thresholds,
)
from .costs import (
    MONEY,
    ManualCost,
    Service,
)
from .deliveries import (
    AlertDelivery,
    AlertEventType,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
)
from .expenses import (
    Expense,
    ExpenseSource,
    ExpenseStatus,
    Receipt,
    ReceiptStatus,
    receipt_path,
    receipts_storage,
)
from .integrations import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    SyncedProvider,
    SyncRun,
    SyncTrigger,
)
from .subscriptions import (
    BillingAccount,
    Invoice,
    PlanPrice,
    StripeEvent,
    StripeEventStatus,
    SubscriptionStatus,
)

__all__ = [
    "MONEY",
    "AlertDelivery",
    "AlertEventType",
    "AlertKind",
    "BillingAccount",
    "Budget",
    "BudgetAlert",
    "BudgetScope",
    "DeliveryAttempt",
    "DeliveryChannel",
    "DeliveryStatus",
    "Expense",
    "ExpenseSource",
    "ExpenseStatus",
    "IntegrationStatus",
    "Invoice",
    "ManualCost",
    "PlanPrice",
    "ProviderCostBucket",
    "ProviderIntegration",
    "ProviderUsageBucket",
    "Receipt",
    "ReceiptStatus",
    "Service",
    "StripeEvent",
    "StripeEventStatus",
    "SubscriptionStatus",
    "SyncRun",
    "SyncTrigger",
    "SyncedProvider",
    "WebhookEndpoint",
    "WebhookKind",
    "default_thresholds",
    "receipt_path",
    "receipts_storage",
]
