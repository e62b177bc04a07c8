"""The explorer's dimensions of one value at a time: developer, customer and metadata tags.

What is kept (README "Explorer dimensions"):
- `developer` (UsageEvent.developer_id), `customer` (UsageEvent.tenant_id) and one
  `tag:<key>` per key of `Organization.tag_keys` (at most `MAX_TAG_KEYS`, validated by
  tokentracker.tag_keys), each summed per
  hour, live/test, value, provider and model in DimensionHourlyRollup/DimensionDailyRollup.
- A tag's value is the event's `metadata[key]` when it is a string, cut to
  `MAX_VALUE_LENGTH` characters; a missing key or any other JSON type (number, boolean,
  object) is no value. No value (`""`) is a bucket of its own, shown as "(none)".
- At most `MAX_VALUES` values per organization and dimension are kept apart (DimensionValue
  holds them); any further value is summed into one bucket shown as "Other". Ingest admits
  values first come while there is room; a rebuild admits the `MAX_VALUES` with the most
  events. Two batches admitting their first values at the same instant may each see room,
  so the bound can be passed by a value or two until the next rebuild.
- Stored values are escaped so the Other bucket cannot collide with a real value: a value
  is stored as `=` and the value, the Other bucket as `*` (`stored`, `shown`).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models import Case, Value, When
from django.db.models.expressions import Func
from django.db.models.functions import Concat, Substr

from tokentracker.tag_keys import TAG_KEY_PATTERN

MAX_VALUES = 50
MAX_VALUE_LENGTH = 200
TAG_PREFIX = "tag:"
# Stored forms: "=" + value for a value, "*" for the bucket of values past MAX_VALUES.
OTHER = "*"
VALUE_MARK = "="
# The event column each non-tag dimension reads.
COLUMN_DIMENSIONS = {"developer": "developer_id", "customer": "tenant_id"}


def tag_dimension(key: str) -> str:
    return f"{TAG_PREFIX}{key}"


def dimensions_of(tag_keys: Sequence[str]) -> tuple[str, ...]:
    """Every dimension an organization with these tag keys keeps, in the page's order."""
    return ("developer", "customer", *(tag_dimension(key) for key in tag_keys))


def event_value(row: dict[str, Any], dimension: str) -> str:
    """An event row's value of a dimension (the ingest service's row dict)."""
    column = COLUMN_DIMENSIONS.get(dimension)
    if column is not None:
        return row[column] or ""
    metadata = row.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    value = metadata.get(dimension.removeprefix(TAG_PREFIX))
    return value[:MAX_VALUE_LENGTH] if isinstance(value, str) else ""


def stored(value: str, admitted: bool = True) -> str:
    """How a value is kept in the dimension rollups' `value` column."""
    return VALUE_MARK + value if admitted or value == "" else OTHER


def shown(stored_value: str) -> str | None:
    """The value of a stored one; None for the Other bucket."""
    return None if stored_value == OTHER else stored_value[len(VALUE_MARK) :]


class _StringTagValue(Func):
    """metadata[key] when it is a JSON string, else "" (Django's KeyTextTransform gives
    numbers and booleans as text, differently on SQLite and PostgreSQL; the rollups count
    only strings, as `event_value` does)."""

    output_field = models.CharField()

    def __init__(self, key: str) -> None:
        if not TAG_KEY_PATTERN.match(key):
            raise ValueError(f"not a tag key: {key!r}")
        self.key = key
        super().__init__(models.F("metadata"))

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        path = f'$."{self.key}"'
        sql = (
            f"CASE WHEN json_type({column}, %s) = 'text' "
            f"THEN json_extract({column}, %s) ELSE '' END"
        )
        return sql, [*params, path, path]

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = f"CASE WHEN jsonb_typeof({column} -> %s) = 'string' THEN {column} ->> %s ELSE '' END"
        return sql, [*params, self.key, self.key]


def value_expression(dimension: str) -> Any:
    """The SQL of an event's value of `dimension`, as `event_value` computes it."""
    column = COLUMN_DIMENSIONS.get(dimension)
    if column is not None:
        return models.F(column)
    return Substr(_StringTagValue(dimension.removeprefix(TAG_PREFIX)), 1, MAX_VALUE_LENGTH)


def stored_expression(admitted: Iterable[str]) -> Any:
    """The SQL of an event's stored value: `=value` when admitted (or empty), else `*`.
    On a queryset annotated with `dimension_raw=value_expression(dimension)`."""
    keep = [*admitted, ""]
    return Case(
        When(
            dimension_raw__in=keep,
            then=Concat(
                Value(VALUE_MARK), models.F("dimension_raw"), output_field=models.CharField()
            ),
        ),
        default=Value(OTHER),
        output_field=models.CharField(),
    )
