"""Token Optimizer /api/recommendations: cheaper models priced on the organization's own mix."""

from decimal import Decimal

import pytest

from usage.models import ModelPrice, TierClass

from .conftest import WINDOW

pytestmark = pytest.mark.django_db
PROVIDER = "acme-ai"


def price(model, input_price, output_price, *, cache_read=None, tier=TierClass.FRONTIER, **fields):
    return ModelPrice.objects.create(
        provider=PROVIDER,
        model=model,
        input_per_mtok=Decimal(input_price),
        output_per_mtok=Decimal(output_price),
        cache_read_per_mtok=None if cache_read is None else Decimal(cache_read),
        tier_class=tier,
        modality=fields.pop("modality", "text"),
        context_window=fields.pop("context_window", 200_000),
        **fields,
    )


@pytest.fixture
def catalog(db):
    price("big", "10", "30", cache_read="1", context_window=100_000)
    price("big-lite", "4", "12", cache_read="0.4")
    price("big-small-context", "3", "9", context_window=8_000)
    price("big-vision", "3.5", "10", modality="multimodal")
    price("big-retired", "2", "6", is_active=False)
    price("tiny", "0.1", "0.4", tier=TierClass.BUDGET)


def calls(model, count, **fields):
    return [
        {
            "provider": PROVIDER,
            "model": model,
            "occurred_at": f"2026-03-20T{hour:02d}:00:00Z",
            "input_tokens": 10_000,
            "cache_read_tokens": 2_000,
            "output_tokens": 1_000,
            **fields,
        }
        for hour in range(count)
    ]


def test_the_cheapest_fitting_model_is_recommended_with_the_savings_on_our_mix(
    api, raw_key, catalog, record
):
    record(*calls("big", 10, success=True))
    response = api.get("/api/recommendations", raw_key, **WINDOW)
    assert response.status_code == 200
    assert response.json()["recommendations"] == [
        {
            "model": "big",
            "alternative": "big-lite",
            # 10 * (8,000 * $10 + 2,000 * $1 + 1,000 * $30)/M = $1.12 against
            # 10 * (8,000 * $4 + 2,000 * $0.40 + 1,000 * $12)/M = $0.448.
            "potential_savings": 0.672,
            "confidence": 0.68,
            "reasoning": (
                "big-lite would have cost $0.4480 instead of $1.12 (60% less) for the 100,000 "
                "prompt and 10,000 output tokens sent to big in 10 requests; both are "
                "frontier-class text models and big-lite takes 200,000 tokens of context."
            ),
            "provider": PROVIDER,
            "alternative_provider": PROVIDER,
            "current_cost": 1.12,
            "alternative_cost": 0.448,
            "request_count": 10,
        }
    ]
    assert response.json()["filters"]["start_date"] == "2026-03-20T00:00:00Z"


def test_an_alternative_that_did_worse_for_us_is_never_suggested(api, raw_key, catalog, record):
    record(*calls("big", 10, success=True), *calls("big-lite", 5, success=False))
    assert api.get("/api/recommendations", raw_key, **WINDOW).json()["recommendations"] == []


def test_an_alternative_that_did_as_well_raises_the_confidence(api, raw_key, catalog, record):
    record(*calls("big", 10, success=True), *calls("big-lite", 5, success=True))
    [found] = api.get("/api/recommendations", raw_key, **WINDOW).json()["recommendations"]
    assert found["alternative"] == "big-lite"
    assert found["confidence"] == 0.78
    assert found["reasoning"].endswith("and it did as well on your own requests.")


def test_no_recommendation_without_priced_data(api, raw_key, catalog, record):
    record(*calls("unknown-model", 3))
    assert api.get("/api/recommendations", raw_key, **WINDOW).json()["recommendations"] == []
    assert api.get("/api/recommendations", raw_key).json()["recommendations"] == []


def test_the_cheapest_model_in_its_class_gets_no_recommendation(api, raw_key, catalog, record):
    record(*calls("big-lite", 3))
    assert api.get("/api/recommendations", raw_key, **WINDOW).json()["recommendations"] == []


def test_an_outsider_gets_no_recommendations_from_our_usage(api, outsider_key, catalog, record):
    record(*calls("big", 10))
    assert api.get("/api/recommendations", outsider_key, **WINDOW).json()["recommendations"] == []


def test_bad_parameters_are_refused(api, raw_key):
    response = api.get("/api/recommendations", raw_key, granularity="decade")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_GRANULARITY"
