"""The reference datasets (excerpts in `reference/`) and checks of ours against them."""

import csv
import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).parent / "reference"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Fields whose value may be null: only those the reference documents "or null". The models
# dataset has none: it publishes 0 for unknown, as the reference does.
NULLABLE = {
    "community": {"quality_avg", "latency_avg_ms"},
    "models": set(),
    "cost-index": set(),
}


@cache
def reference_schema() -> dict[str, Any]:
    return json.loads((REFERENCE / "schema.json").read_text())


@cache
def reference_dataset(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def reference_csv_header(name: str) -> list[str]:
    with (REFERENCE / f"{name}.csv").open() as handle:
        return next(csv.reader(handle))


def _has_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "date":
        return isinstance(value, str) and bool(DATE.match(value))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise AssertionError(f"unknown type {kind}")


def assert_rows_match_schema(name: str, rows: list[dict[str, Any]]) -> None:
    fields = reference_schema()["datasets"][name]["fields"]
    names = [f["name"] for f in fields]
    for row in rows:
        assert list(row) == names
        for described in fields:
            value = row[described["name"]]
            if value is None:
                assert described["name"] in NULLABLE[name], described["name"]
                continue
            assert _has_type(value, described["type"]), (described["name"], value)


def assert_wrapper_matches(name: str, body: dict[str, Any]) -> None:
    """Same wrapper keys in the same order, and each wrapper value of the reference's type."""
    reference = reference_dataset(name)
    assert list(body) == list(reference)
    for key, value in reference.items():
        assert type(body[key]) is type(value), key
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$", body["generated_at"])
    assert body["count"] == len(body["rows"])


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))
