"""A known March 2026 of events and provider bills, for the reconciliation tests.

Now is 20 March 2026, 12:00 UTC. Reporting currency USD. Events carry their own cost
(`total_cost`), so no catalog price enters the figures.

OpenAI (costs synced until 5 March 00:00: 1-4 March synced; first billed day 27 Feb):

    day    billed                              tracked (events)          untracked  over
    27 Feb 0.40 gpt-4o                         0.10 gpt-4o               0.30       -
    1 Mar  nothing                             nothing                   0          0
    2 Mar  2.50 (gpt-4o 1.20 + 0.80, mini 0.50) 2.00 (gpt-4o 1.50, mini 0.50)  0.50  0
    3 Mar  1.50 (gpt-4o 1.20, no model 0.30)   2.00 gpt-4o + 1 unpriced  0          0.50
    4 Mar  4.25 (gpt-4o 4.00, no model 0.25)   1.00 gpt-4o               3.25       0
    5 Mar  0.90 line, not synced               3.00 gpt-4o               not synced
    March totals (judged days 1-4): billed 8.25, tracked 5.00, untracked 3.75, over 0.50.

Anthropic (costs synced until 4 March 00:00: 2-3 March synced; first billed day 2 March):

    2 Mar  1.00 claude-sonnet-4-0              0.75                      0.25
    3 Mar  0.25                                0.25                      0          0
    March totals: billed 1.25, tracked 1.00, untracked 0.25, over 0.

Spend (max of billed and tracked per provider and day): OpenAI March 8.00 of events +
3.75 untracked = 11.75 (2.50 + 2.00 + 4.25 + 3.00); February 0.10 + 0.30 = 0.40.
Anthropic March 1.00 + 0.25 = 1.25.

The outsider organization has its own OpenAI integration, bill (500 on 2 March) and event
(100): none of it may show for `org`.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from billing.models import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
)
from tokentracker.crypto import field_encrypt

NOW = "2026-03-20T12:00:00Z"
OPENAI_LAST_SYNC = datetime(2026, 3, 20, 11, 50, tzinfo=UTC)
ANTHROPIC_LAST_SYNC = datetime(2026, 3, 20, 11, 0, tzinfo=UTC)


def integration(organization, provider, *, costs_until, usage_until=None, last_success=None):
    return ProviderIntegration.objects.create(
        organization=organization,
        provider=provider,
        key_ciphertext=field_encrypt(f"sk-admin-{provider}-test-key-1234"),
        key_last_four="1234",
        status=IntegrationStatus.OK,
        last_sync_at=last_success,
        last_success_at=last_success,
        costs_synced_until=costs_until,
        usage_synced_until=usage_until,
    )


def bill(organization, provider, day, line_item, amount, *, model="", currency="usd", rate=True):
    """A cost line in USD (converted 1:1 into the USD reporting currency), or with `rate`
    False one with no exchange rate."""
    amount = Decimal(str(amount))
    return ProviderCostBucket.objects.create(
        organization=organization,
        provider=provider,
        day=day,
        line_item=line_item,
        model=model,
        amount=amount,
        currency=currency,
        converted_amount=amount if rate else None,
        converted_currency="USD" if rate else "",
    )


def usage(organization, provider, day, model, *, uncached, output, requests, cache_read=0):
    return ProviderUsageBucket.objects.create(
        organization=organization,
        provider=provider,
        start=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        width="1d",
        model=model,
        input_tokens=uncached,
        cache_read_tokens=cache_read,
        output_tokens=output,
        requests=requests,
    )


def march_reconciled(org, outsider_org, record):
    """The month in the module's docstring (call with `freeze(NOW)` in effect)."""
    record(
        {"occurred_at": "2026-02-27T10:00:00Z", "total_cost": 0.10},
        {
            "occurred_at": "2026-03-02T10:00:00Z",
            "input_tokens": 1000,
            "cache_read_tokens": 200,
            "output_tokens": 100,
            "total_cost": 1.50,
        },
        {
            "occurred_at": "2026-03-02T11:00:00Z",
            "model": "gpt-4o-mini",
            "input_tokens": 400,
            "output_tokens": 40,
            "total_cost": 0.50,
        },
        {
            "occurred_at": "2026-03-03T10:00:00Z",
            "input_tokens": 2000,
            "output_tokens": 200,
            "total_cost": 2.00,
        },
        # No catalog price: counted, not valued.
        {"occurred_at": "2026-03-03T12:00:00Z", "model": "mystery", "input_tokens": 300},
        {
            "occurred_at": "2026-03-04T10:00:00Z",
            "input_tokens": 1000,
            "output_tokens": 100,
            "total_cost": 1.00,
        },
        {"occurred_at": "2026-03-05T10:00:00Z", "total_cost": 3.00},
        {
            "occurred_at": "2026-03-02T10:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "input_tokens": 200,
            "output_tokens": 50,
            "total_cost": 0.75,
        },
        {
            "occurred_at": "2026-03-03T10:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "total_cost": 0.25,
        },
        organization=org,
    )
    integration(
        org,
        "openai",
        costs_until=datetime(2026, 3, 5, tzinfo=UTC),
        usage_until=datetime(2026, 3, 5, tzinfo=UTC),
        last_success=OPENAI_LAST_SYNC,
    )
    integration(
        org,
        "anthropic",
        costs_until=datetime(2026, 3, 4, tzinfo=UTC),
        last_success=ANTHROPIC_LAST_SYNC,
    )
    bill(org, "openai", date(2026, 2, 27), "gpt-4o, input", 0.40, model="gpt-4o")
    bill(org, "openai", date(2026, 3, 2), "gpt-4o-2024-08-06, input", 1.20, model="gpt-4o")
    bill(org, "openai", date(2026, 3, 2), "gpt-4o-2024-08-06, output", 0.80, model="gpt-4o")
    bill(org, "openai", date(2026, 3, 2), "gpt-4o-mini, input", 0.50, model="gpt-4o-mini")
    bill(org, "openai", date(2026, 3, 3), "gpt-4o, input", 1.20, model="gpt-4o")
    bill(org, "openai", date(2026, 3, 3), "web search tool calls", 0.30)
    bill(org, "openai", date(2026, 3, 4), "gpt-4o, input", 4.00, model="gpt-4o")
    bill(org, "openai", date(2026, 3, 4), "web search tool calls", 0.25)
    # A day the sync has not finished: its line is not counted.
    bill(org, "openai", date(2026, 3, 5), "gpt-4o, input", 0.90, model="gpt-4o")
    for day, amount in ((date(2026, 3, 2), 1.00), (date(2026, 3, 3), 0.25)):
        bill(
            org,
            "anthropic",
            day,
            "Claude Sonnet 4 Usage - Input Tokens",
            amount,
            model="claude-sonnet-4-0",
        )
    # The provider's usage report: 2 March as our events say; 4 March, 5,000 uncached input
    # tokens and 500 output in 4 requests where our events hold 1,000 and 100 in one.
    usage(
        org,
        "openai",
        date(2026, 3, 2),
        "gpt-4o",
        uncached=800,
        cache_read=200,
        output=100,
        requests=1,
    )
    usage(org, "openai", date(2026, 3, 2), "gpt-4o-mini", uncached=400, output=40, requests=1)
    usage(org, "openai", date(2026, 3, 4), "gpt-4o", uncached=5000, output=500, requests=4)

    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 100.0}, organization=outsider_org)
    integration(
        outsider_org,
        "openai",
        costs_until=datetime(2026, 3, 10, tzinfo=UTC),
        last_success=OPENAI_LAST_SYNC,
    )
    bill(outsider_org, "openai", date(2026, 3, 2), "gpt-4o, input", 500, model="gpt-4o")
