"""Admin-managed carbon data: edits bump the methodology version; stored events keep theirs."""

import pytest
from django.contrib.auth import get_user_model

from carbon.models import CarbonFactor, GridIntensity, MethodologyVersion
from carbon.services import carbon_seed
from usage.models import UsageEvent

from .helpers import post_json

ESTIMATE = {"model": "gpt-4o", "prompt_tokens": 100, "completion_tokens": 500}


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_a_fresh_database_is_seeded_from_ecologits(db):
    assert GridIntensity.objects.count() == 215
    finland = GridIntensity.objects.get(zone="FIN")
    assert (finland.country_code, finland.name, float(finland.gco2e_per_kwh)) == (
        "FI",
        "Finland",
        57.47,
    )
    assert "ADEME" in finland.source
    defaults = dict(CarbonFactor.objects.filter(model="").values_list("provider", "is_seeded"))
    assert set(defaults) == {
        "",
        "openai",
        "azure",
        "anthropic",
        "google",
        "mistral",
        "cohere",
        "huggingface",
    }
    assert MethodologyVersion.objects.count() == 1
    carbon_seed()  # a second migrate changes nothing
    assert MethodologyVersion.objects.count() == 1


def test_editing_a_grid_in_admin_bumps_the_version_and_changes_new_estimates_only(
    admin_client, api, raw_key, org
):
    api.post(
        "/api/v1/events",
        {"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 500},
        key=raw_key,
    )
    before = post_json(admin_client, "/api/v1/estimate", ESTIMATE).json()
    stored_before = UsageEvent.objects.get()
    usa = GridIntensity.objects.get(zone="USA")
    response = admin_client.post(
        f"/admin/carbon/gridintensity/{usa.pk}/change/",
        {
            "zone": "USA",
            "country_code": "US",
            "name": "United States",
            "gco2e_per_kwh": "768.8",
            "source": "Utility disclosure 2026",
            "year": "2026",
        },
    )
    assert response.status_code == 302
    after = post_json(admin_client, "/api/v1/estimate", ESTIMATE).json()
    assert after["methodology_version"] != before["methodology_version"]
    assert MethodologyVersion.objects.count() == 2
    assert after["estimated_co2_grams"] == pytest.approx(
        before["estimated_co2_grams"] * 2, rel=1e-6
    )
    stored = UsageEvent.objects.get()
    assert stored.co2e_grams == stored_before.co2e_grams
    assert stored.carbon_methodology == before["methodology_version"]


def test_adding_a_factor_in_admin_overrides_ecologits(admin_client):
    response = admin_client.post(
        "/admin/carbon/carbonfactor/add/",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "energy_wh_per_1k_output_tokens": "2",
            "co2e_g_per_1k_output_tokens": "",
            "active_parameters_b": "",
            "total_parameters_b": "",
            "confidence": "measured",
            "source": "OpenAI sustainability report",
        },
    )
    assert response.status_code == 302
    factor = CarbonFactor.objects.get(provider="openai", model="gpt-4o")
    assert factor.methodology_version == MethodologyVersion.objects.first().version
    body = post_json(admin_client, "/api/v1/estimate", ESTIMATE).json()
    assert body["confidence"] == "measured"
    assert body["source"] == "OpenAI sustainability report"
    # 500 output tokens at 2 Wh per 1k on the US grid (384.4 g/kWh).
    assert body["estimated_co2_grams"] == 0.3844


def test_a_factor_without_any_figure_is_refused(admin_client):
    response = admin_client.post(
        "/admin/carbon/carbonfactor/add/",
        {"provider": "openai", "model": "x", "confidence": "estimated", "source": "s"},
    )
    assert response.status_code == 200
    assert not CarbonFactor.objects.filter(model="x").exists()
