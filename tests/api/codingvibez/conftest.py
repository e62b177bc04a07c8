"""CodingVibez fixtures: a known month of usage."""

import pytest


@pytest.fixture
def january(org, outsider_org, record):
    """A known month of usage, with neighbours outside it and another organization's spend."""
    record(
        {"occurred_at": "2025-12-31T23:59:00Z", "input_tokens": 1, "total_cost": 9},
        {
            "occurred_at": "2026-01-05T10:15:00Z",
            "input_tokens": 1000,
            "output_tokens": 500,
            "total_cost": 1,
        },
        {
            "occurred_at": "2026-01-05T23:59:00Z",
            "input_tokens": 2000,
            "cache_read_tokens": 500,
            "total_cost": 2,
        },
        {
            "occurred_at": "2026-01-06T00:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "input_tokens": 100,
            "output_tokens": 100,
            "total_cost": 0.25,
        },
        {"occurred_at": "2026-01-10T12:00:00Z", "model": "mystery", "input_tokens": 300},
        {
            "occurred_at": "2026-01-31T23:00:00Z",
            "model": "gpt-4o-mini",
            "input_tokens": 10,
            "output_tokens": 10,
            "total_cost": 0.05,
        },
        {"occurred_at": "2026-02-01T00:00:00Z", "input_tokens": 1, "total_cost": 9},
        organization=org,
    )
    record(
        {"occurred_at": "2026-01-05T12:00:00Z", "input_tokens": 7, "total_cost": 100},
        organization=outsider_org,
    )


MARCH_NOW = "2026-03-20T12:00:00Z"


@pytest.fixture
def march(org, outsider_org, record, freeze):
    """Noon on 20 March 2026, after sixty days of the same spend: OpenAI 1.50 a day (gpt-4o,
    1,000 prompt tokens of which 200 cached, 100 output) and Anthropic 0.50 (200 in, 50
    out), each at 10:00; today only the morning's half so far (at 06:00). One unpriced
    call in March; manual costs: OpenAI 10 USD in March and 5 in February, Anthropic 40 EUR
    in March with no exchange rate (unconverted). The outsider spends 100 in March."""
    from datetime import date, timedelta

    from billing.services.manual_costs import manual_cost_create

    freeze(MARCH_NOW)
    events = []
    day = date(2026, 1, 19)
    while day < date(2026, 3, 20):
        events += [
            {
                "occurred_at": f"{day}T10:00:00Z",
                "input_tokens": 1000,
                "cache_read_tokens": 200,
                "output_tokens": 100,
                "total_cost": 1.5,
            },
            {
                "occurred_at": f"{day}T10:00:00Z",
                "provider": "anthropic",
                "model": "claude-sonnet-4-0",
                "input_tokens": 200,
                "output_tokens": 50,
                "total_cost": 0.5,
            },
        ]
        day += timedelta(days=1)
    events += [
        {
            "occurred_at": "2026-03-20T06:00:00Z",
            "input_tokens": 1000,
            "cache_read_tokens": 200,
            "output_tokens": 100,
            "total_cost": 0.75,
        },
        {
            "occurred_at": "2026-03-20T06:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "input_tokens": 200,
            "output_tokens": 50,
            "total_cost": 0.25,
        },
        {"occurred_at": "2026-03-11T09:00:00Z", "model": "mystery", "input_tokens": 300},
    ]
    record(*events, organization=org)
    for service, amount, currency, month in (
        ("openai", 10, "USD", 3),
        ("openai", 5, "USD", 2),
        ("anthropic", 40, "EUR", 3),
    ):
        manual_cost_create(
            organization_id=org.id,
            service=service,
            amount=amount,
            month=month,
            year=2026,
            currency=currency,
        )
    record(
        {"occurred_at": "2026-03-05T12:00:00Z", "input_tokens": 7, "total_cost": 100},
        organization=outsider_org,
    )
