"""tokens_as_reported: totals that hold every cached and reasoning token (OpenTelemetry's
GenAI conventions) back into each provider's own counts, which tokens_normalise splits."""

import pytest

from usage.pricing import TokenError, tokens_as_reported, tokens_normalise

TOTALS = {
    "input_tokens": 26_000,
    "output_tokens": 800,
    "cache_read_tokens": 20_000,
    "cache_write_tokens": 5_000,
    "reasoning_tokens": 300,
}


@pytest.mark.parametrize(
    ("provider", "model", "reported"),
    [
        # Cached tokens inside input, reasoning inside output: the totals are the counts.
        ("openai", "gpt-4o", (26_000, 800)),
        ("deepseek", "deepseek-reasoner", (26_000, 800)),
        # Anthropic's input leaves cache reads and writes out, and so does Claude relayed.
        ("anthropic", "claude-sonnet-4-0", (1_000, 800)),
        ("aws", "anthropic.claude-3-5-sonnet-20240620-v1:0", (1_000, 800)),
        ("google", "claude-sonnet-4@20250514", (1_000, 800)),
        # Gemini and Grok report reasoning beside the visible output.
        ("google", "gemini-2.5-pro", (26_000, 500)),
        ("x-ai", "grok-4", (26_000, 500)),
    ],
)
def test_each_provider_gets_its_own_counts_back(provider, model, reported):
    assert tokens_as_reported(provider=provider, model=model, **TOTALS) == reported


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-0"), ("google", "gemini-2.5-pro")],
)
def test_the_parts_priced_are_the_same_whatever_the_provider_convention(provider, model):
    input_tokens, output_tokens = tokens_as_reported(provider=provider, model=model, **TOTALS)
    parts = tokens_normalise(
        provider=provider,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=20_000,
        cache_write_tokens=5_000,
        reasoning_tokens=300,
    )
    assert (parts.uncached_input, parts.cache_read, parts.cache_write) == (1_000, 20_000, 5_000)
    assert (parts.output, parts.reasoning, parts.total) == (500, 300, 26_800)


def test_cache_beyond_the_input_that_holds_it_is_an_error():
    with pytest.raises(TokenError) as raised:
        tokens_as_reported(
            provider="anthropic",
            model="claude-sonnet-4-0",
            input_tokens=1_000,
            output_tokens=10,
            cache_read_tokens=900,
            cache_write_tokens=200,
        )
    assert raised.value.field == "cache_read_tokens"
    assert raised.value.message == (
        "cache_read_tokens + cache_write_tokens (1100) cannot exceed input_tokens (1000), "
        "which counts cached tokens too"
    )


def test_reasoning_beyond_the_output_that_holds_it_is_an_error():
    with pytest.raises(TokenError) as raised:
        tokens_as_reported(
            provider="google",
            model="gemini-2.5-pro",
            input_tokens=10,
            output_tokens=100,
            reasoning_tokens=101,
        )
    assert (raised.value.field, raised.value.message) == (
        "reasoning_tokens",
        "reasoning_tokens (101) cannot exceed output_tokens (100), which counts reasoning "
        "tokens too",
    )
