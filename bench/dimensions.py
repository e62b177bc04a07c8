"""Explorer dimension breakdowns at 10 million events: by model against by developer,
customer filter and tag, and the sessions list's page sorted by cost (its capped count and
first 50 rows, as the page reads them), in-process through the selectors the pages call.

    .venv/bin/python bench/dimensions.py [--repeat 20] [--database-url ...]

Needs the dataset of bench/generate.py (whose organizations keep the `region` tag). For the
largest organization (`analytics-00`) and windows of 30 and 180 whole UTC days ending at the
dataset's end, times each read `--repeat` times and prints the median and p95 in ms as
JSON. PostgreSQL's buffers are warm after the first read (printed apart as first_ms).
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics import machine
from common import ANALYTICS_DATABASE_URL, ROOT, django_setup, meta_read


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _time(read: Callable[[], Any], repeat: int) -> dict[str, Any]:
    timings = []
    rows = None
    for _ in range(repeat):
        began = time.perf_counter()
        rows = len(read())
        timings.append((time.perf_counter() - began) * 1000)
    return {
        "rows": rows,
        "first_ms": round(timings[0], 1),
        "median_ms": round(statistics.median(timings[1:] or timings), 1),
        "p95_ms": round(_p95(timings[1:] or timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    generated = meta_read(args.database_url)
    if generated is None:
        raise SystemExit("No complete dataset: run `.venv/bin/python bench/generate.py` first.")
    sys.path.insert(0, str(ROOT))
    import opendata  # noqa: F401  (the app, imported while the project comes first on the path)

    django_setup(args.database_url)
    from tokentracker.models import Organization
    from usage.models import DimensionValue
    from usage.paging import CappedCountPaginator
    from usage.selectors.dashboard import usage_breakdowns
    from usage.selectors.dimensions import dimension_breakdown
    from usage.selectors.sessions import sessions_list
    from usage.selectors.usage import UsageScope, usage_by, usage_totals

    slug = generated["stats"]["largest_organization"]
    organization = Organization.objects.get(slug=slug)
    end = (
        datetime.fromisoformat(generated["stats"]["period"]["end"])
        .astimezone(UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    customer = (
        DimensionValue.objects.filter(organization=organization, dimension="customer")
        .order_by("value")
        .values_list("value", flat=True)
        .first()
    )
    results: dict[str, Any] = {}
    for days in (30, 180):
        scope = UsageScope(organization.id, end - timedelta(days=days), end)
        narrowed = UsageScope(
            organization.id, scope.start, scope.end, customers=(customer,) if customer else ()
        )
        cases: dict[str, Callable[[], Any]] = {
            "by model": lambda scope=scope: usage_by(scope, "provider", "model"),
            "by developer": lambda scope=scope: dimension_breakdown(scope, "developer"),
            "by customer": lambda scope=scope: dimension_breakdown(scope, "customer"),
            "by tag region": lambda scope=scope: dimension_breakdown(scope, "tag:region"),
            "customer filter, by model": lambda n=narrowed: usage_by(n, "provider", "model"),
            "customer filter, totals": lambda n=narrowed: [usage_totals(n)],
            # The explorer's five main tables: endpoint, project and platform are not in the
            # dimension rollups, so a customer filter sums them from the raw events.
            "customer filter, explorer breakdowns": lambda n=narrowed: usage_breakdowns(n)[1],
            "sessions list by cost, first page": lambda scope=scope: list(
                CappedCountPaginator(
                    sessions_list(
                        organization_id=organization.id,
                        start=scope.start,
                        end=scope.end,
                        sort="cost",
                    ),
                    50,
                ).page(1)
            ),
        }
        for name, read in cases.items():
            key = f"{days} days, {name}"
            results[key] = _time(read, args.repeat)
            print(json.dumps({key: results[key]}), file=sys.stderr, flush=True)
    report = {
        "organization": slug,
        "organization_events": generated["stats"].get("events_per_org", {}).get(slug),
        "customer_filtered": customer,
        "reads": results,
        "machine": machine(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
