"""The parsers billing's write services share: each takes what a door received and answers
the stored value, or raises `FieldInvalid` naming the field."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from billing.models import Service
from tokentracker.currencies import currency_code

MAX_AMOUNT = Decimal("1e15")
MONEY_PLACES = Decimal("0.000000000001")


@dataclass(frozen=True)
class FieldInvalid(Exception):
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def service_parse(value: object) -> str:
    """One of the 13 services, matched case-insensitively ("OpenAI" -> "openai")."""
    slug = value.strip().lower() if isinstance(value, str) else ""
    if slug not in Service.values:
        raise FieldInvalid("service", f"must be one of {', '.join(Service.values)}")
    return slug


def amount_parse(value: object, field: str = "amount") -> Decimal:
    """A number from 0 up to 10^15 (a JSON number or a decimal string), to 12 places."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise FieldInvalid(field, "must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldInvalid(field, "must be a number") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise FieldInvalid(field, "must be a number from 0 up to 10^15")
    return amount.quantize(MONEY_PLACES)


def whole_parse(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldInvalid(field, f"must be a whole number from {low} to {high}")
    return value


def text_parse(field: str, value: object, limit: int) -> str:
    """Text of at most `limit` characters, stripped; None is ""."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise FieldInvalid(field, f"must be text of at most {limit} characters")
    return value.strip()


def currency_parse(value: object, default: str) -> str:
    """An ISO 4217 code in any case ("eur" -> "EUR"); None is `default`."""
    if value is None:
        return default
    try:
        return currency_code(value)  # type: ignore[arg-type]
    except ValueError as error:
        raise FieldInvalid("currency", str(error)) from None


def date_parse(value: object, field: str = "date") -> date:
    """A calendar day: a `date`, or ISO 8601 text ("2026-01-15") from 2000 to 2100."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise FieldInvalid(field, "must be a date as YYYY-MM-DD") from None
    else:
        raise FieldInvalid(field, "must be a date as YYYY-MM-DD")
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise FieldInvalid(field, "must be a date from 2000 to 2100")
    return day
