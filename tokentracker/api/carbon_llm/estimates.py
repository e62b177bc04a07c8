"""carbon-llm's estimate as a whole (seed 002, `POST /api/v1/estimate`): the token figure,
and for the hardware method the hardware figure beside it, with the lower-carbon region tip.
Read-only: nothing is stored. The view only renders it."""

from dataclasses import dataclass

from carbon import estimator
from carbon.carbon_book import carbon_book_get
from carbon.estimator import GreenTip, HardwareEstimate
from carbon.factors import Estimate, Method, carbon_decimal
from usage.genai_catalog import model_provider_guess, provider_canonical


def provider_resolve(provider: str | None, model: str) -> str:
    """Our provider id for what a carbon-llm body says: its `provider` in any spelling, else
    the provider the price catalog knows the model from ("unknown" if none)."""
    return provider_canonical(provider) if provider else model_provider_guess(model)


def grams(value: float) -> float:
    return float(carbon_decimal(value))


def per_1k_tokens_used(grams_: float, total_tokens: int) -> float:
    """The seed's `co2_per_1k_tokens_used`: the headline over prompt + completion tokens."""
    return round(grams_ / total_tokens * 1000, 9) if total_tokens else 0.0


@dataclass(frozen=True)
class EstimateAnswer:
    method: str
    prompt_tokens: int
    completion_tokens: int
    token: Estimate
    hardware: HardwareEstimate | None
    tip: GreenTip | None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def token_grams(self) -> float:
        return grams(self.token.co2e_grams)

    @property
    def headline_grams(self) -> float:
        return grams(self.hardware.co2e_grams) if self.hardware else self.token_grams

    @property
    def hardware_vs_token_percent(self) -> float | None:
        if self.hardware is None or not self.token_grams:
            return None
        return round((self.headline_grams - self.token_grams) / self.token_grams * 100, 1)


def estimate_answer(
    *,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    provider: str | None = None,
    method: str = Method.TOKEN,
    duration_ms: int | None = None,
    country_code: str | None = None,
) -> EstimateAnswer:
    book = carbon_book_get()
    token = estimator.estimate_tokens(
        book,
        provider=provider_resolve(provider, model),
        model=model,
        output_tokens=completion_tokens,
        country_code=country_code,
        latency_ms=duration_ms,
    )
    hardware = None
    if method == Method.HARDWARE:
        assert duration_ms is not None, "the request schema requires it for this method"
        hardware = estimator.estimate_hardware(
            book, profile=token.profile, duration_ms=duration_ms, zone=token.zone
        )
    return EstimateAnswer(
        method=method,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        token=token,
        hardware=hardware,
        tip=estimator.green_tip(book, token.zone),
    )
