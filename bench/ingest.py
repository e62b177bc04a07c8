"""Ingest throughput: batches of 500 events through HTTP, gunicorn, PostgreSQL.

    make bench                      # or: .venv/bin/python bench/ingest.py --seconds 30

Creates (or reuses) the database named by --database-url, migrates it, makes an
organization and a key with an unlimited plan, starts gunicorn on 127.0.0.1 and one Celery
worker on the local Redis (the one-machine production shape), and posts pre-built
500-event bodies from --clients keep-alive connections for --seconds. Prints events/s,
request latency percentiles, and how long after the last request the hourly rollups had
every event. Only loopback traffic; stops by itself.

Then, in the same run and on the same table, the physical limit: the rows the HTTP phase
just stored, COPYed again (fresh uuids, another organization) in --batch-row transactions
from --copy-processes processes, with nothing else running. `ratio` is HTTP events/s over
COPY rows/s: the share of the disk's speed ingest reaches, a figure the shared machine's
noise moves far less than either number alone. The copied rows are deleted afterwards.

`--path validate-copy` or `--path parse-copy` serves bench/floor.py instead of the product:
the same door, authentication and COPY with the ingest service's work left out (validation
and COPY only, or JSON parsing and COPY only), to measure the ratio no ingest on this stack
can beat. Their runs check the table, not the rollups (they write none).
"""

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
from cpu import (
    CpuMeter,
    MemorySampler,
    own_seconds,
    per_thousand,
    postgres_root,
    processes_named,
    tree_seconds,
)
from rawcopy import COPY_ORGANIZATION, copy_baseline

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tokentracker_bench"

MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4-20250514"),
    ("google", "gemini-2.5-pro"),
    ("mistral", "mistral-large-latest"),
    ("openai", "in-house-finetune"),  # unpriced
]


def batch_body(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    events = []
    for _ in range(size):
        provider, model = rng.choice(MODELS)
        input_tokens = rng.randint(100, 20_000)
        output_tokens = rng.randint(10, 2_000)
        events.append(
            {
                "provider": provider,
                "model": model,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_tokens": rng.randint(0, input_tokens // 2),
                "reasoning_tokens": rng.randint(0, output_tokens // 4),
                "latency_ms": rng.randint(100, 9_000),
                "success": rng.random() > 0.03,
                "platform": "openai-api",
                "use_case": rng.choice(["chat", "rag", "agent"]),
                "project": rng.choice(["search", "support", "billing"]),
                "session_id": f"s-{rng.randint(1, 50)}",
                "metadata": {"team": rng.choice(["core", "growth"])},
            }
        )
    return json.dumps({"events": events}).encode()


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def rollup_events(env: dict[str, str]) -> int:
    """Events counted in the bench org's hourly rollups: a sum over a few hundred rows, cheap
    enough to poll, where counting the stored events grows with the table."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        (total,) = conn.execute(
            "SELECT COALESCE(SUM(r.events), 0) FROM usage_hourlyrollup r "
            "JOIN tokentracker_organization o ON o.id = r.organization_id WHERE o.slug = 'bench'"
        ).fetchone()
    return int(total)


def rollups_lag(env: dict[str, str], before: int, created: int, finished: float) -> float:
    """Seconds from `finished` until the rollups count the `created` events every 201 said it
    stored; fails the run when they count more (an event twice) or never catch up."""
    while (counted := rollup_events(env) - before) < created:
        if time.monotonic() - finished > 120:
            raise SystemExit("rollups did not catch up within 120 s")
        time.sleep(0.1)
    lag = time.monotonic() - finished
    if counted != created:
        raise SystemExit(f"{created} events answered as stored, {counted} in the rollups")
    return lag


def counts(env: dict[str, str]) -> tuple[int, int]:
    """(events counted in the bench org's rollups, events stored) as the database has them."""
    import psycopg

    url = env["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        rollup_events, events = conn.execute(
            "SELECT (SELECT COALESCE(SUM(r.events), 0) FROM usage_hourlyrollup r "
            "JOIN tokentracker_organization o ON o.id = r.organization_id WHERE o.slug = 'bench'),"
            " (SELECT COUNT(*) FROM usage_usageevent e "
            "JOIN tokentracker_organization o ON o.id = e.organization_id WHERE o.slug = 'bench')"
        ).fetchone()
    return int(rollup_events), int(events)


# The production settings (DEBUG off) reached over plain http on loopback: without turning
# the HTTPS redirect off, every bench request would be answered 301.
PRODUCTION_OVER_HTTP = {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false"}


def bench_organization(env: dict[str, str]) -> str:
    """Migrate, make the `bench` organization's key, lift its daily quota; returns the key."""
    manage(env, "migrate", "--noinput", "-v0")
    key = (
        manage(env, "create_api_key", "--org", "bench", "--name", "bench").strip().splitlines()[-1]
    )
    manage(
        env,
        "shell",
        "-c",
        "from tokentracker.models import Organization as O; p = O.objects.get(slug='bench').plan;"
        " p.daily_event_limit = 10**15; p.save()",
    )
    return key


def gunicorn_command(
    port: int,
    workers: int,
    log_level: str,
    threads: int = 1,
    worker_class: str = "gthread",
    app: str = "tokentracker.wsgi:application",
) -> list[str]:
    """gunicorn as the benches run it: threaded workers (one thread unless told), kept-alive
    clients; `worker_class` "sync" is gunicorn's default, which closes every connection."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        # bench/ for bench/floor.py's application
        "--pythonpath",
        str(Path(__file__).resolve().parent),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--timeout",
        "60",
        "--log-level",
        log_level,
    ]


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/live")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


def client_loop(
    port: int, key: str, bodies: list[bytes], stop_at: float, results: list, errors: list
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    index = 0
    while time.monotonic() < stop_at:
        body = bodies[index % len(bodies)]
        index += 1
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/events", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        elapsed = time.perf_counter() - started
        if response.status == 201:
            results.append((elapsed, json.loads(payload)["created"]))
        else:
            errors.append(f"{response.status} {payload[:200]!r}")


FLOOR_PATHS = ("validate-copy", "parse-copy", "stage-sql")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--copy-rows", type=int, default=200_000)
    parser.add_argument("--copy-processes", type=int, default=2)
    parser.add_argument(
        "--path",
        default="full",
        choices=["full", *FLOOR_PATHS],
        help="full: the product; the others: bench/floor.py's floor under it",
    )
    args = parser.parse_args()

    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        **PRODUCTION_OVER_HTTP,
        "FLOOR_PATH": args.path,
    }
    key = bench_organization(env)
    manage(env, "create_api_key", "--org", COPY_ORGANIZATION, "--name", "bench-copy")
    # Deltas left pending by an earlier run would make the rollups look ahead of the events.
    manage(env, "shell", "-c", "from usage.rollups import rollups_merge; rollups_merge()")
    rollup_events_before, events_before = counts(env)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tokentracker",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    server = subprocess.Popen(
        gunicorn_command(
            args.port,
            args.workers,
            "warning",
            args.threads,
            args.worker_class,
            **({"app": "floor:application"} if args.path in FLOOR_PATHS else {}),
        ),
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(args.port)
        bodies = [batch_body(seed, args.batch) for seed in range(8)]
        results: list = []
        errors: list = []
        # Warm up (imports, price book, connections), then measure.
        warm_stop = time.monotonic() + args.warmup
        warm_results: list = []
        warmers = [
            threading.Thread(
                target=client_loop, args=(args.port, key, bodies, warm_stop, warm_results, errors)
            )
            for _ in range(args.clients)
        ]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()
        gunicorn, celery, postgres = (
            psutil.Process(server.pid),
            psutil.Process(worker.pid),
            postgres_root(),
        )
        meter = CpuMeter(
            {
                "gunicorn": lambda: tree_seconds(gunicorn),
                "celery": lambda: tree_seconds(celery),
                "postgres": lambda: tree_seconds(postgres),
                "redis": lambda: tree_seconds(*processes_named("redis-server")),
                "bench clients": own_seconds,
            }
        )
        memory = MemorySampler(
            {"gunicorn": gunicorn, "celery": celery}, every=max(args.seconds / 10, 1)
        )
        memory.start()
        meter.start()
        started = time.monotonic()
        stop_at = started + args.seconds
        threads = [
            threading.Thread(
                target=client_loop, args=(args.port, key, bodies, stop_at, results, errors)
            )
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        duration = time.monotonic() - started
        finished = time.monotonic()
        http_cpu = meter.stop()
        memory_samples = memory.stop()
        created = sum(n for _, n in warm_results) + sum(n for _, n in results)
        rollup_lag = None
        if args.path == "full":  # the floor writes no rollups: its runs check the table alone
            rollup_lag = rollups_lag(env, rollup_events_before, created, finished)
        # And the table holds them, none lost and none twice.
        stored = counts(env)[1] - events_before
        if stored != created:
            raise SystemExit(f"{created} events answered as stored, {stored} in the table")
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=10)
        worker.wait(timeout=30)

    latencies = sorted(elapsed for elapsed, _ in results)
    events = sum(created for _, created in results)
    copy_rate, copy_cpu = copy_baseline(
        args.database_url, args.copy_rows, args.batch, args.copy_processes
    )
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "batch": args.batch,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "gunicorn_threads": args.threads,
        "gunicorn_worker_class": args.worker_class,
        "seconds": round(duration, 1),
        "requests": len(results),
        "errors": len(errors),
        "events_per_second": round(events / duration),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1)
        if latencies
        else None,
        "path": args.path,
        "rollups_complete_after_last_request_s": round(rollup_lag, 2)
        if rollup_lag is not None
        else None,
        "copy_rows_per_second": round(copy_rate),
        "copy_processes": args.copy_processes,
        "ratio": round(events / duration / copy_rate, 3),
        # Where the CPU went: seconds per part over each phase, and milliseconds per 1,000
        # events (HTTP) or rows (COPY). "machine busy" is every process on the machine.
        "http_cpu_seconds": http_cpu,
        # Resident memory (MiB) of gunicorn (master and workers) and the Celery worker,
        # sampled ten times over the measured phase.
        "memory_mb": memory_samples,
        "http_cpu_ms_per_1000_events": per_thousand(http_cpu, events),
        "copy_cpu_seconds": copy_cpu,
        "copy_cpu_ms_per_1000_rows": per_thousand(copy_cpu, args.copy_rows),
    }
    print(json.dumps(summary, indent=2))
    if errors:
        print("first errors:", errors[:3], file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
