"""Writes of tenancy, one module per domain noun: `organizations`, `keys` (API keys),
`quotas` (daily events, free live events), `teams` (sign-up and memberships) and
`invitations`. The names most callers use are re-exported here."""

from .keys import CreatedApiKey, api_key_cache_key, api_key_create, api_key_revoke, api_key_touch
from .organizations import (
    organization_community_opt_in_set,
    organization_ensure,
    organization_plan_change,
    organization_settings_update,
    plan_get_default,
)
from .quotas import (
    FreeQuotaExhausted,
    LiveQuota,
    QuotaExceeded,
    live_quota_consume,
    quota_consume,
)

__all__ = [
    "CreatedApiKey",
    "FreeQuotaExhausted",
    "LiveQuota",
    "QuotaExceeded",
    "api_key_cache_key",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "live_quota_consume",
    "organization_community_opt_in_set",
    "organization_ensure",
    "organization_plan_change",
    "organization_settings_update",
    "plan_get_default",
    "quota_consume",
]
