"""Analytics latency and CSV export on the generated dataset, through gunicorn and PostgreSQL.

    make bench-analytics         # or: .venv/bin/python bench/analytics.py [--requests 200]

Needs the dataset of bench/generate.py (`make bench-analytics` generates it when missing).
Migrates the database if needed, starts gunicorn on 127.0.0.1 with Redis db 13 as cache and
rate-limit store, and for the largest organization measures, sequentially over one
keep-alive connection after a warm-up, p50/p95 of the Token Optimizer metrics
(`/api/metrics/summary`, `/by-model`, `/trend` by day and hour, default windows and the
whole history) and the Tokenwise `/api/v1/public/metrics` (default 7d and 180d). Then it
restarts gunicorn with one worker and streams a CSV export (`/api/logs?format=csv`) over a
window holding at least --csv-rows events, counting rows received and reading the worker's
peak RSS (VmHWM in /proc/<pid>/status).

Prints JSON. Exits 1 if any request failed (a missing endpoint is reported as 404), the CSV
lacked rows, or a target was missed: every aggregate p95 under 100 ms, CSV export at least
100,000 rows/s with the worker's peak RSS under 150 MB.
"""

import argparse
import http.client
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ANALYTICS_DATABASE_URL, ROOT, manage, meta_read, wait_ready
from ingest import PRODUCTION_OVER_HTTP, gunicorn_command

P95_TARGET_MS = 100.0
CSV_ROWS_PER_SECOND_TARGET = 100_000
CSV_PEAK_RSS_TARGET_MB = 150.0


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at or above `fraction` of the samples."""
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def gunicorn_start(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    # The production shape of bench/ingest.py: gthread workers, keep-alive connections.
    return subprocess.Popen(gunicorn_command(port, workers, "warning"), cwd=ROOT, env=env)


def gunicorn_stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def proc_status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Client:
    """One keep-alive HTTP/1.1 connection, reopened after an error."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return 0, repr(exc).encode(), time.perf_counter() - started
        return response.status, body, time.perf_counter() - started


def measure(client: Client, path: str, warmup: int, requests: int) -> dict[str, Any]:
    for _ in range(warmup):
        status, body, _ = client.get(path)
        if status != 200:
            return {"path": path, "status": status, "error": body[:300].decode(errors="replace")}
    latencies: list[float] = []
    failures: list[str] = []
    size = 0
    for _ in range(requests):
        status, body, elapsed = client.get(path)
        if status != 200:
            failures.append(f"{status} {body[:200]!r}")
            continue
        latencies.append(elapsed * 1000)
        size = len(body)
    result: dict[str, Any] = {"path": path, "status": 200 if not failures else "errors"}
    if failures:
        result["failures"] = len(failures)
        result["error"] = failures[0]
    if latencies:
        latencies.sort()
        result |= {
            "requests": len(latencies),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "max_ms": round(latencies[-1], 1),
            "response_bytes": size,
        }
    return result


def csv_window(database_url: str, organization_id: int, rows: int, end: datetime) -> dict:
    """The shortest window of whole hours ending at the dataset's end with >= `rows` events,
    and how many events it holds (what the export must deliver, row for row)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        found = conn.execute(
            "SELECT occurred_at FROM usage_usageevent WHERE organization_id = %s "
            "ORDER BY occurred_at DESC OFFSET %s LIMIT 1",
            [organization_id, rows - 1],
        ).fetchone()
        if found is None:
            raise SystemExit(f"the organization holds fewer than {rows:,} events")
        start = found[0].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        (expected,) = conn.execute(
            "SELECT COUNT(*) FROM usage_usageevent WHERE organization_id = %s "
            "AND occurred_at >= %s AND occurred_at < %s",
            [organization_id, start, end],
        ).fetchone()
    return {"start": start, "end": end, "expected_rows": expected}


def csv_export(port: int, headers: dict[str, str], path: str, pid: int) -> dict[str, Any]:
    """Stream the export, counting lines as they arrive, and sample the worker's RSS."""
    rss_before_kb = proc_status_kb(pid, "VmRSS")
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(proc_status_kb(pid, "VmRSS"))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first_byte = None
    lines = size = 0
    while True:
        chunk = response.read1(1 << 20)
        if not chunk:
            break
        if first_byte is None:
            first_byte = time.perf_counter() - started
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    conn.close()
    result: dict[str, Any] = {"path": path, "status": response.status}
    if response.status != 200:
        return result
    rows = lines - 1  # the header line
    return result | {
        "rows": rows,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed),
        "time_to_first_byte_ms": round((first_byte or 0) * 1000, 1),
        "worker_rss_before_mb": round(rss_before_kb / 1024, 1),
        "worker_rss_max_sampled_mb": round(max(samples, default=0) / 1024, 1),
        "worker_peak_rss_mb": round(proc_status_kb(pid, "VmHWM") / 1024, 1),
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (latency)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-csv", action="store_true")
    args = parser.parse_args()

    generated = meta_read(args.database_url)
    if generated is None:
        raise SystemExit("No complete dataset: run `.venv/bin/python bench/generate.py` first.")
    slug = generated["stats"]["largest_organization"]
    keys = generated["keys"][slug]
    organization_id = keys["organization_id"]
    period_start = datetime.fromisoformat(generated["stats"]["period"]["start"])
    period_end = datetime.fromisoformat(generated["stats"]["period"]["end"])

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        **PRODUCTION_OVER_HTTP,
    }
    manage(env, "migrate", "--noinput", "-v0")
    # Our own plan for the bench organizations, so 1,000+ reads an hour are not refused
    # (rate limiting stays on: its Redis round trip is part of every request), and an
    # empty Redis db so no cached plan limit or key lookup from an earlier run is used.
    manage(
        env,
        "shell",
        "-c",
        "from django.core.cache import cache; cache.clear()\n"
        "from tokentracker.models import Organization, Plan\n"
        "fields = {f.name for f in Plan._meta.fields}\n"
        "limits = {k: 2**31 - 1 for k in ('daily_event_limit', 'hourly_request_limit') "
        "if k in fields}\n"
        "plan, _ = Plan.objects.update_or_create(slug='analytics-bench', "
        "defaults={'name': 'Analytics bench', **limits})\n"
        "Organization.objects.filter(slug__startswith='analytics-').update(plan=plan)",
    )

    whole = f"start_date={iso(period_start)}&end_date={iso(period_end)}"
    # Hourly series cover at most 14 days (usage.selectors.MAX_HOURLY_SPAN): the longest one.
    fortnight = f"start_date={iso(period_end - timedelta(days=14))}&end_date={iso(period_end)}"
    optimizer_paths = [
        "/api/metrics/summary",
        "/api/metrics/by-model",
        "/api/metrics/trend?granularity=day",
        "/api/metrics/trend?granularity=hour",
        "/api/metrics/summary?granularity=year",
        "/api/metrics/by-model?granularity=year",
        f"/api/metrics/summary?{whole}",
        f"/api/metrics/by-model?{whole}",
        f"/api/metrics/trend?granularity=day&{whole}",
        f"/api/metrics/trend?granularity=hour&{fortnight}",
    ]
    tokenwise_paths = ["/api/v1/public/metrics", "/api/v1/public/metrics?range=180d"]
    results: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    server = gunicorn_start(env, args.port, args.workers)
    try:
        wait_ready(args.port)
        for paths, key in ((optimizer_paths, keys["mtt_"]), (tokenwise_paths, keys["tw_api_"])):
            client = Client(args.port, {"Authorization": f"Bearer {key}"})
            for path in paths:
                result = measure(client, path, args.warmup, args.requests)
                print(json.dumps(result), file=sys.stderr, flush=True)
                results.append(result)
    finally:
        gunicorn_stop(server)

    export: dict[str, Any] | None = None
    if not args.skip_csv:
        window = csv_window(args.database_url, organization_id, args.csv_rows, period_end)
        path = (
            f"/api/logs?format=csv&start_date={iso(window['start'])}&end_date={iso(window['end'])}"
        )
        # One worker, so the process that served the export is known and its peak RSS is
        # the export's (plus the Django baseline, which is part of what a worker costs).
        server = gunicorn_start(env, args.port, 1)
        try:
            wait_ready(args.port)
            (pid,) = worker_pids(server.pid)
            headers = {"Authorization": f"Bearer {keys['mtt_']}"}
            small = (
                f"/api/logs?format=csv&start_date={iso(period_end - timedelta(hours=1))}"
                f"&end_date={iso(period_end)}"
            )
            # A small export first: imports and connection set-up are not the export's.
            Client(args.port, headers).get(small)
            export = csv_export(args.port, headers, path, pid)
            export["expected_rows"] = window["expected_rows"]
            export["window"] = {"start": iso(window["start"]), "end": iso(window["end"])}
            print(json.dumps(export), file=sys.stderr, flush=True)
        finally:
            gunicorn_stop(server)

    misses: list[str] = []
    for result in results:
        if result.get("status") != 200:
            reason = "endpoint missing (404)" if result.get("status") == 404 else "failed"
            misses.append(f"{result['path']}: {reason}: {result.get('error', '')[:120]}")
        elif result["p95_ms"] >= P95_TARGET_MS:
            misses.append(f"{result['path']}: p95 {result['p95_ms']} ms >= {P95_TARGET_MS} ms")
    if export is not None:
        if export["status"] != 200:
            misses.append(f"CSV export: HTTP {export['status']}")
        else:
            if export["rows"] != export["expected_rows"]:
                misses.append(
                    f"CSV export: {export['rows']:,} rows, {export['expected_rows']:,} expected"
                )
            if export["rows_per_second"] < CSV_ROWS_PER_SECOND_TARGET:
                misses.append(
                    f"CSV export: {export['rows_per_second']:,} rows/s < "
                    f"{CSV_ROWS_PER_SECOND_TARGET:,}"
                )
            if export["worker_peak_rss_mb"] >= CSV_PEAK_RSS_TARGET_MB:
                misses.append(
                    f"CSV export: worker peak RSS {export['worker_peak_rss_mb']} MB >= "
                    f"{CSV_PEAK_RSS_TARGET_MB} MB"
                )
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "dataset": {
            "events": generated["stats"]["events"],
            "organization": slug,
            "organization_events": generated["stats"]["events_per_org"][slug],
            "organization_rollup_rows": generated["stats"]["rollup_rows_per_org"][slug],
            "period": generated["stats"]["period"],
            # Default windows end now: old data makes them look emptier (and faster).
            "hours_since_period_end": round(
                (datetime.now(UTC) - period_end).total_seconds() / 3600, 1
            ),
        },
        "gunicorn_workers": args.workers,
        "requests_per_endpoint": args.requests,
        "endpoints": results,
        "csv_export": export,
        "targets_missed": misses,
    }
    print(json.dumps(summary, indent=2))
    if misses:
        print("targets missed:\n  " + "\n  ".join(misses), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
