"""Server time of the dashboard's overview page at 10 million events, through gunicorn.

    make bench-dashboard         # or: .venv/bin/python bench/dashboard.py [--requests 50]

Needs the dataset of bench/generate.py. Migrates the database if needed, signs in a viewer
of the largest organization (`analytics-00`, 30% of the events) by creating a session for
it, starts gunicorn on 127.0.0.1 with Redis db 12 as cache, and sends `--warmup` then
`--requests` sequential GETs of `/o/analytics-00/` over one keep-alive connection (the
explorer's default view is measured the same way, for information). The time is the
client's, from request to last byte on localhost: server time plus a loopback round trip.

Prints JSON (p50, p95, max, size per page) and exits 1 if a request failed or the
overview's p95 is not under 300 ms.
"""

import argparse
import json
import os
import sys
from typing import Any

from analytics import Client, gunicorn_start, gunicorn_stop, machine, measure
from common import ANALYTICS_DATABASE_URL, manage, meta_read, wait_ready
from ingest import PRODUCTION_OVER_HTTP

P95_TARGET_MS = 300.0
BENCH_USER = "dashboard-bench@example.com"


def session_for_viewer(env: dict[str, str], slug: str) -> str:
    """A session key of a viewer of `slug`, created as the login view would (the session
    carries the user's auth hash, so the auth middleware accepts it)."""
    output = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, "
        "get_user_model\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from tokentracker.models import Membership, Organization, Role\n"
        f"user, _ = get_user_model().objects.get_or_create(username={BENCH_USER!r}, "
        f"defaults={{'email': {BENCH_USER!r}}})\n"
        f"organization = Organization.objects.get(slug={slug!r})\n"
        "Membership.objects.get_or_create(user=user, organization=organization, "
        "defaults={'role': Role.VIEWER})\n"
        "session = SessionStore()\n"
        "session[SESSION_KEY] = str(user.pk)\n"
        "session[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "session[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "session.create()\n"
        "print(session.session_key)",
    )
    return output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    generated = meta_read(args.database_url)
    if generated is None:
        raise SystemExit("No complete dataset: run `.venv/bin/python bench/generate.py` first.")
    slug = generated["stats"]["largest_organization"]
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        **PRODUCTION_OVER_HTTP,
    }
    manage(env, "migrate", "--noinput", "-v0")
    # DEBUG is off, as in production: pages link hashed static names from the manifest.
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    session_key = session_for_viewer(env, slug)
    headers = {"Cookie": f"sessionid={session_key}"}
    paths = {"overview": f"/o/{slug}/", "explorer (default view)": f"/o/{slug}/explorer/"}
    results: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()
    server = gunicorn_start(env, args.port, args.workers)
    try:
        wait_ready(args.port)
        client = Client(args.port, headers)
        for name, path in paths.items():
            results[name] = measure(client, path, args.warmup, args.requests)
            print(json.dumps(results[name]), file=sys.stderr, flush=True)
    finally:
        gunicorn_stop(server)

    overview = results["overview"]
    failures = [
        f"{name} ({result['path']}): {result['status']} {result.get('error', '')}"
        for name, result in results.items()
        if result["status"] != 200
    ]
    if not failures and overview["p95_ms"] >= P95_TARGET_MS:
        failures.append(f"overview p95 {overview['p95_ms']} ms is not under {P95_TARGET_MS} ms")
    report = {
        "organization": slug,
        "events": generated["stats"].get("events"),
        "organization_events": generated["stats"].get("per_organization", {}).get(slug),
        "pages": results,
        "target": {"overview_p95_ms_under": P95_TARGET_MS, "met": not failures},
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    print(json.dumps(report, indent=2))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
