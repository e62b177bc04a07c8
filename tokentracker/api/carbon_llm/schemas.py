"""carbon-llm's request and response bodies (seed 002), validated by pydantic and documented
from the same models by drf-spectacular."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from usage.schemas import CountryCode as Country
from usage.schemas import NonNegativeInt as Tokens
from usage.schemas import text_field as _text
from usage.schemas import whole_int

Duration = whole_int(ge=1, le=86_400_000)
Confidence = Literal["measured", "benchmarked", "estimated"]


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", title="EstimateRequest")

    model: _text(200, min_length=1) = Field(
        description="Model identifier (same string you report to providers)", examples=["gpt-4o"]
    )
    prompt_tokens: Tokens
    completion_tokens: Tokens
    provider: _text(64, min_length=1) | None = Field(
        default=None, description="Optional: disambiguates a model name several providers serve."
    )
    method: Literal["token", "hardware"] = "token"
    duration_ms: Duration | None = Field(
        default=None, description="Required when method is hardware"
    )
    datacenter_country: Country | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 country code for hardware grid factor",
        examples=["FI"],
    )

    @model_validator(mode="after")
    def _hardware_inputs(self) -> "EstimateRequest":
        if self.method == "hardware":
            missing = [
                name
                for name in ("duration_ms", "datacenter_country")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"method hardware requires {' and '.join(missing)}")
        return self


class CalculationDetails(BaseModel):
    formula: str = Field(
        description="How estimated_co2_grams is computed, in names of this object's keys, "
        "then with their numbers written in. Evaluated with the numbers here (in full "
        "precision) it gives estimated_co2_grams before its rounding to 9 decimals. Token "
        "method: fixed_grams + output_tokens / 1000 * coefficient_per_1k; hardware: "
        "duration_ms / 3600000 * (gpus * gpu_power_kw + server_power_kw * gpus / "
        "server_gpus) * pue / batch_size * grid_gco2e_per_kwh."
    )
    total_tokens: int
    coefficient_per_1k: float = Field(
        description="Token method: gCO2e per 1,000 output tokens (GPU energy only when "
        "duration_ms bounds the generation time); hardware: per 1,000 tokens used, as "
        "co2_per_1k_tokens_used"
    )
    method: Literal["token", "hardware"]
    output_tokens: int
    fixed_grams: float | None = Field(
        default=None,
        description="Token method: gCO2e per request whatever its length (the server's "
        "share over duration_ms when that bounds the generation time)",
    )
    energy_wh: float
    grid_gco2e_per_kwh: float
    zone: str = Field(description="Electricity zone, ISO 3166-1 alpha-3 (WOR: world)")
    range_grams: dict[str, float] | None = Field(
        default=None, description="Token method: low and high of the estimate"
    )
    duration_ms: int | None = Field(default=None, description="Hardware method")
    gpus: int | None = Field(default=None, description="Hardware method")
    gpu_power_kw: float | None = Field(default=None, description="Hardware method")
    server_power_kw: float | None = Field(
        default=None, description="Hardware method: the server's draw besides its GPUs"
    )
    server_gpus: int | None = Field(default=None, description="Hardware method")
    pue: float | None = Field(default=None, description="Hardware method")
    batch_size: int | None = Field(
        default=None, description="Hardware method: requests sharing the hardware"
    )
    methodology_version: str


class EstimateResponse(BaseModel):
    model_config = ConfigDict(title="EstimateResponse")

    estimated_co2_grams: float
    confidence: Confidence
    source: str
    billed_event: bool
    total_tokens: int
    co2_per_1k_tokens_used: float = Field(
        description="estimated_co2_grams / total_tokens * 1000, to 9 decimals; 0 when "
        "total_tokens is 0"
    )
    warning: str | None = Field(
        default=None,
        description="Present when the model is unknown and a default coefficient was used",
    )
    calculation_details: CalculationDetails
    hardware_context: dict[str, Any] | None = Field(
        default=None, description="Present when method is hardware"
    )
    comparison: dict[str, Any] | None = Field(
        default=None, description="Token vs hardware comparison when hardware path is used"
    )
    green_datacenter_tip: str | None = None
    methodology_version: str


class TrackRequest(BaseModel):
    # Fields not named here are kept in the stored event's metadata, never dropped.
    model_config = ConfigDict(extra="allow", title="TrackRequest")

    tenant_id: _text(200, min_length=1) = Field(
        description="Stable external id for the end customer (your tenant key)"
    )
    model: _text(200, min_length=1)
    prompt_tokens: Tokens
    completion_tokens: Tokens
    provider: _text(64, min_length=1) | None = None
    developer_id: _text(200) | None = None
    session_id: _text(200) | None = None
    duration_ms: Duration | None = None
    datacenter_country: Country | None = None


class TrackAccepted(BaseModel):
    model_config = ConfigDict(title="TrackAccepted")

    queued: bool
    event_id: str = Field(pattern="^evt_")
    is_test: bool
    methodology_version: str
    estimated_co2_grams: float
    total_tokens: int
    co2_per_1k_tokens_used: float = Field(
        description="estimated_co2_grams / total_tokens * 1000, to 9 decimals; 0 when "
        "total_tokens is 0"
    )
    confidence: Confidence
    source: str
    model_found: bool
    free_events_remaining: int | None = Field(
        default=None,
        description="Live keys on a plan with a free monthly quota; omitted for test keys",
    )


class SessionTodayRow(BaseModel):
    id: str
    session_id: str
    developer_id: str
    total_prompt_tokens: int
    total_completion_tokens: int
    total_co2_grams: float
    model: str | None
    started_at: str
    last_activity: str


class DeveloperTodayStats(BaseModel):
    model_config = ConfigDict(title="DeveloperTodayStats")

    developer_id: str
    today_co2_grams: float
    today_prompts: int
    today_tokens: int
    top_model: str | None
    sessions: list[SessionTodayRow]
    equivalent: str = Field(description="Human-readable impact analogy")


class ApiErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    billing_url: str | None = None


class ApiError(BaseModel):
    model_config = ConfigDict(title="CarbonApiError")

    error: ApiErrorBody


def validation_details(exc: ValidationError) -> dict[str, str]:
    """{field: message} for each bad field; "body" for the body as a whole."""
    details: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "json_invalid":
            field, message = "body", "Malformed JSON"
        elif error["type"] == "model_type":
            message = "Expected a JSON object"
        details.setdefault(field, message)
    return details
