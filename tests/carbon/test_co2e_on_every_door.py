"""Whatever door an event comes through, the ingest service stamps its energy, CO2e and the
methodology version, and the rollups sum them."""

import math

import pytest

from usage.models import HourlyRollup, UsageEvent
from usage.rollups import rollups_merge

from .helpers import ecologits_grams

OPENAI_CALL = {"provider": "openai", "model": "gpt-4o"}


@pytest.mark.parametrize(
    ("path", "body", "prefix"),
    [
        ("/api/v1/events", {**OPENAI_CALL, "input_tokens": 900, "output_tokens": 700}, "mtt_"),
        ("/api/tokens/track", {**OPENAI_CALL, "inputTokens": 900, "outputTokens": 700}, "mtt_"),
        (
            "/api/ingest",
            {
                "type": "tokens",
                "service": "openai",
                "data": [{"model": "gpt-4o", "inputTokens": 900, "outputTokens": 700}],
            },
            "mtt_",
        ),
        (
            "/api/v1/observe",
            {**OPENAI_CALL, "inputTokens": 900, "outputTokens": 700, "latencyMs": 5},
            "tw_api_",
        ),
    ],
)
def test_every_door_stamps_co2e_and_the_methodology(api, org, methodology, path, body, prefix):
    from tokentracker.services import api_key_create

    key = api_key_create(organization=org, name="door", prefix=prefix).raw_key
    response = api.post(path, body, key)
    assert response.status_code in (200, 201), response.content
    event = UsageEvent.objects.get()
    # Tokenwise reports a latency (5 ms): EcoLogits bounds the generation time by it.
    latency_s = event.latency_ms / 1000 if event.latency_ms is not None else math.inf
    assert float(event.co2e_grams) == ecologits_grams("openai", "gpt-4o", 700, None, latency_s)[0]
    assert event.energy_wh > 0
    assert event.carbon_methodology == methodology
    rollups_merge()
    rollup = HourlyRollup.objects.get()
    assert (rollup.co2e_grams, rollup.energy_wh) == (event.co2e_grams, event.energy_wh)


def test_a_country_on_the_event_uses_that_grid(api, org, raw_key):
    api.post(
        "/api/v1/events",
        {**OPENAI_CALL, "input_tokens": 10, "output_tokens": 300, "datacenter_country": "SE"},
        key=raw_key,
    )
    assert (
        float(UsageEvent.objects.get().co2e_grams)
        == ecologits_grams("openai", "gpt-4o", 300, "SWE")[0]
    )


def test_a_bad_country_on_an_event_is_a_422_naming_the_field(api, org, raw_key):
    response = api.post(
        "/api/v1/events",
        {**OPENAI_CALL, "input_tokens": 10, "output_tokens": 3, "datacenter_country": "Finland"},
        key=raw_key,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["field"] == "datacenter_country"
