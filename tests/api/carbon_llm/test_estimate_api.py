"""POST /api/v1/estimate (carbon-llm, seed 002): no auth, nothing stored."""

import pytest

from tests.carbon.helpers import ecologits_grams, grams, post_json
from usage.models import UsageEvent

URL = "/api/v1/estimate"


def test_token_estimate_for_a_known_model_matches_ecologits(client, methodology):
    response = post_json(
        client, URL, {"model": "gpt-4o", "prompt_tokens": 100, "completion_tokens": 50}
    )
    assert response.status_code == 200
    body = response.json()
    expected, low, high = ecologits_grams("openai", "gpt-4o", 50)
    assert body["estimated_co2_grams"] == expected
    assert body["confidence"] == "estimated"
    assert body["source"].startswith("EcoLogits 0.11.3")
    assert body["billed_event"] is False
    assert body["total_tokens"] == 150
    assert body["co2_per_1k_tokens_used"] == round(expected / 150 * 1000, 9)
    details = body["calculation_details"]
    assert details["method"] == "token"
    assert details["total_tokens"] == 150
    assert details["zone"] == "USA"
    assert details["grid_gco2e_per_kwh"] == 384.4
    assert details["range_grams"] == {"low": low, "high": high}
    assert grams(details["fixed_grams"] + 50 / 1000 * details["coefficient_per_1k"]) == expected
    assert "warning" not in body
    assert "Norway" in body["green_datacenter_tip"]
    assert body["methodology_version"] == methodology
    assert response["X-Response-Time"].endswith("ms")
    assert not UsageEvent.objects.exists()


def test_hardware_estimate_in_finland_is_below_poland_and_compares_with_tokens(client, db):
    def hardware(country):
        return post_json(
            client,
            URL,
            {
                "model": "gpt-4o",
                "prompt_tokens": 100,
                "completion_tokens": 50,
                "method": "hardware",
                "duration_ms": 120000,
                "datacenter_country": country,
            },
        ).json()

    finland, poland = hardware("FI"), hardware("PL")
    gpus = finland["hardware_context"]["gpus"]
    kwh = 120 / 3600 * (gpus * 0.7 + 1.2 * gpus / 8) * 1.2 / 64
    assert finland["estimated_co2_grams"] == grams(kwh * 57.47)
    assert poland["estimated_co2_grams"] == grams(kwh * 588.6)
    assert finland["estimated_co2_grams"] < poland["estimated_co2_grams"]
    assert finland["calculation_details"]["method"] == "hardware"
    assert finland["hardware_context"]["zone"] == "FIN"
    assert finland["hardware_context"]["datacenter_country"] == "FI"
    comparison = finland["comparison"]
    assert comparison["hardware_method_grams"] == finland["estimated_co2_grams"]
    assert comparison["token_method_grams"] == ecologits_grams("openai", "gpt-4o", 50, "FIN")[0]
    assert "Norway" in poland["green_datacenter_tip"]
    assert "95%" in poland["green_datacenter_tip"]


def test_unknown_model_gets_a_warning_and_estimated_confidence(client, db):
    body = post_json(
        client, URL, {"model": "acme-private-7b", "prompt_tokens": 10, "completion_tokens": 90}
    ).json()
    assert body["confidence"] == "estimated"
    assert (
        body["warning"] == "Unknown model 'acme-private-7b': estimated with a default coefficient."
    )
    assert body["estimated_co2_grams"] > 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"prompt_tokens": 1, "completion_tokens": 1}, "model", "Field required"),
        ({"model": "gpt-4o", "completion_tokens": 1}, "prompt_tokens", "Field required"),
        (
            {"model": "gpt-4o", "prompt_tokens": -1, "completion_tokens": 1},
            "prompt_tokens",
            "Input should be greater than or equal to 0",
        ),
        (
            {"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": "many"},
            "completion_tokens",
            "Input should be a valid integer",
        ),
        (
            {"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1, "method": "hardware"},
            "body",
            "method hardware requires duration_ms and datacenter_country",
        ),
        (
            {
                "model": "gpt-4o",
                "prompt_tokens": 1,
                "completion_tokens": 1,
                "method": "hardware",
                "datacenter_country": "FI",
            },
            "body",
            "method hardware requires duration_ms",
        ),
        (
            {
                "model": "gpt-4o",
                "prompt_tokens": 1,
                "completion_tokens": 1,
                "datacenter_country": "XX",
            },
            "datacenter_country",
            "must be an ISO 3166-1 alpha-2 country code, e.g. FI",
        ),
        (
            {
                "model": "gpt-4o",
                "prompt_tokens": 1,
                "completion_tokens": 1,
                "datacenter_country": "FIN",
            },
            "datacenter_country",
            "must be an ISO 3166-1 alpha-2 country code, e.g. FI",
        ),
        (
            {"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1, "method": "gpu"},
            "method",
            "Input should be 'token' or 'hardware'",
        ),
    ],
)
def test_each_validation_error_is_a_400_in_the_seed_envelope(client, db, body, field, message):
    response = post_json(client, URL, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Invalid body"
    assert error["details"][field] == message


def test_malformed_json_is_a_400(client, db):
    response = post_json(client, URL, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_estimate_needs_no_key_and_ignores_a_bad_one(client, db):
    response = post_json(
        client,
        URL,
        {"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1},
        key="mtt_not_a_real_key",
    )
    assert response.status_code == 200
