"""What the `march` fixture's spend is, as the projection engine sees it, and its budgets."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.models import Budget
from billing.projections import Projection, project_month

NOW = datetime.fromisoformat("2026-03-20T12:00:00+00:00")


def engine(per_day: str, fixed: int = 0) -> Projection:
    """The engine's projection of `per_day` every day from 19 January, half of it so far
    today, plus `fixed` manual costs: what the endpoints must serve for that scope."""
    daily = {date(2026, 1, 19) + timedelta(days=n): Decimal(per_day) for n in range(60)}
    daily[NOW.date()] = Decimal(per_day) / 2
    return project_month(daily, now=NOW, fixed=Decimal(fixed))


def as_json(amount: Decimal) -> float:
    return float(round(amount, 12))


def budgets(org) -> dict[str, Budget]:
    """Two organization budgets (100 and the tighter 70) and OpenAI's own (50)."""
    made = [
        Budget(organization=org, name="Company", scope="organization", amount=100),
        Budget(organization=org, name="Tight", scope="organization", amount=70),
        Budget(organization=org, name="OpenAI", scope="service", service="openai", amount=50),
    ]
    for budget in made:
        budget.currency = "USD"
        budget.save()
    return {budget.name: budget for budget in made}
