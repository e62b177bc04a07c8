"""Dataset rows as published JSON values and CSV text.

Prices and costs stay Decimal until here. JSON renders a whole number as an integer and any
other as the shortest float (`3`, `0.2`), as MyTokenTracker's datasets do; CSV writes the
exact decimal (`0.0000375`, never `3.75e-05`), `true`/`false`, and an empty cell for null.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_rows(rows: Iterable[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    return [{column: json_value(row[column]) for column in columns} for row in rows]


def csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_value(row[column]) for column in columns] for row in rows)
    return buffer.getvalue()
