"""A model's energy profile: EcoLogits' models found under every name a client may send,
reduced to the few numbers an estimate multiplies (see `carbon.estimator`)."""

import math
import re
from functools import lru_cache

from ecologits.impacts.llm import compute_llm_impacts
from ecologits.model_repository import ParametersMoE
from ecologits.model_repository import models as ecologits_models
from ecologits.tracers.utils import PROVIDER_CONFIG_MAP
from ecologits.utils.range_value import RangeValue

from .factors import (
    DEFAULT_DATACENTER,
    ECOLOGITS_PROVIDER,
    ECOLOGITS_SOURCE,
    WORLD,
    CarbonBook,
    Confidence,
    EnergyLine,
    Factor,
    Profile,
)

# --- EcoLogits' models, indexed by every name a client may send ---------------------------


def mean_of(value: float | RangeValue) -> float:
    return value.mean if isinstance(value, RangeValue) else float(value)


def _bounds(value: float | RangeValue) -> tuple[float, float]:
    if isinstance(value, RangeValue):
        return float(value.min), float(value.max)
    return float(value), float(value)


_SNAPSHOT_SUFFIX = re.compile(
    r"(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-\d{4}|-latest|-v\d+(:\d+)?|:\d+)$", re.IGNORECASE
)


def _name_variants(model: str) -> list[str]:
    """'openai/gpt-4o-2024-08-06' → ['openai/gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'gpt-4o']."""
    lowered = model.strip().lower()
    variants = [lowered]
    if "/" in lowered:
        variants.append(lowered.rsplit("/", 1)[1])
    if "." in lowered.split("-", 1)[0]:  # Bedrock's 'anthropic.claude-…'
        variants.append(lowered.split(".", 1)[1])
    for name in list(variants):
        stripped = name
        while True:
            shorter = _SNAPSHOT_SUFFIX.sub("", stripped)
            if shorter == stripped:
                break
            stripped = shorter
            variants.append(stripped)
    return list(dict.fromkeys(variants))


@lru_cache(maxsize=1)
def _ecologits_index() -> dict[str, dict[str, object]]:
    """lower(name) → {ecologits provider → Model}; EcoLogits lists aliases as models."""
    index: dict[str, dict[str, object]] = {}
    for model in ecologits_models.list_models():
        provider = model.provider.value
        for name in {model.name.lower(), model.name.lower().rsplit("/", 1)[-1]}:
            index.setdefault(name, {})[provider] = model
    return index


def ecologits_model(provider: str, model: str) -> object | None:
    """The EcoLogits model a reported (provider, model) means, preferring that provider."""
    preferred = ECOLOGITS_PROVIDER.get(provider)
    index = _ecologits_index()
    for name in _name_variants(model):
        found = index.get(name)
        if found:
            if preferred in found:
                return found[preferred]
            return next(iter(found.values()))
    return None


def _datacenter(ecologits_provider: str | None) -> tuple[str, float | RangeValue]:
    config = PROVIDER_CONFIG_MAP.get(
        ecologits_provider or "", PROVIDER_CONFIG_MAP[DEFAULT_DATACENTER]
    )
    return config.datacenter_location or WORLD, config.datacenter_pue


# Calibration points: enough tokens that one second never covers their generation (even at
# thousands of tokens per second), so the one-second run isolates the server's power.
_CALIBRATION_TOKENS = 100_000


@lru_cache(maxsize=4096)
def _energy_lines(
    active_b: tuple[float, float],
    total_b: tuple[float, float],
    pue: tuple[float, float],
    tps: float | None,
    ttft: float | None,
) -> tuple[EnergyLine, EnergyLine]:
    """EcoLogits' request energy as (low, high) lines, from four evaluations of its model."""

    def energy(tokens: int, latency: float) -> tuple[float, float]:
        impacts = compute_llm_impacts(
            model_active_parameter_count=_range(active_b),
            model_total_parameter_count=_range(total_b),
            output_token_count=tokens,
            request_latency=latency,
            if_electricity_mix_adpe=0.0,
            if_electricity_mix_pe=0.0,
            if_electricity_mix_gwp=0.0,
            if_electricity_mix_wue=0.0,
            datacenter_pue=_range(pue),
            datacenter_wue=0.0,
            tps=tps,
            ttft=ttft,
        )
        low, high = _bounds(impacts.usage.energy.value)
        return low * 1000, high * 1000  # kWh → Wh

    tokens = _CALIBRATION_TOKENS
    first_token = energy(0, math.inf)  # server power x time to first token
    gpu_only = energy(tokens, 0.0)  # no generation time: GPU energy alone
    one_second = energy(tokens, 1.0)  # GPU energy + one second of server power
    unbounded = energy(tokens, math.inf)  # GPU energy + server power x generation time
    lines = []
    for bound in (0, 1):
        server = one_second[bound] - gpu_only[bound]
        generation_wh = unbounded[bound] - gpu_only[bound] - first_token[bound]
        lines.append(
            EnergyLine(
                gpu_wh_per_token=gpu_only[bound] / tokens,
                server_wh_per_second=server,
                seconds_per_token=generation_wh / server / tokens if server else 0.0,
                first_token_s=first_token[bound] / server if server else 0.0,
            )
        )
    return lines[0], lines[1]


def _range(bounds: tuple[float, float]) -> float | RangeValue:
    low, high = bounds
    return low if low == high else RangeValue(min=low, max=high)


def _profile_from_parameters(
    active: tuple[float, float],
    total: tuple[float, float],
    datacenter: str | None,
    *,
    confidence: str,
    source: str,
    model_found: bool,
    tps: float | None = None,
    ttft: float | None = None,
    warning: str | None = None,
) -> Profile:
    home_zone, pue = _datacenter(datacenter)
    low, high = _energy_lines(active, total, _bounds(pue), tps, ttft)
    return Profile(
        low=low,
        high=high,
        total_parameters_b=(total[0] + total[1]) / 2,
        home_zone=home_zone,
        pue=mean_of(pue),
        confidence=confidence,
        source=source,
        model_found=model_found,
        warning=warning,
    )


def parameter_bounds(model: object) -> tuple[tuple[float, float], tuple[float, float]]:
    """(active, total) parameter counts of an EcoLogits model, in billions, as (low, high)."""
    parameters = model.architecture.parameters  # type: ignore[attr-defined]
    if isinstance(parameters, ParametersMoE):
        return _bounds(parameters.active), _bounds(parameters.total)
    return _bounds(parameters), _bounds(parameters)


def _profile_of_ecologits(model: object) -> Profile:
    active, total = parameter_bounds(model)
    warnings = {w.code for w in model.warnings}  # type: ignore[attr-defined]
    # Open-weight models have published parameter counts; closed ones are EcoLogits'
    # estimates (its `model-arch-not-released` warning).
    confidence = (
        Confidence.ESTIMATED if "model-arch-not-released" in warnings else Confidence.BENCHMARKED
    )
    sources = model.sources or []  # type: ignore[attr-defined]
    deployment = model.deployment  # type: ignore[attr-defined]
    return _profile_from_parameters(
        active,
        total,
        model.provider.value,  # type: ignore[attr-defined]
        confidence=confidence,
        source=ECOLOGITS_SOURCE + (f"; {sources[0]}" if sources else ""),
        model_found=True,
        tps=deployment.tps if deployment else None,
        ttft=deployment.ttft if deployment else None,
    )


def _profile_of_factor(
    factor: Factor, provider: str, *, model_found: bool, warning: str | None
) -> Profile:
    datacenter = ECOLOGITS_PROVIDER.get(provider)
    if factor.energy_wh_per_1k is not None or factor.co2e_g_per_1k is not None:
        home_zone, pue = _datacenter(datacenter)
        line = EnergyLine(gpu_wh_per_token=(factor.energy_wh_per_1k or 0.0) / 1000)
        return Profile(
            low=line,
            high=line,
            total_parameters_b=factor.total_parameters_b or 0.0,
            home_zone=home_zone,
            pue=mean_of(pue),
            confidence=factor.confidence,
            source=factor.source,
            model_found=model_found,
            co2e_g_per_1k=factor.co2e_g_per_1k,
            warning=warning,
        )
    assert factor.active_parameters_b is not None and factor.total_parameters_b is not None
    return _profile_from_parameters(
        (factor.active_parameters_b, factor.active_parameters_b),
        (factor.total_parameters_b, factor.total_parameters_b),
        datacenter,
        confidence=factor.confidence,
        source=factor.source,
        model_found=model_found,
        warning=warning,
    )


def profile_for(book: CarbonBook, provider: str, model: str) -> Profile:
    """An admin's factor for the model, else EcoLogits', else a default with a warning."""
    key = (provider, model)
    cached = book._profiles.get(key)
    if cached is not None:
        return cached
    profile = _profile_for(book, provider.strip().lower(), model)
    if len(book._profiles) < 50_000:  # names are client-chosen: bound the memo
        book._profiles[key] = profile
    return profile


def _profile_for(book: CarbonBook, provider: str, model: str) -> Profile:
    for name in _name_variants(model):
        factor = book.factors.get((provider, name)) or book.factors.get(("", name))
        if factor is not None:
            return _profile_of_factor(factor, provider, model_found=True, warning=None)
    found = ecologits_model(provider, model)
    if found is not None:
        return _profile_of_ecologits(found)
    default = book.factors.get((provider, "")) or book.factors.get(("", ""))
    warning = (
        f"Unknown model '{model}': estimated with "
        + (f"the default for {provider} models" if default and default.provider else "a default")
        + " coefficient."
    )
    if default is None:
        # No default configured at all: a 70B dense model, the middle of EcoLogits' range.
        default = Factor("", "", None, None, 70.0, 70.0, Confidence.ESTIMATED, ECOLOGITS_SOURCE)
    return _profile_of_factor(default, provider, model_found=False, warning=warning)
