"""POST /api/v1/events: each provider's own reasoning convention (usage.pricing's table).

OpenAI, Anthropic, DeepSeek and Claude relayed by Google or AWS count reasoning inside
output tokens; Gemini (thoughts_token_count beside candidates_token_count) and xAI
(reasoning_tokens beside completion_tokens) count it apart. Either way the stored
output_tokens includes reasoning and reasoning is billed at the output price.
"""

from decimal import Decimal

import pytest

from usage.models import UsageEvent

from .events import URL, event

D = Decimal

pytestmark = pytest.mark.django_db

# (provider, model, stored output_tokens, input cost, output cost, reasoning cost, total)
# for 1,000 input, 1,000 output and 600 reasoning tokens, at the catalog's prices per Mtok.
WITHIN_OUTPUT = [
    # o3: $2 in, $8 out; reasoning inside: 400 output + 600 reasoning.
    ("openai", "o3", 1_000, "0.002", "0.0032", "0.0048", "0.01"),
    # claude-sonnet-4: $3 in, $15 out, inside.
    ("anthropic", "claude-sonnet-4-0", 1_000, "0.003", "0.006", "0.009", "0.018"),
    ("google", "claude-sonnet-4@20250514", 1_000, "0.003", "0.006", "0.009", "0.018"),
    ("aws", "anthropic.claude-sonnet-4-20250514-v1:0", 1_000, "0.003", "0.006", "0.009", "0.018"),
    # deepseek-reasoner: $0.135 in, $0.55 out, the OpenAI-compatible rule (inside).
    ("deepseek", "deepseek-reasoner", 1_000, "0.000135", "0.00022", "0.00033", "0.000685"),
    # gemini-2.5-flash: $0.30 in, $2.50 out; thoughts apart: 1,000 output + 600 reasoning.
    ("google", "gemini-2.5-flash", 1_600, "0.0003", "0.0025", "0.0015", "0.0043"),
    # grok-3-mini: $0.30 in, $0.50 out; reasoning apart.
    ("x-ai", "grok-3-mini", 1_600, "0.0003", "0.0005", "0.0003", "0.0011"),
]


@pytest.mark.parametrize(
    ("provider", "model", "output_tokens", "input_cost", "output_cost", "reasoning_cost", "total"),
    WITHIN_OUTPUT,
)
def test_reasoning_follows_the_providers_own_convention(
    api,
    org,
    raw_key,
    provider,
    model,
    output_tokens,
    input_cost,
    output_cost,
    reasoning_cost,
    total,
):
    body = event(
        provider=provider,
        model=model,
        input_tokens=1_000,
        output_tokens=1_000,
        reasoning_tokens=600,
    )
    response = api.post(URL, body, raw_key)
    assert response.status_code == 201, response.content
    assert response.json()["total_cost"] == float(total)
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.output_tokens, stored.reasoning_tokens) == (output_tokens, 600)
    assert (stored.input_cost, stored.output_cost, stored.reasoning_cost) == (
        D(input_cost),
        D(output_cost),
        D(reasoning_cost),
    )
    assert stored.total_cost == D(total)
    assert stored.total_tokens == 1_000 + output_tokens


@pytest.mark.parametrize(
    ("provider", "model", "total"),
    [
        # 1,000 x 0.30 + 1,000 x 2.50 + 3,000 x 2.50 per Mtok
        ("google", "gemini-2.5-flash", "0.0103"),
        ("gemini", "gemini-2.5-flash", "0.0103"),
        # 1,000 x 0.30 + 1,000 x 0.50 + 3,000 x 0.50 per Mtok
        ("x-ai", "grok-3-mini", "0.0023"),
    ],
)
def test_thoughts_beyond_the_visible_output_are_accepted_where_reported_apart(
    api, org, raw_key, provider, model, total
):
    # Gemini 2.5 often thinks more than it answers: thoughts_token_count 3,000 beside
    # candidates_token_count 1,000 is an ordinary response, not a contradiction.
    body = event(
        provider=provider,
        model=model,
        input_tokens=1_000,
        output_tokens=1_000,
        reasoning_tokens=3_000,
    )
    response = api.post(URL, body, raw_key)
    assert response.status_code == 201, response.content
    stored = UsageEvent.objects.get(organization=org)
    assert (stored.output_tokens, stored.reasoning_tokens, stored.total_cost) == (
        4_000,
        3_000,
        D(total),
    )


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "o3"),
        ("anthropic", "claude-sonnet-4-0"),
        ("google", "claude-sonnet-4@20250514"),
        ("aws", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("deepseek", "deepseek-reasoner"),
    ],
)
def test_more_reasoning_than_output_is_refused_where_output_includes_it(
    api, org, raw_key, provider, model
):
    body = event(provider=provider, model=model, output_tokens=1_000, reasoning_tokens=3_000)
    response = api.post(URL, body, raw_key)
    assert response.status_code == 422
    (error,) = response.json()["error"]["details"]["errors"]
    assert error["field"] == "reasoning_tokens"
    assert "counts reasoning tokens inside output_tokens" in error["message"]
    assert not UsageEvent.objects.exists()
