"""Django admin's event list on the generated dataset: server time per page and the SQL it runs.

    .venv/bin/python bench/admin_events.py [--database-url ...] [--runs 5]

Needs the dataset of bench/generate.py (any size; the analytics bench's 10M by default).
Renders the UsageEvent changelist in-process with Django's test client as a superuser (no
HTTP server: this measures the view and its queries), for the plain list, the date
drill-down at year and month level (the newest month and the oldest), a provider filter,
an organization filter, a search by model prefix, by UUID and for nothing, and a deep
page. For each it reports the median and slowest
of --runs renders after a warm-up, the number of queries and the slowest query. Then it
times, once each, the queries a stock changelist would have run instead (COUNT(*),
SELECT DISTINCT provider, MIN/MAX and DISTINCT years of occurred_at) to show what the
admin avoids (usage/admin_events.py).

Prints JSON. Exits 1 if any page fails or its median exceeds --target-ms (default 300).
"""

import argparse
import json
import statistics
import sys
import time
from typing import Any

from common import ANALYTICS_DATABASE_URL, django_setup


def _render(client: Any, url: str, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: template loading, plan caches
    timings = []
    captured_queries: list[dict[str, str]] = []
    status = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        captured_queries = captured.captured_queries
    slowest = max(captured_queries, key=lambda q: float(q["time"]), default={"sql": "", "time": 0})
    return {
        "url": url,
        "status": status,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": len(captured_queries),
        "slowest_query_ms": round(float(slowest["time"]) * 1000, 1),
        "slowest_query": slowest["sql"][:160],
    }


def _stock_queries() -> dict[str, float]:
    """What a stock changelist of this table runs on every page view, timed once each."""
    from django.db import connection

    table = "usage_usageevent"
    statements = {
        "paginator COUNT(*)": f"SELECT COUNT(*) FROM {table}",
        "provider filter SELECT DISTINCT": f"SELECT DISTINCT provider FROM {table}",
        "date hierarchy MIN/MAX": f"SELECT MIN(occurred_at), MAX(occurred_at) FROM {table}",
        "date hierarchy DISTINCT years": (
            f"SELECT DISTINCT date_trunc('year', occurred_at) FROM {table}"
        ),
    }
    timings = {}
    with connection.cursor() as cursor:
        for name, sql in statements.items():
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            timings[name] = round((time.perf_counter() - started) * 1000, 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target-ms", type=float, default=300.0)
    args = parser.parse_args()
    django_setup(args.database_url)

    from django.contrib.auth import get_user_model
    from django.test import Client

    from usage.models import DailyRollup, UsageEvent

    user, created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    newest = UsageEvent.objects.order_by("-id").values("uuid", "organization_id", "occurred_at")
    sample = newest.first()
    if sample is None:
        raise SystemExit("no events: run bench/generate.py first")
    events = UsageEvent.objects.count()
    base = "/admin/usage/usageevent/"
    year, month = sample["occurred_at"].year, sample["occurred_at"].month
    oldest = DailyRollup.objects.order_by("hour").values_list("hour", flat=True).first()
    pages = [
        base,
        f"{base}?occurred_at__year={year}",
        f"{base}?occurred_at__year={year}&occurred_at__month={month}",
        f"{base}?occurred_at__year={oldest.year}&occurred_at__month={oldest.month}",
        f"{base}?provider=anthropic",
        f"{base}?organization__id__exact={sample['organization_id']}",
        f"{base}?q=claude",
        f"{base}?q={sample['uuid']}",
        f"{base}?q=no-such-model",
        f"{base}?p=99",
    ]
    results = [_render(client, url, args.runs) for url in pages]
    report = {"events": events, "pages": results, "stock_changelist_queries_ms": _stock_queries()}
    if created:
        user.delete()
    print(json.dumps(report, indent=2, default=str))
    failed = [r for r in results if r["status"] != 200 or r["median_ms"] > args.target_ms]
    if failed:
        print(f"missed: {[r['url'] for r in failed]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
