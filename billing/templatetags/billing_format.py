"""How the billing pages write spend that may be partly unpriced, and month-on-month change."""

from decimal import Decimal
from typing import Any

from django import template

from billing.selectors.spend import Spend

register = template.Library()


@register.filter
def change(percent: Decimal | None) -> str:
    """+12.50%, -25.00% (with a real minus sign, U+2212), or — when there is nothing to
    compare."""
    if percent is None:
        return "—"
    sign = "+" if percent > 0 else "\u2212" if percent < 0 else ""
    return f"{sign}{abs(percent):,.2f}%"


@register.inclusion_tag("billing/partials/spend.html")
def spend(amount: Spend, currency: str) -> dict[str, Any]:
    """Spend in the reporting currency, with what it leaves out beside it: unpriced API
    requests and costs with no exchange rate, never written as 0."""
    return {
        "spend": amount,
        "currency": currency,
        "unconverted": sorted(amount.unconverted.items()),
    }
