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

__all__ = [
    "MONEY",
    "AlertDelivery",
    "AlertEventType",
    "AlertKind",
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
    "ManualCost",
    "ProviderCostBucket",
    "ProviderIntegration",
    "ProviderUsageBucket",
    "Receipt",
    "ReceiptStatus",
    "Service",
    "SyncRun",
    "SyncTrigger",
    "SyncedProvider",
    "WebhookEndpoint",
    "WebhookKind",
    "default_thresholds",
    "receipt_path",
    "receipts_storage",
]
