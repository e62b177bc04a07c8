"""How the contracts write times and numbers: one copy of each rule, the places per contract.

A body's size limit is the other shared rule: Django raises RequestDataTooBig past
DATA_UPLOAD_MAX_MEMORY_SIZE and `tokentracker.api.errors` answers it once (413).
"""

from datetime import datetime
from decimal import Decimal

from usage.dates import iso_z

__all__ = ["iso_or_none", "iso_z", "number", "number_or_none"]


def iso_or_none(moment: datetime | None) -> str | None:
    return iso_z(moment) if moment is not None else None


def number(amount: Decimal, places: int | None = None) -> float:
    """A stored Decimal (money, grams) as a JSON number, rounded to `places` if given."""
    return float(round(amount, places) if places is not None else amount)


def number_or_none(amount: Decimal | None, places: int | None = None) -> float | None:
    return None if amount is None else number(amount, places)
