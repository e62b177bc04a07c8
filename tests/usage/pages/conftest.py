import pytest

# "Now" for every page test: 12:30 UTC on Saturday 21 March 2026.
NOW = "2026-03-21T12:30:00Z"

# Prices from the pinned genai-prices snapshot: gpt-4o $2.50 input, $1.25 cached input,
# $10 output per Mtok; claude-sonnet-4-5 $3/$15. The mistral model has no price.
PAGE_EVENTS = [
    {  # $0.00225 input (1,000 with 200 cached) + $0.005 output = $0.00725
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-20T10:15:00Z",
        "input_tokens": 1000,
        "cache_read_tokens": 200,
        "output_tokens": 500,
        "latency_ms": 2000,
        "endpoint": "chat",
        "project": "alpha",
        "platform": "web",
    },
    {  # $0.005 + $0.01 = $0.015
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-20T11:30:00Z",
        "input_tokens": 2000,
        "output_tokens": 1000,
        "latency_ms": 1000,
        "endpoint": "chat",
        "project": "alpha",
        "platform": "web",
    },
    {  # $0.003 + $0.003 = $0.006
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "occurred_at": "2026-03-20T11:45:00Z",
        "input_tokens": 1000,
        "output_tokens": 200,
        "latency_ms": 3000,
        "endpoint": "sql",
        "project": "beta",
        "success": False,
    },
    {  # unpriced
        "provider": "mistral",
        "model": "mystery-model",
        "occurred_at": "2026-03-21T09:00:00Z",
        "input_tokens": 100,
        "output_tokens": 100,
        "endpoint": "chat",
    },
    {  # $0.0025 + $0.001 = $0.0035, inside the last 24 hours with the unpriced one
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-21T12:10:00Z",
        "input_tokens": 1000,
        "output_tokens": 100,
        "latency_ms": 500,
        "endpoint": "chat",
        "project": "alpha",
    },
    {  # last month: $0.000025 + $0.0001 = $0.000125
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-02-10T08:00:00Z",
        "input_tokens": 10,
        "output_tokens": 10,
        "endpoint": "chat",
    },
]


@pytest.fixture
def now(freeze):
    freeze(NOW)


@pytest.fixture
def page_events(now, record):
    record(*PAGE_EVENTS)
