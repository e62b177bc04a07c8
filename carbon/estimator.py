"""Energy and CO2e of one LLM call, on EcoLogits' methodology.

EcoLogits (https://ecologits.ai) models a request's energy from the model's active and total
parameters, the output tokens, the datacenter's PUE and the zone's electricity mix. We call
its formulas directly (`compute_llm_impacts`; never its SDK patching) and keep, per model
profile, the two numbers they reduce to when the request latency is not the bound: energy
of a request with no output (time to first token) and energy per output token. Both are
exact: EcoLogits' energy is linear in output tokens (GPU energy per token is constant,
server energy follows generation latency, itself linear in tokens). So an event costs two
multiplications, not a 0.3 ms model evaluation, and ingest keeps its throughput.

This module knows nothing of usage events; it takes names and token counts and a
`CarbonBook` (factors and grid intensities an admin manages, see `carbon.book`).
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version as package_version

from ecologits.impacts import llm as ecologits_llm
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.model_repository import ParametersMoE
from ecologits.model_repository import models as ecologits_models
from ecologits.tracers.utils import PROVIDER_CONFIG_MAP
from ecologits.utils.range_value import RangeValue

ECOLOGITS_VERSION = package_version("ecologits")
ECOLOGITS_SOURCE = f"EcoLogits {ECOLOGITS_VERSION} (ecologits.ai)"

# Our provider ids (genai-prices') → EcoLogits' provider whose models and datacenter
# profile apply. Azure serves OpenAI's models in Microsoft's datacenters, which EcoLogits
# profiles as OpenAI's.
ECOLOGITS_PROVIDER = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "google": "google_genai",
    "mistral": "mistralai",
    "cohere": "cohere",
    "huggingface": "huggingface_hub",
}
# Providers EcoLogits has no datacenter profile for (inference clouds, self-hosting) get
# its generic GPU-cloud profile: US grid, PUE 1.09-1.14.
DEFAULT_DATACENTER = "huggingface_hub"
WORLD = "WOR"

# The hardware path: power drawn while a request runs. EcoLogits' server constants (an
# 8-GPU server drawing 1.2 kW besides its GPUs, 64 requests batched) plus the GPU's own
# board power, an NVIDIA H100 SXM's 700 W TDP (NVIDIA H100 datasheet), as EcoLogits sizes
# GPUs at 80 GB.
GPU_POWER_KW = 0.7
SERVER_POWER_KW = ecologits_llm.SERVER_POWER
SERVER_GPUS = ecologits_llm.SERVER_GPUS
BATCH_SIZE = ecologits_llm.BATCH_SIZE

# Where a cloud customer can choose to run: the tip names the lowest-carbon of these.
CLOUD_REGION_ZONES = (
    "SWE", "NOR", "FIN", "FRA", "CHE", "CAN", "IRL", "GBR", "DEU", "NLD", "BEL", "ESP",
    "ITA", "POL", "USA", "BRA", "CHL", "JPN", "KOR", "SGP", "IND", "AUS", "ZAF", "ARE",
)  # fmt: skip
# Below this saving a move is not worth suggesting.
TIP_MIN_SAVING_PERCENT = 10


class Method:
    TOKEN = "token"
    HARDWARE = "hardware"


class Confidence:
    MEASURED = "measured"
    BENCHMARKED = "benchmarked"
    ESTIMATED = "estimated"


@dataclass(frozen=True)
class Factor:
    """An admin's CarbonFactor as the estimator reads it."""

    provider: str
    model: str
    energy_wh_per_1k: float | None
    co2e_g_per_1k: float | None
    active_parameters_b: float | None
    total_parameters_b: float | None
    confidence: str
    source: str


@dataclass(frozen=True)
class Zone:
    zone: str
    name: str
    gco2e_per_kwh: float


@dataclass
class CarbonBook:
    """Everything an estimate reads besides EcoLogits itself, loaded once per process."""

    methodology_version: str
    factors: dict[tuple[str, str], Factor]
    zones: dict[str, Zone]
    alpha2: dict[str, str]
    _profiles: dict[tuple[str, str], "Profile"] = field(default_factory=dict)
    _terms: dict[tuple[str, str, str | None], "_Terms"] = field(default_factory=dict)

    def zone_for_country(self, country_code: str) -> Zone | None:
        zone = self.alpha2.get(country_code.upper())
        return self.zones.get(zone) if zone else None


@dataclass(frozen=True)
class EnergyLine:
    """One bound (low or high) of EcoLogits' request energy, reduced to its terms (Wh, s).

    energy = gpu_wh_per_token * tokens
             + server_wh_per_second * min(latency, seconds_per_token * tokens + first_token_s)

    GPU energy is per generated token; the server's share follows the generation time, which
    EcoLogits bounds by the measured request latency when there is one. PUE is inside both.
    """

    gpu_wh_per_token: float
    server_wh_per_second: float = 0.0
    seconds_per_token: float = 0.0
    first_token_s: float = 0.0

    def energy_wh(self, tokens: int, latency_s: float | None = None) -> float:
        generation = self.seconds_per_token * tokens + self.first_token_s
        if latency_s is not None and latency_s < generation:
            generation = latency_s
        return self.gpu_wh_per_token * tokens + self.server_wh_per_second * generation

    @property
    def fixed_wh(self) -> float:
        return self.server_wh_per_second * self.first_token_s

    @property
    def wh_per_output_token(self) -> float:
        return self.gpu_wh_per_token + self.server_wh_per_second * self.seconds_per_token


@dataclass(frozen=True)
class Profile:
    """What a model costs in energy, and how sure we are."""

    # EcoLogits' range (closed models' parameter counts are ranges): low and high bounds;
    # the point estimate is their mean, as EcoLogits reports it.
    low: EnergyLine
    high: EnergyLine
    total_parameters_b: float
    home_zone: str  # the provider's datacenter zone, when the caller names none
    pue: float
    confidence: str
    source: str
    model_found: bool
    co2e_g_per_1k: float | None = None  # a direct figure that ignores the grid
    warning: str | None = None


@dataclass(frozen=True)
class Estimate:
    energy_wh: float
    co2e_grams: float
    co2e_low_grams: float
    co2e_high_grams: float
    coefficient_per_1k: float  # gCO2e per 1k output tokens, the variable part
    fixed_grams: float  # per request, whatever its length
    zone: Zone
    profile: Profile
    methodology_version: str
    zone_warning: str | None = None

    @property
    def confidence(self) -> str:
        return self.profile.confidence

    @property
    def source(self) -> str:
        return self.profile.source

    @property
    def model_found(self) -> bool:
        return self.profile.model_found

    @property
    def warning(self) -> str | None:
        warnings = [w for w in (self.profile.warning, self.zone_warning) if w]
        return " ".join(warnings) or None


def carbon_decimal(value: float) -> Decimal:
    """Grams or watt-hours as stored and answered: nine decimal places (micrograms)."""
    return Decimal(f"{value:.9f}")


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


# --- Estimates ------------------------------------------------------------------------------


def zone_resolve(
    book: CarbonBook, profile: Profile, country_code: str | None
) -> tuple[Zone, str | None]:
    """The caller's country, else the provider's datacenter zone; a country with no grid
    figure gets the world average, and says so."""
    if country_code:
        zone = book.zone_for_country(country_code)
        if zone is not None:
            return zone, None
        return book.zones[WORLD], (
            f"No grid intensity is known for {country_code.upper()}: the world average was used."
        )
    return book.zones.get(profile.home_zone) or book.zones[WORLD], None


@dataclass(frozen=True)
class _Terms:
    profile: Profile
    zone: Zone
    zone_warning: str | None
    grams_per_wh: float


def _terms_for(book: CarbonBook, provider: str, model: str, country_code: str | None) -> _Terms:
    """What every call of this model in this zone shares, memoised: ingest pays two dict
    lookups and a few multiplications per event."""
    key = (provider, model, country_code)
    terms = book._terms.get(key)
    if terms is None:
        profile = profile_for(book, provider, model)
        zone, zone_warning = zone_resolve(book, profile, country_code)
        terms = _Terms(profile, zone, zone_warning, zone.gco2e_per_kwh / 1000)
        if len(book._terms) < 50_000:  # names are client-chosen: bound the memo
            book._terms[key] = terms
    return terms


def carbon_figures(
    book: CarbonBook,
    *,
    provider: str,
    model: str,
    output_tokens: int,
    country_code: str | None = None,
    latency_ms: int | None = None,
) -> tuple[float, float]:
    """(energy Wh, CO2e g) of one call: `estimate_tokens` without its explanation, for the
    ingest path, where it runs once per event."""
    terms = _terms_for(book, provider, model, country_code)
    profile = terms.profile
    latency_s = latency_ms / 1000 if latency_ms is not None else None
    energy_wh = (
        profile.low.energy_wh(output_tokens, latency_s)
        + profile.high.energy_wh(output_tokens, latency_s)
    ) / 2
    if profile.co2e_g_per_1k is not None:
        return energy_wh, profile.co2e_g_per_1k * output_tokens / 1000
    return energy_wh, energy_wh * terms.grams_per_wh


def estimate_tokens(
    book: CarbonBook,
    *,
    provider: str,
    model: str,
    output_tokens: int,
    country_code: str | None = None,
    latency_ms: int | None = None,
) -> Estimate:
    """The token method: EcoLogits' energy for this many output tokens (generation time
    bounded by the measured latency when there is one), times the zone's grid."""
    terms = _terms_for(book, provider, model, country_code)
    profile, zone, zone_warning = terms.profile, terms.zone, terms.zone_warning
    latency_s = latency_ms / 1000 if latency_ms is not None else None
    low_wh = profile.low.energy_wh(output_tokens, latency_s)
    high_wh = profile.high.energy_wh(output_tokens, latency_s)
    energy_wh = (low_wh + high_wh) / 2
    grid = terms.grams_per_wh
    if profile.co2e_g_per_1k is not None:
        per_1k = profile.co2e_g_per_1k
        fixed_grams = 0.0
        grams = low = high = per_1k * output_tokens / 1000
    else:
        per_1k = (profile.low.wh_per_output_token + profile.high.wh_per_output_token) / 2
        per_1k *= 1000 * grid
        fixed_grams = (profile.low.fixed_wh + profile.high.fixed_wh) / 2 * grid
        grams, low, high = energy_wh * grid, low_wh * grid, high_wh * grid
    return Estimate(
        energy_wh=energy_wh,
        co2e_grams=grams,
        co2e_low_grams=low,
        co2e_high_grams=high,
        coefficient_per_1k=per_1k,
        fixed_grams=fixed_grams,
        zone=zone,
        profile=profile,
        methodology_version=book.methodology_version,
        zone_warning=zone_warning,
    )


@dataclass(frozen=True)
class HardwareEstimate:
    energy_wh: float
    co2e_grams: float
    gpus: int
    power_kw: float
    pue: float
    duration_ms: int
    zone: Zone


def gpus_for(total_parameters_b: float) -> int:
    """GPUs holding the model's weights: EcoLogits' own sizing (16-bit, 80 GB, power of 2)."""
    memory = ecologits_llm.model_required_memory(
        model_total_parameter_count=total_parameters_b,
        model_quantization_bits=ecologits_llm.MODEL_QUANTIZATION_BITS,
    )
    return ecologits_llm.gpu_required_count(
        model_required_memory=memory, gpu_memory=ecologits_llm.GPU_MEMORY
    )


def estimate_hardware(
    book: CarbonBook, *, profile: Profile, duration_ms: int, zone: Zone
) -> HardwareEstimate:
    """The hardware method: the GPUs and their server's share, for the request's duration,
    split between the requests batched on them, times PUE and the zone's grid."""
    gpus = gpus_for(profile.total_parameters_b or 70.0)
    power_kw = gpus * GPU_POWER_KW + SERVER_POWER_KW * gpus / SERVER_GPUS
    energy_kwh = duration_ms / 3_600_000 * power_kw * profile.pue / BATCH_SIZE
    return HardwareEstimate(
        energy_wh=energy_kwh * 1000,
        co2e_grams=energy_kwh * zone.gco2e_per_kwh,
        gpus=gpus,
        power_kw=power_kw,
        pue=profile.pue,
        duration_ms=duration_ms,
        zone=zone,
    )


@dataclass(frozen=True)
class GreenTip:
    zone: Zone
    saving_percent: int
    text: str


def green_tip(book: CarbonBook, current: Zone) -> GreenTip | None:
    candidates = [book.zones[z] for z in CLOUD_REGION_ZONES if z in book.zones]
    if not candidates or current.gco2e_per_kwh <= 0:
        return None
    best = min(candidates, key=lambda zone: zone.gco2e_per_kwh)
    saving = round((1 - best.gco2e_per_kwh / current.gco2e_per_kwh) * 100)
    if best.zone == current.zone or saving < TIP_MIN_SAVING_PERCENT:
        return GreenTip(
            best,
            0,
            f"{current.name or current.zone} is already among the lowest-carbon grids "
            f"({current.gco2e_per_kwh:g} gCO2e/kWh).",
        )
    return GreenTip(
        best,
        saving,
        f"Running in {best.name or best.zone} ({best.gco2e_per_kwh:g} gCO2e/kWh) instead of "
        f"{current.name or current.zone} ({current.gco2e_per_kwh:g} gCO2e/kWh) would cut this "
        f"request's emissions by about {saving}%.",
    )


# Everyday equivalents, each with its figure's source (in METHODOLOGY.md).
PHONE_CHARGE_GRAMS = 8.22  # US EPA GHG equivalencies: one smartphone charge
CAR_KM_GRAMS = 104.3  # EEA 2023: average new EU car, tailpipe, per km (rounded in the tip)
GOOGLE_SEARCH_GRAMS = 0.2  # Google (2009): one search


def equivalent(grams: float) -> str:
    if grams <= 0:
        return "no measurable emissions yet today"
    if grams < PHONE_CHARGE_GRAMS:
        return f"about as much as {_plural(grams / GOOGLE_SEARCH_GRAMS, 'web search', 'es')}"
    if grams < CAR_KM_GRAMS * 5:
        return f"about as much as charging a phone {_plural(grams / PHONE_CHARGE_GRAMS, 'time')}"
    return f"about as much as driving a petrol car {_count(grams / CAR_KM_GRAMS)} km"


def _plural(value: float, noun: str, suffix: str = "s") -> str:
    shown = _count(value)
    return f"{shown} {noun}{'' if shown == '1' else suffix}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:.1f}"
