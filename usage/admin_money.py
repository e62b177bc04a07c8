"""Money columns of Django admin's lists, written as the dashboard writes money
(`usage_format.money`): `$0.000075` or `1,234.56 EUR`, where the stock column shows the
stored twelve decimal places (`0.000075000000`) and leaves the currency to another column."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model

from .templatetags.usage_format import money


def money_column(
    field: str, *, currency_field: str, description: str | None = None
) -> Callable[[Model], str]:
    """A list_display column of `field` in the currency named by `currency_field`, sorted
    by the amount; an empty amount (unpriced, not converted) is a dash, its reason being
    in another column."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj: Any) -> str:
        amount = getattr(obj, field)
        if amount is None:
            return "—"
        return money(amount, getattr(obj, currency_field) or "USD")

    column.__name__ = field
    return column
