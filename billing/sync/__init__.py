"""Reading the providers' admin APIs: what OpenAI and Anthropic report an organization
used and billed, as rows ready to be stored as `ProviderUsageBucket` and
`ProviderCostBucket` (billing.services.sync stores them).

`http` is the one request layer (timeouts, retries, paging, the key kept out of every
message); `openai_admin` and `anthropic_admin` turn each provider's documented pages into
`rows.UsageRow` and `rows.CostRow`; `names` spells model names as the rest of TokenTracker
does, so reconciliation joins them with the events.
"""

from .http import ProviderAnswerInvalid, ProviderError, ProviderKeyInvalid, ProviderUnavailable
from .rows import CostRow, UsageRow

__all__ = [
    "CostRow",
    "ProviderAnswerInvalid",
    "ProviderError",
    "ProviderKeyInvalid",
    "ProviderUnavailable",
    "UsageRow",
]
