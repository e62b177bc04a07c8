"""ISO 4217 currency codes: the one check every door, form and model field uses.

pycountry carries the ISO 4217 list (already a dependency for country codes), so no list
is kept by hand here.
"""

import pycountry
from django.core.exceptions import ValidationError

DEFAULT_CURRENCY = "USD"
CURRENCY_CODE_MESSAGE = "currency must be an ISO 4217 code, e.g. EUR"


def currency_code(value: str) -> str:
    """`value` as an ISO 4217 code in upper case ("eur" -> "EUR"); ValueError otherwise."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(CURRENCY_CODE_MESSAGE)
    return code


def currency_code_validate(value: str) -> None:
    """Django validator: only an upper-case ISO 4217 code is stored."""
    try:
        normalised = currency_code(value)
    except ValueError:
        raise ValidationError(CURRENCY_CODE_MESSAGE, code="currency") from None
    if normalised != value:
        raise ValidationError(CURRENCY_CODE_MESSAGE, code="currency")


def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency, by code, for a select box."""
    return sorted(
        (currency.alpha_3, f"{currency.alpha_3} · {currency.name}")
        for currency in pycountry.currencies
    )
