"""Server time of the explorer's heavy views at 10 million events, in-process.

    .venv/bin/python bench/explorer.py [--repeat 3] [--days 180]

Needs the dataset of bench/generate.py. Signs a viewer of the largest organization
(`analytics-00`, 30% of the events) into Django's test client and GETs the explorer views
the review found slow: a `--days` window sorted by cost, a deep page of the default order,
and the default order (whose pagination count ran on every view); and the sessions list
over 30 and 180 days sorted by cost, to compare its p95 with the default view's (the
model breakdown). Use --repeat 20 or more for a meaningful p95. The local-memory cache is
cleared before each request, so the rollup reads are not served from it; PostgreSQL's own
buffers stay warm after the first request (the first is printed apart). Prints JSON.
"""

import argparse
import json
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics import machine
from common import ANALYTICS_DATABASE_URL, ROOT, django_setup, meta_read

BENCH_USER = "dashboard-bench@example.com"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--days", type=int, default=180)
    args = parser.parse_args()

    generated = meta_read(args.database_url)
    if generated is None:
        raise SystemExit("No complete dataset: run `.venv/bin/python bench/generate.py` first.")
    # bench/opendata.py would shadow the `opendata` app: look for apps in the project first.
    sys.path.insert(0, str(ROOT))
    import opendata  # noqa: F401  (the app, imported while the project comes first on the path)

    django_setup(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from tokentracker.models import Membership, Organization, Role

    # DEBUG is off, as in production: pages link hashed static names from the manifest.
    call_command("collectstatic", "--noinput", verbosity=0)
    slug = generated["stats"]["largest_organization"]
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"email": BENCH_USER}
    )
    organization = Organization.objects.get(slug=slug)
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Role.VIEWER}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    end = datetime.fromisoformat(generated["stats"]["period"]["end"]).astimezone(UTC).date()
    start = end - timedelta(days=args.days - 1)
    window = f"start_date={start}&end_date={end}"
    base = f"/o/{slug}/explorer/"
    paths = {
        f"{args.days} days, sort_by=total_cost": f"{base}?{window}&sort_by=total_cost",
        f"{args.days} days, page=50000": f"{base}?{window}&page=50000",
        f"{args.days} days, default order": f"{base}?{window}",
        "31 days, sort_by=total_cost": (
            f"{base}?start_date={end - timedelta(days=30)}&end_date={end}&sort_by=total_cost"
        ),
        "7 days, sort_by=total_cost": (
            f"{base}?start_date={end - timedelta(days=6)}&end_date={end}&sort_by=total_cost"
        ),
        "default view (30 days)": base,
        # Issue 20: the sessions list within the model breakdown's p95 (the explorer's
        # default view is that breakdown, read from the rollups).
        "sessions, 30 days, sort=cost": (
            f"/o/{slug}/sessions/?start_date={end - timedelta(days=29)}&end_date={end}&sort=cost"
        ),
        "sessions, 180 days, sort=cost": (
            f"/o/{slug}/sessions/?start_date={end - timedelta(days=179)}&end_date={end}&sort=cost"
        ),
    }
    results: dict[str, Any] = {}
    for name, path in paths.items():
        timings = []
        status = None
        for _ in range(args.repeat):
            cache.clear()
            began = time.perf_counter()
            response = client.get(path)
            timings.append(round((time.perf_counter() - began) * 1000, 1))
            status = response.status_code
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
        results[name] = {
            "path": path,
            "status": status,
            "first_ms": timings[0],
            "ms": timings,
            "p95_ms": p95,
        }
        print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)
    report = {
        "organization": slug,
        "organization_events": generated["stats"].get("per_organization", {}).get(slug),
        "pages": results,
        "machine": machine(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
