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
