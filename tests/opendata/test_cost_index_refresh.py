"""The cost index, computed from a hand-made basket and price history, equals the hand sums."""

from datetime import date
from decimal import Decimal

import pytest

from opendata.models import CostIndexPoint, DatasetRefresh
from opendata.services import DEFAULT_BASKETS, baskets_seed_defaults, cost_index_refresh
from usage.models import ModelPrice

from .factories import acme_history, basket, moment, price

pytestmark = pytest.mark.django_db


def series(key: str) -> dict[str, tuple]:
    return {
        point.date.isoformat(): (
            point.input_per_mtok,
            point.output_per_mtok,
            point.blended_per_mtok,
            point.constituents,
            point.basket_version,
        )
        for point in CostIndexPoint.objects.filter(index_key=key)
    }


def test_each_day_is_the_mean_of_the_constituents_closing_prices_around_a_price_change():
    acme_history()
    basket("test", "v1", "2026-03-01", ["alpha", "beta", "gamma"])

    cost_index_refresh(today=date(2026, 3, 4))

    # 03-01: alpha 2/8 (blended 3.5), beta 0.3/1.2 (blended 0.525); gamma not yet priced.
    # 03-02: alpha's new price shows on its date: 1/4 (blended 1.75).
    # 03-03: gamma's noon price closes the day: 5/15 (blended 7.5); three constituents.
    assert series("test") == {
        "2026-03-01": (Decimal("1.15"), Decimal("4.6"), Decimal("2.0125"), 2, "v1"),
        "2026-03-02": (Decimal("0.65"), Decimal("2.6"), Decimal("1.1375"), 2, "v1"),
        "2026-03-03": (
            Decimal("2.1"),
            Decimal("6.7333333333"),  # 20.2 / 3, rounded to the catalog's 10 places
            Decimal("3.2583333333"),  # (1.75 + 0.525 + 7.5) / 3
            3,
            "v1",
        ),
        "2026-03-04": (
            Decimal("2.1"),
            Decimal("6.7333333333"),
            Decimal("3.2583333333"),
            3,
            "v1",
        ),
    }


def test_a_new_basket_version_applies_from_its_start_and_leaves_the_history():
    acme_history()
    basket("test", "v1", "2026-03-01", ["alpha", "beta", "gamma"])
    basket("test", "v2", "2026-03-03", ["beta"])

    cost_index_refresh(today=date(2026, 3, 4))

    found = series("test")
    assert found["2026-03-02"] == (Decimal("0.65"), Decimal("2.6"), Decimal("1.1375"), 2, "v1")
    assert found["2026-03-03"] == (Decimal("0.3"), Decimal("1.2"), Decimal("0.525"), 1, "v2")
    assert found["2026-03-04"] == (Decimal("0.3"), Decimal("1.2"), Decimal("0.525"), 1, "v2")


def test_a_day_without_any_priced_constituent_has_no_point():
    price("later", "1", "2", start=moment("2026-03-03"))
    price("unpriced", "1", "2")
    ModelPrice.objects.filter(model="unpriced").update(output_per_mtok=None)
    basket("test", "v1", "2026-03-01", ["later", "unpriced"])

    cost_index_refresh(today=date(2026, 3, 3))

    assert list(series("test")) == ["2026-03-03"]
    assert series("test")["2026-03-03"][3] == 1


def test_a_refresh_replaces_the_series_and_records_when_it_ran():
    acme_history()
    basket("test", "v1", "2026-03-01", ["beta"])
    cost_index_refresh(today=date(2026, 3, 2))
    price("beta", "0.60", "2.40", start=moment("2026-03-02"))
    ModelPrice.objects.filter(model="beta", effective_from__isnull=True).update(
        effective_to=moment("2026-03-02")
    )

    rows = cost_index_refresh(today=date(2026, 3, 2))

    assert series("test")["2026-03-02"][:3] == (Decimal("0.6"), Decimal("2.4"), Decimal("1.05"))
    assert series("test")["2026-03-01"][:3] == (Decimal("0.3"), Decimal("1.2"), Decimal("0.525"))
    refresh = DatasetRefresh.objects.get(dataset="cost-index")
    assert refresh.rows == rows == CostIndexPoint.objects.count()


def test_the_default_baskets_hold_catalog_models_of_their_tier():
    # The catalog loaded on migrate seeded them; every constituent is a priced catalog model.
    from opendata.models import CostIndexBasket

    assert baskets_seed_defaults() == 0  # already there, never seeded twice
    baskets = {b.key: b for b in CostIndexBasket.objects.prefetch_related("constituents")}
    assert set(baskets) == set(DEFAULT_BASKETS)
    for key, made in baskets.items():
        pairs = {(c.provider, c.model) for c in made.constituents.all()}
        assert pairs == set(DEFAULT_BASKETS[key][1])
        for provider, model in pairs:
            assert ModelPrice.objects.filter(
                provider=provider, model=model, tier_class=key
            ).exists(), (provider, model)
