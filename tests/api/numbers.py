"""One event per provider convention, with the numbers every surface must show for them.

Issue 13's "numbers add up" checks, shared by each contract's `test_numbers_add_up.py`:
the same four calls recorded through the one ingest service, and what our normalised token
parts make of them. Prices from the pinned genai-prices snapshot (per Mtok): gpt-4o $2.50
input, $1.25 cached, $10 output; claude-sonnet-4-5 $3 input, $0.30 cache read, $3.75 cache
write, $15 output; gemini-2.5-flash $0.30 input, $0.03 cached, $2.50 output.
"""

NOW = "2026-03-20T18:00:00Z"
DAY = "2026-03-20"

# OpenAI counts cached tokens inside input_tokens (prompt_tokens) and reasoning inside output.
OPENAI = {
    "provider": "openai",
    "model": "gpt-4o",
    "occurred_at": "2026-03-20T10:00:00Z",
    "input_tokens": 10_000,
    "cache_read_tokens": 8_000,
    "output_tokens": 1_000,
    "reasoning_tokens": 400,
    "endpoint": "chat",
    "session_id": "s-openai",
    "developer_id": "dev",
}
# Anthropic's input_tokens leaves cache reads and cache writes out.
ANTHROPIC = {
    "provider": "anthropic",
    "model": "claude-sonnet-4-5",
    "occurred_at": "2026-03-20T11:00:00Z",
    "input_tokens": 800,
    "cache_read_tokens": 8_000,
    "cache_write_tokens": 2_000,
    "output_tokens": 2_000,
    "endpoint": "code",
    "session_id": "s-anthropic",
    "developer_id": "dev",
}
# Google counts cached tokens inside prompt_token_count, like OpenAI.
GOOGLE = {
    "provider": "google",
    "model": "gemini-2.5-flash",
    "occurred_at": "2026-03-20T12:00:00Z",
    "input_tokens": 5_000,
    "cache_read_tokens": 1_000,
    "output_tokens": 1_100,
    "endpoint": "search",
    "session_id": "s-google",
    "developer_id": "dev",
}
# No catalog price: stored unpriced, never shown as $0.
UNKNOWN = {
    "provider": "mistral",
    "model": "mystery-model",
    "occurred_at": "2026-03-20T13:00:00Z",
    "input_tokens": 300,
    "output_tokens": 100,
    "endpoint": "batch",
    "session_id": "s-unknown",
    "developer_id": "dev",
}
EVENTS = [OPENAI, ANTHROPIC, GOOGLE, UNKNOWN]

# What each call is on every surface: input is the whole prompt (uncached + cache read +
# cache write), cached the cache reads within it, total = input + output.
EXPECTED = {
    "gpt-4o": {"input": 10_000, "cached": 8_000, "output": 1_000, "total": 11_000},
    "claude-sonnet-4-5": {"input": 10_800, "cached": 8_000, "output": 2_000, "total": 12_800},
    "gemini-2.5-flash": {"input": 5_000, "cached": 1_000, "output": 1_100, "total": 6_100},
    "mystery-model": {"input": 300, "cached": 0, "output": 100, "total": 400},
}
TOTAL = {"input": 26_100, "cached": 17_000, "output": 4_200, "total": 30_300}
# As reported, Anthropic's 800 instead of 10,800: what the surfaces used to sum as input.
REPORTED_INPUT = 16_100

# 2,000 x 2.50 + 8,000 x 1.25 + 1,000 x 10 per Mtok (reasoning is output).
OPENAI_COST = 0.025
# 800 x 3 + 8,000 x 0.30 + 2,000 x 3.75 + 2,000 x 15 per Mtok.
ANTHROPIC_COST = 0.0423
# 4,000 x 0.30 + 1,000 x 0.03 + 1,100 x 2.50 per Mtok.
GOOGLE_COST = 0.00398
COST = {
    "gpt-4o": OPENAI_COST,
    "claude-sonnet-4-5": ANTHROPIC_COST,
    "gemini-2.5-flash": GOOGLE_COST,
    "mystery-model": None,
}
# The priced part of the whole window; the unknown model's call is counted apart.
PRICED_COST = 0.07128
UNPRICED = 1


def assert_parts_add_up(input_tokens: int, output_tokens: int, cached: int, total: int) -> None:
    """The relations every surface keeps: total = input + output, cached within input."""
    assert total == input_tokens + output_tokens
    assert 0 <= cached <= input_tokens
