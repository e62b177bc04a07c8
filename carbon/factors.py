"""What the carbon estimate is made of: EcoLogits' constants, the admin-managed factors and
grid zones (`CarbonBook`), a model's energy profile and an estimate's result."""

from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING

from ecologits.impacts import llm as ecologits_llm

if TYPE_CHECKING:
    from .estimator import Terms

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
    _terms: dict[tuple[str, str, str | None], "Terms"] = field(default_factory=dict)

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

    def linear_terms(self, tokens: int, latency_s: float | None = None) -> tuple[float, float]:
        """(fixed Wh, Wh per output token) of this call, so that `energy_wh` is
        fixed + tokens * per_token. When the measured latency bounds generation, the
        server's share is fixed (it ran for latency_s) and only GPU energy grows per token."""
        generation = self.seconds_per_token * tokens + self.first_token_s
        if latency_s is not None and latency_s < generation:
            return self.server_wh_per_second * latency_s, self.gpu_wh_per_token
        return self.fixed_wh, self.wh_per_output_token

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
    # co2e_grams is exactly fixed_grams + output_tokens / 1000 * coefficient_per_1k, in that
    # order of float operations: carbon-llm's calculation_details shows these terms, and a
    # client evaluating its formula gets the figure it was given.
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
