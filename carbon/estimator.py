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
`CarbonBook` (factors and grid intensities an admin manages, see `carbon.carbon_book`).
"""

from dataclasses import dataclass

from ecologits.impacts import llm as ecologits_llm

from .factors import (
    BATCH_SIZE,
    CLOUD_REGION_ZONES,
    GPU_POWER_KW,
    SERVER_GPUS,
    SERVER_POWER_KW,
    TIP_MIN_SAVING_PERCENT,
    WORLD,
    CarbonBook,
    Estimate,
    Profile,
    Zone,
)
from .profiles import profile_for

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
class Terms:
    profile: Profile
    zone: Zone
    zone_warning: str | None
    grams_per_wh: float


def _terms_for(book: CarbonBook, provider: str, model: str, country_code: str | None) -> Terms:
    """What every call of this model in this zone shares, memoised: ingest pays two dict
    lookups and a few multiplications per event."""
    key = (provider, model, country_code)
    terms = book._terms.get(key)
    if terms is None:
        profile = profile_for(book, provider, model)
        zone, zone_warning = zone_resolve(book, profile, country_code)
        terms = Terms(profile, zone, zone_warning, zone.gco2e_per_kwh / 1000)
        if len(book._terms) < 50_000:  # names are client-chosen: bound the memo
            book._terms[key] = terms
    return terms


@dataclass(frozen=True)
class _Figures:
    energy_wh: float
    low_wh: float
    high_wh: float
    fixed_grams: float
    coefficient_per_1k: float

    def co2e_grams(self, output_tokens: int) -> float:
        # The one place grams are computed, in the order carbon-llm's formula shows it.
        return self.fixed_grams + output_tokens / 1000 * self.coefficient_per_1k


def _figures(terms: Terms, output_tokens: int, latency_ms: int | None) -> _Figures:
    profile, grid = terms.profile, terms.grams_per_wh
    latency_s = latency_ms / 1000 if latency_ms is not None else None
    low_wh = profile.low.energy_wh(output_tokens, latency_s)
    high_wh = profile.high.energy_wh(output_tokens, latency_s)
    if profile.co2e_g_per_1k is not None:
        fixed_grams, per_1k = 0.0, profile.co2e_g_per_1k
    else:
        # The point estimate is the mean of EcoLogits' bounds, term by term.
        low_fixed, low_per_token = profile.low.linear_terms(output_tokens, latency_s)
        high_fixed, high_per_token = profile.high.linear_terms(output_tokens, latency_s)
        fixed_grams = (low_fixed + high_fixed) / 2 * grid
        per_1k = (low_per_token + high_per_token) / 2 * 1000 * grid
    return _Figures((low_wh + high_wh) / 2, low_wh, high_wh, fixed_grams, per_1k)


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
    figures = _figures(_terms_for(book, provider, model, country_code), output_tokens, latency_ms)
    return figures.energy_wh, figures.co2e_grams(output_tokens)


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
    profile = terms.profile
    figures = _figures(terms, output_tokens, latency_ms)
    if profile.co2e_g_per_1k is not None:
        low = high = figures.co2e_grams(output_tokens)
    else:
        low, high = figures.low_wh * terms.grams_per_wh, figures.high_wh * terms.grams_per_wh
    return Estimate(
        energy_wh=figures.energy_wh,
        co2e_grams=figures.co2e_grams(output_tokens),
        co2e_low_grams=low,
        co2e_high_grams=high,
        coefficient_per_1k=figures.coefficient_per_1k,
        fixed_grams=figures.fixed_grams,
        zone=terms.zone,
        profile=profile,
        methodology_version=book.methodology_version,
        zone_warning=terms.zone_warning,
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
