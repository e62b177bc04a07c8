"""What one sync reads, normalised the same way for every provider."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class UsageRow:
    """Tokens of one time bucket and group, split like our events: `input_tokens` is
    uncached input only (OpenAI counts cached tokens inside its `input_tokens`, Anthropic
    does not). A group the provider left out is ""."""

    start: datetime
    end: datetime
    width: str  # "1h" | "1d"
    model: str
    project: str
    api_key: str
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    requests: int

    @property
    def key(self) -> tuple[str, datetime, str, str, str]:
        return (self.width, self.start, self.model, self.project, self.api_key)


@dataclass(frozen=True)
class CostRow:
    """What a provider billed for one UTC day and line (OpenAI's `line_item`, Anthropic's
    `description`) and project, in major units of `currency` (dollars, not cents)."""

    day: date
    line_item: str
    model: str
    project: str
    amount: Decimal
    currency: str

    @property
    def key(self) -> tuple[date, str, str]:
        return (self.day, self.line_item, self.project)


class RowUnreadable(ValueError):
    """A field of a provider's row is not of the documented form."""


def count_of(result: dict, name: str) -> int:
    """A token or request count of a provider's row: absent or null is 0."""
    value = result.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RowUnreadable(f"{name} is not a count: {value!r}")
    return value


def group_of(value: object, length: int = 200) -> str:
    """A group id (project, workspace, key): "" when the provider left it out."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowUnreadable(f"a group id is not text: {value!r}")
    return value.strip()[:length]


def amount_of(value: object) -> Decimal:
    """An amount as the provider wrote it (a JSON number read as Decimal, or a string)."""
    if isinstance(value, bool) or value is None:
        raise RowUnreadable(f"an amount is not a number: {value!r}")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except ArithmeticError:
            raise RowUnreadable(f"an amount is not a number: {value!r}") from None
    else:
        raise RowUnreadable(f"an amount is not a number: {value!r}")
    if not amount.is_finite():
        raise RowUnreadable(f"an amount is not a number: {value!r}")
    return amount


def currency_of(value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 3 or not code.isalpha():
        raise RowUnreadable(f"a currency is not an ISO 4217 code: {value!r}")
    return code
