"""The estimator against EcoLogits called directly, and the fallbacks for unknown models."""

import pytest

from carbon import estimator, factors, profiles
from carbon.carbon_book import carbon_book_get
from carbon.models import CarbonFactor, Confidence
from carbon.services import carbon_factor_save

from .helpers import ecologits_grams, grams


@pytest.mark.parametrize(
    ("provider", "model", "ecologits_provider"),
    [
        ("openai", "gpt-4o", "openai"),
        ("anthropic", "claude-sonnet-4-5", "anthropic"),
        ("mistral", "mistral-small-latest", "mistralai"),  # open weights, mixture of experts
    ],
)
@pytest.mark.parametrize("output_tokens", [0, 1, 50, 1234, 100_000])
def test_token_estimate_equals_ecologits_called_directly(
    book, provider, model, ecologits_provider, output_tokens
):
    estimate = estimator.estimate_tokens(
        book, provider=provider, model=model, output_tokens=output_tokens
    )
    expected, low, high = ecologits_grams(ecologits_provider, model, output_tokens)
    assert grams(estimate.co2e_grams) == expected
    assert grams(estimate.co2e_low_grams) == low
    assert grams(estimate.co2e_high_grams) == high
    assert estimate.model_found is True


@pytest.mark.parametrize("latency_s", [0.05, 0.4, 3.0, 120.0])
@pytest.mark.parametrize("output_tokens", [20, 800])
def test_a_measured_latency_bounds_the_generation_time_as_ecologits_does(
    book, latency_s, output_tokens
):
    estimate = estimator.estimate_tokens(
        book,
        provider="openai",
        model="gpt-4o",
        output_tokens=output_tokens,
        latency_ms=round(latency_s * 1000),
    )
    expected, low, high = ecologits_grams("openai", "gpt-4o", output_tokens, None, latency_s)
    assert grams(estimate.co2e_grams) == expected
    assert (grams(estimate.co2e_low_grams), grams(estimate.co2e_high_grams)) == (low, high)


def test_a_short_latency_lowers_the_estimate_and_a_long_one_changes_nothing(book):
    def at(latency_ms):
        return estimator.estimate_tokens(
            book, provider="openai", model="gpt-4o", output_tokens=500, latency_ms=latency_ms
        ).co2e_grams

    unbounded = at(None)
    assert at(100) < unbounded
    assert at(3_600_000) == unbounded


def test_a_country_without_a_grid_figure_uses_the_world_average_and_says_so(book):
    estimate = estimator.estimate_tokens(
        book, provider="openai", model="gpt-4o", output_tokens=10, country_code="AQ"
    )
    assert estimate.zone.zone == "WOR"
    assert estimate.warning == "No grid intensity is known for AQ: the world average was used."


def test_a_country_replaces_the_providers_home_grid(book):
    in_usa = estimator.estimate_tokens(book, provider="openai", model="gpt-4o", output_tokens=400)
    in_finland = estimator.estimate_tokens(
        book, provider="openai", model="gpt-4o", output_tokens=400, country_code="FI"
    )
    assert in_usa.zone.zone == "USA"
    assert in_finland.zone.zone == "FIN"
    assert grams(in_finland.co2e_grams) == ecologits_grams("openai", "gpt-4o", 400, "FIN")[0]
    assert in_finland.energy_wh == in_usa.energy_wh


def test_closed_models_are_estimated_and_open_weights_benchmarked(book):
    closed = estimator.estimate_tokens(book, provider="openai", model="gpt-4o", output_tokens=10)
    open_weights = estimator.estimate_tokens(
        book, provider="mistral", model="ministral-8b-latest", output_tokens=10
    )
    assert closed.confidence == Confidence.ESTIMATED
    assert open_weights.confidence == Confidence.BENCHMARKED
    assert closed.source.startswith(f"EcoLogits {factors.ECOLOGITS_VERSION}")


@pytest.mark.parametrize(
    "spelling",
    ["gpt-4o-2024-08-06", "openai/gpt-4o", "GPT-4o", "gpt-4o-latest"],
)
def test_snapshot_and_router_spellings_find_the_model(book, spelling):
    estimate = estimator.estimate_tokens(book, provider="openai", model=spelling, output_tokens=5)
    assert estimate.model_found is True
    assert estimate.warning is None


def test_an_unknown_model_falls_back_to_the_provider_default_with_a_warning(book):
    estimate = estimator.estimate_tokens(
        book, provider="openai", model="gpt-internal-finetune", output_tokens=100
    )
    default = CarbonFactor.objects.get(provider="openai", model="")
    assert estimate.model_found is False
    assert estimate.confidence == Confidence.ESTIMATED
    assert "Unknown model 'gpt-internal-finetune'" in estimate.warning
    assert estimate.source == default.source
    assert estimate.co2e_grams > 0


def test_an_unknown_provider_falls_back_to_the_global_default(book):
    estimate = estimator.estimate_tokens(
        book, provider="self-hosted", model="my-llm", output_tokens=100
    )
    assert estimate.model_found is False
    assert estimate.source == CarbonFactor.objects.get(provider="", model="").source
    assert estimate.zone.zone == "USA"  # EcoLogits' generic GPU-cloud profile


def test_an_admin_parameter_row_prices_a_model_ecologits_does_not_know(db):
    carbon_factor_save(
        factor=CarbonFactor(
            provider="",
            model="acme-llama-70b",
            active_parameters_b=70,
            total_parameters_b=70,
            confidence=Confidence.BENCHMARKED,
            source="Model card",
        )
    )
    estimate = estimator.estimate_tokens(
        carbon_book_get(), provider="together", model="acme-llama-70b", output_tokens=300
    )
    assert estimate.model_found is True
    assert estimate.warning is None
    assert estimate.confidence == Confidence.BENCHMARKED
    assert estimate.source == "Model card"


def test_an_admin_figure_overrides_ecologits(db):
    carbon_factor_save(
        factor=CarbonFactor(
            provider="google",
            model="gemini-2.5-flash",
            energy_wh_per_1k_output_tokens="0.5",
            co2e_g_per_1k_output_tokens="0.12",
            confidence=Confidence.MEASURED,
            source="Provider environmental report",
        )
    )
    estimate = estimator.estimate_tokens(
        carbon_book_get(), provider="google", model="gemini-2.5-flash", output_tokens=2000
    )
    assert grams(estimate.co2e_grams) == 0.24
    assert grams(estimate.energy_wh) == 1.0
    assert estimate.confidence == Confidence.MEASURED


def test_hardware_estimate_is_lower_in_finland_than_in_poland_and_exact(book):
    profile = profiles.profile_for(book, "openai", "gpt-4o")
    finland = estimator.estimate_hardware(
        book, profile=profile, duration_ms=120_000, zone=book.zone_for_country("FI")
    )
    poland = estimator.estimate_hardware(
        book, profile=profile, duration_ms=120_000, zone=book.zone_for_country("PL")
    )
    gpus = finland.gpus
    # 120 s of `gpus` H100s (0.7 kW) and their share of the 1.2 kW server, PUE 1.2
    # (EcoLogits' OpenAI datacenter), split across a batch of 64 requests.
    kwh = 120 / 3600 * (gpus * 0.7 + 1.2 * gpus / 8) * 1.2 / 64
    assert grams(finland.co2e_grams) == grams(kwh * 57.47)
    assert grams(poland.co2e_grams) == grams(kwh * 588.6)
    assert finland.co2e_grams < poland.co2e_grams


def test_green_tip_names_the_lowest_carbon_region_and_the_saving(book):
    tip = estimator.green_tip(book, book.zones["POL"])
    assert tip.zone.zone == "NOR"
    assert tip.saving_percent == round((1 - 28.11 / 588.6) * 100) == 95
    assert "Norway" in tip.text
    assert "95%" in tip.text
    assert estimator.green_tip(book, book.zones["NOR"]).saving_percent == 0


@pytest.mark.parametrize(
    ("grams_", "text"),
    [
        (0, "no measurable emissions yet today"),
        (0.2, "about as much as 1 web search"),
        (0.05, "about as much as 0.2 web searches"),
        (1.0, "about as much as 5 web searches"),
        (0.274, "about as much as 1 web search"),
        (24.66, "about as much as charging a phone 3 times"),
        (1043, "about as much as driving a petrol car 10 km"),
    ],
)
def test_equivalents_read_like_a_sentence(grams_, text):
    assert estimator.equivalent(grams_) == text


@pytest.mark.parametrize(
    ("provider", "model", "country", "latency_ms"),
    [
        ("openai", "gpt-4o", None, None),
        ("openai", "gpt-4o", "FI", 700),
        ("mistral", "mistral-small-latest", None, 50),
        ("self-hosted", "my-llm", "AQ", None),
    ],
)
def test_the_ingest_figures_equal_the_full_estimate(book, provider, model, country, latency_ms):
    estimate = estimator.estimate_tokens(
        book,
        provider=provider,
        model=model,
        output_tokens=321,
        country_code=country,
        latency_ms=latency_ms,
    )
    assert estimator.carbon_figures(
        book,
        provider=provider,
        model=model,
        output_tokens=321,
        country_code=country,
        latency_ms=latency_ms,
    ) == (estimate.energy_wh, estimate.co2e_grams)
