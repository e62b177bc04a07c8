"""Token normalisation and cost arithmetic: pure functions, no database.

Providers disagree on what `input_tokens` means, and mis-pricing cached tokens is the most
reported bug of every tool in this space, so the rules live here, once:

- OpenAI, Google and OpenAI-compatible APIs count cached tokens *inside* the prompt count
  (`prompt_tokens`, `prompt_token_count`), so the uncached part is input minus cache reads
  and writes.
- Anthropic's `input_tokens` *excludes* cache reads and writes (`cache_read_input_tokens`,
  `cache_creation_input_tokens` come on top). Bedrock's Converse API reports Claude the same
  way, and so does Vertex AI (genai-prices lists Claude on Vertex under `google`), so Claude
  relayed by AWS or Google follows the Anthropic rule.
- Reasoning tokens: providers disagree again (the reasoning table below). The stored
  `output_tokens` always includes reasoning; reasoning is priced at the output price unless
  the model has its own reasoning price.
- Above a model's long-context threshold (measured on the whole prompt, cached parts
  included, as Anthropic and Google do) every token is priced at the tier.
"""

from dataclasses import dataclass
from decimal import Decimal

COST_QUANTUM = Decimal("0.000000000001")  # matches UsageEvent cost columns (12 places)

# Providers whose input count excludes cached tokens, and the hosts that relay their models
# with the same convention.
_CACHE_EXCLUSIVE_PROVIDERS = frozenset({"anthropic"})
_CLAUDE_RELAY_PROVIDERS = frozenset({"aws", "bedrock", "google"})

# Whether a provider's own output count includes its reasoning tokens (README, "Reasoning
# tokens"). "inside": reasoning is a part of output_tokens, so it can never exceed it.
# "apart": the API reports reasoning beside the output and bills both at the output price,
# so output_tokens is the visible output alone and any reasoning count is possible.
#
# | provider (slug)          | the API's own fields                                   | rule   |
# |--------------------------|--------------------------------------------------------|--------|
# | openai, azure, deepseek, | completion_tokens incl. completion_tokens_details.     | inside |
# | openrouter               | reasoning_tokens (the OpenAI-compatible convention)    |        |
# | anthropic                | output_tokens incl. extended thinking                  | inside |
# | aws, google + Claude     | Claude relayed by Bedrock / Vertex: the Anthropic rule | inside |
# | google (Gemini, ...)     | thoughts_token_count apart from candidates_token_count | apart  |
# | x-ai (Grok)              | reasoning_tokens apart from completion_tokens          | apart  |
#
# Every provider not listed as apart follows OpenAI's convention, the one most
# OpenAI-compatible APIs copy.
REASONING_INSIDE = "inside"
REASONING_APART = "apart"
_REASONING_APART_PROVIDERS = frozenset({"google", "x-ai"})


class TokenError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class TokenParts:
    uncached_input: int
    cache_read: int
    cache_write: int
    output: int  # excludes reasoning
    reasoning: int

    @property
    def output_with_reasoning(self) -> int:
        """What `UsageEvent.output_tokens` stores whatever the provider's convention."""
        return self.output + self.reasoning

    @property
    def prompt(self) -> int:
        return self.uncached_input + self.cache_read + self.cache_write

    @property
    def total(self) -> int:
        return self.prompt + self.output + self.reasoning


@dataclass(frozen=True, slots=True)
class Rates:
    """Prices per million tokens for one catalog row (the long-context tier optional)."""

    input: Decimal | None
    output: Decimal | None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    long_context_threshold: int | None = None
    long_context_input: Decimal | None = None
    long_context_output: Decimal | None = None
    long_context_cache_read: Decimal | None = None
    long_context_cache_write: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CostParts:
    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    total: Decimal
    long_context: bool


def cache_is_exclusive(provider: str, model: str) -> bool:
    """True when the provider's input count leaves cache reads and writes out."""
    if provider in _CACHE_EXCLUSIVE_PROVIDERS:
        return True
    return provider in _CLAUDE_RELAY_PROVIDERS and "claude" in model.lower()


def reasoning_convention(provider: str, model: str) -> str:
    """REASONING_APART when the provider reports reasoning beside its output count."""
    if cache_is_exclusive(provider, model):
        return REASONING_INSIDE  # Claude, wherever it is relayed
    return REASONING_APART if provider in _REASONING_APART_PROVIDERS else REASONING_INSIDE


def tokens_normalise(
    *,
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> TokenParts:
    """Split reported counts into priced parts, by the provider's cache and reasoning rules.

    `output_tokens` is the provider's own output count: reasoning included for the
    "inside" providers, the visible output alone for the "apart" ones (the reasoning table).
    """
    apart = reasoning_convention(provider, model) == REASONING_APART
    if not apart and reasoning_tokens > output_tokens:
        raise TokenError(
            "reasoning_tokens",
            f"reasoning_tokens ({reasoning_tokens}) cannot exceed output_tokens "
            f"({output_tokens}): {provider} counts reasoning tokens inside output_tokens",
        )
    if cache_is_exclusive(provider, model):
        uncached = input_tokens
    else:
        uncached = input_tokens - cache_read_tokens - cache_write_tokens
        if uncached < 0:
            raise TokenError(
                "cache_read_tokens",
                f"cache_read_tokens + cache_write_tokens ({cache_read_tokens + cache_write_tokens})"
                f" cannot exceed input_tokens ({input_tokens}): {provider} counts cached "
                "tokens inside input_tokens",
            )
    return TokenParts(
        uncached_input=uncached,
        cache_read=cache_read_tokens,
        cache_write=cache_write_tokens,
        output=output_tokens if apart else output_tokens - reasoning_tokens,
        reasoning=reasoning_tokens,
    )


def tokens_as_reported(
    *,
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> tuple[int, int]:
    """(input_tokens, output_tokens) as `provider`'s own API reports them, from totals that
    hold every cached and every reasoning token, for tokens_normalise to split.

    OpenTelemetry's GenAI conventions count that way for every provider:
    `gen_ai.usage.input_tokens` includes cache reads and writes, `gen_ai.usage.output_tokens`
    includes reasoning. For Anthropic (cache apart) and Gemini or xAI (reasoning apart) the
    parts are taken out again; for the others the totals already are the provider's counts.
    """
    if cache_is_exclusive(provider, model):
        cached = cache_read_tokens + cache_write_tokens
        if cached > input_tokens:
            raise TokenError(
                "cache_read_tokens",
                f"cache_read_tokens + cache_write_tokens ({cached}) cannot exceed input_tokens "
                f"({input_tokens}), which counts cached tokens too",
            )
        input_tokens -= cached
    if reasoning_convention(provider, model) == REASONING_APART:
        if reasoning_tokens > output_tokens:
            raise TokenError(
                "reasoning_tokens",
                f"reasoning_tokens ({reasoning_tokens}) cannot exceed output_tokens "
                f"({output_tokens}), which counts reasoning tokens too",
            )
        output_tokens -= reasoning_tokens
    return input_tokens, output_tokens


_ZERO = Decimal(0)
# A price per million tokens with at most six decimal places is a whole number of
# COST_QUANTUM per token: its part costs are then integer products, exact, with no rounding.
_PER_TOKEN_QUANTA: dict[Decimal, int | None] = {}


def _per_token_quanta(price: Decimal) -> int | None:
    quanta = _PER_TOKEN_QUANTA.get(price, _ZERO)
    if quanta is _ZERO:
        scaled = price.scaleb(6)
        quanta = int(scaled) if scaled == scaled.to_integral_value() else None
        if len(_PER_TOKEN_QUANTA) < 10_000:  # prices come from the catalog: a few hundred
            _PER_TOKEN_QUANTA[price] = quanta
    return quanta


def _part_cost(tokens: int, price: Decimal) -> Decimal:
    if not tokens:
        return _ZERO
    quanta = _per_token_quanta(price)
    if quanta is not None:
        return Decimal(tokens * quanta).scaleb(-12)
    # scaleb(-6) divides by a million exactly, without a division.
    return (tokens * price).scaleb(-6).quantize(COST_QUANTUM)


def cost_compute(parts: TokenParts, rates: Rates) -> CostParts | None:
    """The cost of `parts` at `rates`, or None when the row has no input or output price."""
    if rates.input is None or rates.output is None:
        return None
    long_context = (
        rates.long_context_threshold is not None and parts.prompt > rates.long_context_threshold
    )
    input_price, output_price = rates.input, rates.output
    cache_read_price, cache_write_price = rates.cache_read, rates.cache_write
    if long_context:
        input_price = rates.long_context_input or input_price
        output_price = rates.long_context_output or output_price
        cache_read_price = rates.long_context_cache_read or cache_read_price
        cache_write_price = rates.long_context_cache_write or cache_write_price
    # A provider without a cache discount bills cached tokens as ordinary input.
    cache_read_price = input_price if cache_read_price is None else cache_read_price
    cache_write_price = input_price if cache_write_price is None else cache_write_price
    reasoning_price = output_price if rates.reasoning is None else rates.reasoning

    input_cost = _part_cost(parts.uncached_input, input_price)
    cache_read_cost = _part_cost(parts.cache_read, cache_read_price)
    cache_write_cost = _part_cost(parts.cache_write, cache_write_price)
    output_cost = _part_cost(parts.output, output_price)
    reasoning_cost = _part_cost(parts.reasoning, reasoning_price)
    return CostParts(
        input=input_cost,
        cache_read=cache_read_cost,
        cache_write=cache_write_cost,
        output=output_cost,
        reasoning=reasoning_cost,
        total=input_cost + cache_read_cost + cache_write_cost + output_cost + reasoning_cost,
        long_context=long_context,
    )
