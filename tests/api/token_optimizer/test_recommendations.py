"""Token Optimizer /api/recommendations: cheaper models priced on the organization's own mix."""

from decimal import Decimal

import pytest

from tokentracker.models import ExchangeRate
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
            "currency": "USD",
            "request_count": 10,
        }
    ]
    assert response.json()["filters"]["start_date"] == "2026-03-20T00:00:00Z"


@pytest.fixture
def euros(org):
    """A EUR organization; USD at 1.25 per euro on the 19th (1 USD = 0.80 EUR) and 1.60 on
    the 20th (0.625 EUR)."""
    org.reporting_currency = "EUR"
    org.save()
    ExchangeRate.objects.create(day="2026-03-19", currency="USD", rate=Decimal("1.25"))
    ExchangeRate.objects.create(day="2026-03-20", currency="USD", rate=Decimal("1.6"))


def two_days(model):
    """Five calls on the 19th and five on the 20th, each of 8,000 uncached input, 2,000
    cache-read and 1,000 output tokens."""
    return [
        {**call, "occurred_at": f"2026-03-{day}T{hour:02d}:00:00Z"}
        for day in (19, 20)
        for hour, call in enumerate(calls(model, 5))
    ]


def test_a_euro_organization_compares_euros_with_euros_each_day_at_its_rate(
    api, raw_key, catalog, record, euros
):
    record(*two_days("big"))
    response = api.get(
        "/api/recommendations", raw_key, start_date="2026-03-19", end_date="2026-03-20"
    )
    # A call of big is $0.112, of big-lite $0.0448. What the organization paid, converted
    # when recorded: 5 x 0.112 x 0.80 + 5 x 0.112 x 0.625 = 0.448 + 0.35 = 0.798 EUR; big-lite
    # at the same days' rates: 5 x 0.0448 x 0.80 + 5 x 0.0448 x 0.625 = 0.1792 + 0.14 =
    # 0.3192 EUR (not 0.448 x either day's rate: 0.3584 or 0.28).
    [found] = response.json()["recommendations"]
    assert {
        key: found[key]
        for key in ("current_cost", "alternative_cost", "potential_savings", "currency")
    } == {
        "current_cost": 0.798,
        "alternative_cost": 0.3192,
        "potential_savings": 0.4788,
        "currency": "EUR",
    }
    assert found["reasoning"] == (
        "big-lite would have cost 0.3192 EUR instead of 0.7980 EUR (60% less) for the "
        "100,000 prompt and 10,000 output tokens sent to big in 10 requests; both are "
        "frontier-class text models and big-lite takes 200,000 tokens of context."
    )
    assert "$" not in found["reasoning"]


def test_a_model_used_on_a_day_without_a_usd_rate_gets_no_recommendation(
    api, raw_key, catalog, record, euros
):
    # Costs reported in euros need no rate, so what was paid is known; what big-lite would
    # have cost on the 10th (no USD rate in the week before it) is not, and is not guessed.
    reported = {"total_cost": 0.1, "currency": "EUR"}
    record(
        *[
            {**call, **reported, "occurred_at": f"2026-03-10T0{n}:00:00Z"}
            for n, call in enumerate(calls("big", 3))
        ],
        *[{**call, **reported} for call in calls("big", 3)],
    )
    both = api.get("/api/recommendations", raw_key, start_date="2026-03-10", end_date="2026-03-20")
    assert both.json()["recommendations"] == []
    # The 20th alone: 0.30 EUR paid, big-lite 3 x 0.0448 x 0.625 = 0.084 EUR.
    [found] = api.get(
        "/api/recommendations", raw_key, start_date="2026-03-20", end_date="2026-03-20"
    ).json()["recommendations"]
    assert (found["current_cost"], found["alternative_cost"], found["potential_savings"]) == (
        0.3,
        0.084,
        0.216,
    )


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
