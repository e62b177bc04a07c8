"""Ingest latency with Redis up, then with Redis down, in the same run.

    make bench-redis-down          # or: .venv/bin/python bench/redis_down.py --seconds 15

Starts its own redis-server on --redis-port (never the shared one), gunicorn on
PostgreSQL with REDIS_URL pointing at it, and posts small batches from --clients
keep-alive connections for --seconds. Then it stops that redis-server (`--outage stop`: the
port refuses connections) or freezes it (`--outage pause`, SIGSTOP: connections hang until
a timeout) and measures again. Every request must still answer 201. Prints p50/p95 of
both phases and their ratio (the target: Redis down within 2x of Redis up). No Celery
worker: a publish only has to reach the broker. Bounded: about 2 x --seconds plus ~15 s.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime

from ingest import (
    PRODUCTION_OVER_HTTP,
    ROOT,
    batch_body,
    bench_organization,
    client_loop,
    ensure_database,
    gunicorn_command,
    wait_ready,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tokentracker_bench_redis_down"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def redis_start(port: int, workdir: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", workdir),
            *("--save", "", "--appendonly", "no", "--loglevel", "warning"),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False
        )
        if probe.stdout.strip() == "PONG":
            return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit(f"redis-server on port {port} did not start")


def phase(args: argparse.Namespace, key: str, bodies: list[bytes]) -> dict:
    results: list = []
    errors: list = []
    stop_at = time.monotonic() + args.seconds
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
    latencies = sorted(elapsed for elapsed, _ in results)
    return {
        "requests": len(results),
        "errors": len(errors),
        "first_errors": errors[:3],
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1)
        if latencies
        else None,
        "latency_ms_max": round(latencies[-1] * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--port", type=int, default=16452)
    parser.add_argument("--redis-port", type=int, default=16451)
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--outage", choices=["stop", "pause"], default="stop")
    args = parser.parse_args()

    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/{args.redis_db}",
        **PRODUCTION_OVER_HTTP,
    }
    key = bench_organization(env)
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    redis = redis_start(args.redis_port, workdir)
    server = subprocess.Popen(
        gunicorn_command(args.port, args.workers, "error"),
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,  # the outage phase logs a warning per breaker trip
    )
    try:
        wait_ready(args.port)
        bodies = [batch_body(seed, args.batch) for seed in range(8)]
        warm_stop = time.monotonic() + args.warmup
        client_loop(args.port, key, bodies, warm_stop, [], [])
        redis_up = phase(args, key, bodies)
        if args.outage == "stop":
            redis.terminate()
            redis.wait(timeout=10)
        else:
            redis.send_signal(signal.SIGSTOP)
        redis_down = phase(args, key, bodies)
    finally:
        redis.send_signal(signal.SIGCONT)  # a paused Redis would keep gunicorn's workers stuck
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        if redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=10)

    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores ({cpu_model()}), Python "
        f"{platform.python_version()}",
        "outage": args.outage,
        "batch": args.batch,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "seconds_per_phase": args.seconds,
        "redis_up": redis_up,
        "redis_down": redis_down,
        "p95_down_over_up": round(redis_down["latency_ms_p95"] / redis_up["latency_ms_p95"], 2)
        if redis_up["latency_ms_p95"] and redis_down["latency_ms_p95"]
        else None,
    }
    print(json.dumps(summary, indent=2))
    if redis_up["errors"] or redis_down["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
