"""How the dashboard writes money, counts, CO2e and energy.

Money is Decimal, never float, in the organization's reporting currency: $1,234.56 from a
dollar up (1,234.56 EUR in another currency), and below it four
significant digits (at most six places, the log export's precision), so a $0.00725 call
does not read as $0.01 and $0.366854 a day does not read as noise.
Unpriced spend is never written as $0: `cost` says "unpriced" instead.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.http import QueryDict

from usage.genai_catalog import provider_display
from usage.selectors.usage import UsageTotals

register = template.Library()

SIGNIFICANT = 4
MAX_PLACES = 6


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "USD") -> str:
    """USD as $1,234.56; any other currency with its code after the number (12.30 EUR),
    so a figure in the organization's reporting currency never reads as dollars."""
    if amount is None:
        return "unpriced"
    amount = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        number = "0.00"
    elif amount >= 1:
        number = f"{amount:,.2f}"
    else:
        # Four significant digits, at most six places: $0.3669, $0.00725, $0.000146.
        places = min(SIGNIFICANT - 1 - amount.adjusted(), MAX_PLACES)
        rounded = amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if rounded == 0:
            return f"{sign}<$0.000001" if currency == "USD" else f"{sign}<0.000001 {currency}"
        whole, _, digits = f"{rounded:f}".partition(".")
        number = f"{whole}.{digits.rstrip('0').ljust(2, '0')}"
    if currency == "USD":
        return f"{sign}${number}"
    return f"{sign}{number} {currency}"


@register.inclusion_tag("usage/partials/cost.html", takes_context=True)
def cost(context: template.Context, totals: UsageTotals) -> dict[str, Any]:
    """The priced cost of some totals, in the organization's reporting currency, with how
    many events could not be priced or converted."""
    organization = context.get("organization")
    return {
        "unpriced_only": bool(totals.events and not totals.priced_events),
        "amount": totals.cost,
        "unpriced": totals.unpriced_events,
        "currency": getattr(organization, "reporting_currency", "USD"),
    }


@register.filter
def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@register.filter
def grams(value: Decimal | float | None) -> str:
    """CO2e: grams up to a kilogram, then kilograms, then tonnes."""
    if value is None:
        return "—"
    value = float(value)
    if value >= 1_000_000:
        return f"{value / 1_000_000:,.2f} t"
    if value >= 1000:
        return f"{value / 1000:,.2f} kg"
    if value >= 10 or value == 0:
        return f"{value:,.1f} g"
    return f"{value:.3g} g"


@register.filter
def energy(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    value = float(value)
    if value >= 1000:
        return f"{value / 1000:,.2f} kWh"
    if value >= 10 or value == 0:
        return f"{value:,.1f} Wh"
    return f"{value:.3g} Wh"


@register.filter
def provider_name(provider: str) -> str:
    return provider_display(provider) if provider else "—"


@register.filter
def milliseconds(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@register.simple_tag
def query_with(params: QueryDict, *pairs: Any) -> str:
    """The current query string with parameters replaced, as name, value pairs (a None
    value removes one); the page number always resets unless it is set here. For links
    that narrow the explorer to a breakdown row, sort the logs or turn their pages."""
    query = params.copy()
    query.pop("page", None)
    for name, value in zip(pairs[::2], pairs[1::2], strict=True):
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, [str(value)])
    return "?" + query.urlencode()


@register.simple_tag
def query_without(params: QueryDict, name: str, value: str) -> str:
    """The current query string without one value of a (multi-valued) filter, the others
    kept: the remove link of that filter's chip. The page number resets."""
    query = params.copy()
    query.pop("page", None)
    query.setlist(name, [kept for kept in query.getlist(name) if kept != value])
    return "?" + query.urlencode()


def _formatted(kind: str, value: Any, currency: str) -> str:
    if kind == "money":
        return money(value, currency)
    if kind == "grams":
        return grams(value)
    if kind == "energy":
        return energy(value)
    if kind == "ms":
        return milliseconds(value)
    if kind == "rate":
        return "—" if value is None else f"{value:.1%}"
    return count(value)


def _change(context: template.Context, change: Any, kind: str = "count") -> dict[str, Any]:
    """A figure's previous-period value and its change (a
    `usage.selectors.periods.Change`): "+$0.0100 (+29%)", "new" when the previous period
    had none, and no change at all, with the reason, when the two are not comparable.
    `kind` formats the values: money, count, grams, energy, ms or rate (a rate's change is
    in percentage points)."""
    organization = context.get("organization")
    currency = getattr(organization, "reporting_currency", "USD")
    difference = change.difference
    delta = ""
    if difference is not None and difference != 0:
        sign = "+" if difference > 0 else "\u2212"
        if kind == "rate":
            delta = f"{sign}{abs(difference) * 100:.1f} points"
        else:
            delta = f"{sign}{_formatted(kind, abs(difference), currency)}"
    ratio = change.ratio
    return {
        "change": change,
        "previous": _formatted(kind, change.previous, currency),
        "delta": delta,
        "percent": None if ratio is None or kind == "rate" else f"{ratio:+.0%}",
        "unpriced_previous": kind == "money" and change.previous is None,
        # A rate from 0 % has a change in points, not "new".
        "new": change.is_new and kind != "rate",
    }


@register.inclusion_tag("usage/partials/change.html", takes_context=True)
def change_note(context: template.Context, change: Any, kind: str = "count") -> dict[str, Any]:
    """A headline figure's previous-period value and its change, under the figure."""
    return _change(context, change, kind)


@register.inclusion_tag("usage/partials/change_cells.html", takes_context=True)
def change_cells(
    context: template.Context, change: Any, kind: str = "count", previous_events: Any = None
) -> dict[str, Any]:
    """A breakdown row's previous-period value and its change as two table cells, by the
    same rules as `change_note` (new, unpriced, not comparable and why). With
    `previous_events` 0 the value had no usage then: "none", not a $0.00 it never spent."""
    return _change(context, change, kind) | {"absent": previous_events == 0}
