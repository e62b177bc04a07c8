"""Hand-made price history and baskets for the cost-index tests."""

from datetime import UTC, date, datetime
from decimal import Decimal

from opendata.models import CostIndexBasket, CostIndexConstituent
from usage.models import ModelPrice


def moment(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC).replace(
        hour=hour
    )


def price(
    model: str,
    input_price: str,
    output_price: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    provider: str = "acme",
) -> ModelPrice:
    return ModelPrice.objects.create(
        provider=provider,
        model=model,
        input_per_mtok=Decimal(input_price),
        output_per_mtok=Decimal(output_price),
        effective_from=start,
        effective_to=end,
    )


def basket(key: str, version: str, starts_on: str, models: list[str]) -> CostIndexBasket:
    made = CostIndexBasket.objects.create(
        key=key, version=version, starts_on=date.fromisoformat(starts_on)
    )
    for model in models:
        CostIndexConstituent.objects.create(basket=made, provider="acme", model=model)
    return made


def acme_history() -> None:
    """alpha halves its prices on 2026-03-02 (midnight, a dated catalog version); beta never
    changes; gamma is added by an admin at noon on 2026-03-03."""
    price("alpha", "2.00", "8.00", end=moment("2026-03-02"))
    price("alpha", "1.00", "4.00", start=moment("2026-03-02"))
    price("beta", "0.30", "1.20")
    price("gamma", "5.00", "15.00", start=moment("2026-03-03", hour=12))
