import pytest

# The known event set: prices from the pinned genai-prices snapshot (gpt-4o $2.50/$10 with
# cached input $1.25 per Mtok, claude-sonnet-4-5 $3/$15), one unknown model.
KNOWN_EVENTS = [
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-20T10:15:00Z",
        "input_tokens": 1000,
        "cache_read_tokens": 200,
        "output_tokens": 500,
        "latency_ms": 2000,
        "endpoint": "chat",
    },
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-20T11:30:00Z",
        "input_tokens": 2000,
        "output_tokens": 1000,
        "latency_ms": 1000,
        "endpoint": "chat",
    },
    {
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "occurred_at": "2026-03-20T11:45:00Z",
        "input_tokens": 1000,
        "output_tokens": 200,
        "latency_ms": 3000,
        "endpoint": "sql",
        "success": False,
    },
    {
        "provider": "mistral",
        "model": "mystery-model",
        "occurred_at": "2026-03-21T09:00:00Z",
        "input_tokens": 100,
        "output_tokens": 100,
    },
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-25T00:00:00Z",
        "input_tokens": 10,
        "output_tokens": 10,
        "endpoint": "chat",
    },
]
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}
ECHOED_WINDOW = {"start_date": "2026-03-20T00:00:00Z", "end_date": "2026-03-22T00:00:00Z"}


@pytest.fixture
def known_events(record):
    record(*KNOWN_EVENTS)
