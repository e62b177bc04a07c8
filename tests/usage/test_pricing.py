from decimal import Decimal

import pytest

from tokentracker.money import MONEY_QUANTUM
from usage.pricing import (
    COST_QUANTUM,
    Rates,
    TokenError,
    cost_compute,
    reasoning_convention,
    tokens_normalise,
)

D = Decimal


def test_openai_counts_cached_tokens_inside_input_tokens():
    parts = tokens_normalise(
        provider="openai",
        model="gpt-4o",
        input_tokens=1200,
        output_tokens=350,
        cache_read_tokens=200,
    )
    assert (parts.uncached_input, parts.cache_read, parts.output, parts.total) == (
        1000,
        200,
        350,
        1550,
    )


def test_google_counts_cached_tokens_inside_input_tokens():
    parts = tokens_normalise(
        provider="google",
        model="gemini-2.5-pro",
        input_tokens=100,
        output_tokens=1,
        cache_read_tokens=40,
    )
    assert parts.uncached_input == 60


def test_anthropic_input_tokens_exclude_cache_reads_and_writes():
    parts = tokens_normalise(
        provider="anthropic",
        model="claude-sonnet-4-0",
        input_tokens=1000,
        output_tokens=800,
        cache_read_tokens=20_000,
        cache_write_tokens=5_000,
    )
    assert (parts.uncached_input, parts.prompt, parts.total) == (1000, 26_000, 26_800)


def test_claude_on_bedrock_follows_the_anthropic_convention():
    parts = tokens_normalise(
        provider="aws",
        model="anthropic.claude-3-5-sonnet",
        input_tokens=10,
        output_tokens=1,
        cache_read_tokens=50,
    )
    assert parts.uncached_input == 10


def test_reasoning_tokens_are_part_of_output():
    parts = tokens_normalise(
        provider="openai", model="o3", input_tokens=10, output_tokens=500, reasoning_tokens=300
    )
    assert (parts.output, parts.reasoning, parts.total) == (200, 300, 510)


def test_more_reasoning_than_output_is_rejected():
    with pytest.raises(TokenError) as exc:
        tokens_normalise(
            provider="openai", model="o3", input_tokens=1, output_tokens=5, reasoning_tokens=6
        )
    assert exc.value.field == "reasoning_tokens"


def test_more_cached_than_input_is_rejected_for_inclusive_providers():
    with pytest.raises(TokenError) as exc:
        tokens_normalise(
            provider="openai",
            model="gpt-4o",
            input_tokens=10,
            output_tokens=5,
            cache_read_tokens=11,
        )
    assert exc.value.field == "cache_read_tokens"
    assert "inside input_tokens" in exc.value.message


def test_missing_cache_prices_fall_back_to_the_input_price():
    parts = tokens_normalise(
        provider="openai",
        model="x",
        input_tokens=3_000_000,
        output_tokens=0,
        cache_read_tokens=1_000_000,
        cache_write_tokens=1_000_000,
    )
    costs = cost_compute(parts, Rates(input=D("2"), output=D("8")))
    assert costs.total == D("6")
    assert (costs.input, costs.cache_read, costs.cache_write) == (D(2), D(2), D(2))


def test_separate_reasoning_price_is_used_when_the_model_has_one():
    parts = tokens_normalise(
        provider="openai",
        model="x",
        input_tokens=0,
        output_tokens=1_000_000,
        reasoning_tokens=400_000,
    )
    costs = cost_compute(parts, Rates(input=D("1"), output=D("10"), reasoning=D("3")))
    assert costs.output == D("6")
    assert costs.reasoning == D("1.2")
    assert costs.total == D("7.2")


def test_long_context_tier_applies_strictly_above_the_threshold():
    rates = Rates(
        input=D("1"),
        output=D("2"),
        long_context_threshold=100,
        long_context_input=D("10"),
        long_context_output=D("20"),
    )
    at = tokens_normalise(provider="google", model="m", input_tokens=100, output_tokens=1)
    above = tokens_normalise(provider="google", model="m", input_tokens=101, output_tokens=1)
    assert cost_compute(at, rates).total == D("0.000102")
    assert cost_compute(above, rates).total == D("0.00103")
    assert cost_compute(above, rates).long_context is True


def test_a_row_without_input_or_output_price_prices_nothing():
    parts = tokens_normalise(provider="openai", model="x", input_tokens=1, output_tokens=1)
    assert cost_compute(parts, Rates(input=None, output=D("1"))) is None


def test_claude_on_vertex_follows_the_anthropic_convention():
    parts = tokens_normalise(
        provider="google",
        model="claude-sonnet-4@20250514",
        input_tokens=10,
        output_tokens=1,
        cache_read_tokens=50,
    )
    assert parts.uncached_input == 10


@pytest.mark.parametrize(
    ("provider", "model", "convention"),
    [
        ("openai", "o3", "inside"),
        ("anthropic", "claude-sonnet-4-0", "inside"),
        ("aws", "anthropic.claude-sonnet-4-20250514-v1:0", "inside"),
        ("google", "claude-sonnet-4@20250514", "inside"),
        ("deepseek", "deepseek-reasoner", "inside"),
        ("mistral", "magistral-medium", "inside"),
        ("google", "gemini-2.5-pro", "apart"),
        ("x-ai", "grok-3-mini", "apart"),
    ],
)
def test_each_provider_has_its_reasoning_convention(provider, model, convention):
    assert reasoning_convention(provider, model) == convention


def test_gemini_thoughts_come_apart_from_candidates():
    # usage_metadata: prompt 10, candidates 200, thoughts 1,500.
    parts = tokens_normalise(
        provider="google",
        model="gemini-2.5-pro",
        input_tokens=10,
        output_tokens=200,
        reasoning_tokens=1_500,
    )
    assert (parts.output, parts.reasoning, parts.output_with_reasoning, parts.total) == (
        200,
        1_500,
        1_700,
        1_710,
    )


def test_inside_providers_keep_the_stored_output_as_reported():
    parts = tokens_normalise(
        provider="openai", model="o3", input_tokens=10, output_tokens=500, reasoning_tokens=300
    )
    assert parts.output_with_reasoning == 500


@pytest.mark.parametrize(
    ("price", "tokens", "cost"),
    [
        # At most six decimals per million tokens: an integer product, exact.
        ("2.5", 1_234, "0.003085000000"),
        ("0.075", 1, "0.000000075000"),
        ("3.141592", 999_999_999, "3141.591996858408"),
        # More decimals: the Decimal path, rounded to the cost columns' twelve places.
        ("0.0000001234567", 7, "0.000000000001"),
        ("1.23456789", 3, "0.000003703704"),
    ],
)
def test_part_costs_are_exact_to_twelve_places_however_many_decimals_the_price_has(
    price, tokens, cost
):
    parts = tokens_normalise(provider="openai", model="x", input_tokens=tokens, output_tokens=0)
    costs = cost_compute(parts, Rates(input=D(price), output=D("1")))
    assert format(costs.input, "f") == cost
    assert costs.output == 0
    assert costs.total == D(cost)


def test_cost_quantum_is_the_money_quantum_the_usd_costs_skip_converting_to():
    # costs_in_currency keeps catalog parts as they are in USD: they must already be at the
    # places a conversion would round them to.
    assert COST_QUANTUM == MONEY_QUANTUM
