"""Stripe's amounts, which are integers in a currency's smallest unit, as major units.

Stripe's idea of the smallest unit is not ISO 4217's (pycountry, babel): it keeps ISK, HUF,
TWD and UGX's former cents for backward compatibility, so neither library's exponents give
Stripe's amounts. The lists are Stripe's own (https://docs.stripe.com/currencies#zero-decimal
and #three-decimal); every other currency has two decimals.
"""

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def stripe_decimals(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def stripe_amount_major(amount: int, currency: str) -> Decimal:
    """`amount` (Stripe's integer: cents, yen, fils) in the currency's major unit, exactly:
    2000 usd -> 20.00, 2000 jpy -> 2000, 12340 kwd -> 12.340."""
    return Decimal(int(amount)).scaleb(-stripe_decimals(currency))
