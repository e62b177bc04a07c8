"""Ingest throughput through OTLP/HTTP (/v1/traces) beside /api/v1/events, same server.

    make bench-otlp                 # or: .venv/bin/python bench/otlp.py --seconds 15

The same one-machine production shape as bench/ingest.py (whose helpers it reuses):
gunicorn on 127.0.0.1, one Celery worker merging rollups, Redis, PostgreSQL. It measures,
one after the other, requests of --batch model calls:
- `events`: the JSON batch bench/ingest.py posts to /api/v1/events;
- `otlp`: the same calls as GenAI spans in one binary protobuf ExportTraceServiceRequest,
  as opentelemetry-exporter-otlp-proto-http posts it (resource and scope, span names,
  kinds, times, ids and the GenAI attributes of the official instrumentations);
- `otlp-gzip`: the same, gzip-compressed (the exporter's Compression.Gzip).
Spans get fresh trace and span ids for every request (a repeated id is a duplicate and
writes nothing). Prints calls/s, request latency percentiles and how long after the last
request the rollups had every event, per mode, as JSON. Only loopback traffic.

`--in-process` instead times each door's own work on one request (parse and validate;
decode and translate), without server or database.
"""

import argparse
import gzip
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
from collections.abc import Callable
from datetime import UTC, datetime

from ingest import (
    DEFAULT_DATABASE_URL,
    MODELS,
    PRODUCTION_OVER_HTTP,
    ROOT,
    batch_body,
    bench_organization,
    counts,
    ensure_database,
    gunicorn_command,
    manage,
    wait_ready,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

# The GenAI conventions' provider names for the bench's providers.
PROVIDER_NAMES = {"openai": "openai", "anthropic": "anthropic", "google": "gcp.gemini"}


def _attribute(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def spans_template(seed: int, size: int) -> ExportTraceServiceRequest:
    """`size` model-call spans with the token mix of bench/ingest.py's batches."""
    rng = random.Random(seed)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (
        ("service.name", "search"),
        ("service.version", "1.4.2"),
        ("telemetry.sdk.name", "opentelemetry"),
        ("telemetry.sdk.language", "python"),
        ("telemetry.sdk.version", "1.45.2"),
    ):
        resource_spans.resource.attributes.append(_attribute(key, value))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "opentelemetry.instrumentation.openai_v2"
    start = time.time_ns() - 3_600 * 10**9
    for _ in range(size):
        provider, model = rng.choice(MODELS)
        input_tokens = rng.randint(100, 20_000)
        output_tokens = rng.randint(10, 2_000)
        span = scope_spans.spans.add()
        span.name = f"chat {model}"
        span.kind = Span.SPAN_KIND_CLIENT
        span.start_time_unix_nano = start + rng.randint(0, 3_000) * 10**9
        span.end_time_unix_nano = span.start_time_unix_nano + rng.randint(100, 9_000) * 10**6
        span.status.code = 2 if rng.random() < 0.03 else 0
        for key, value in (
            ("gen_ai.operation.name", rng.choice(["chat", "text_completion", "embeddings"])),
            ("gen_ai.provider.name", PROVIDER_NAMES.get(provider, provider)),
            ("gen_ai.request.model", model),
            ("gen_ai.response.model", model),
            ("gen_ai.response.id", f"chatcmpl-{rng.getrandbits(64):x}"),
            ("gen_ai.usage.input_tokens", input_tokens),
            ("gen_ai.usage.output_tokens", output_tokens),
            ("gen_ai.usage.cache_read.input_tokens", rng.randint(0, input_tokens // 2)),
            ("gen_ai.usage.reasoning.output_tokens", rng.randint(0, output_tokens // 4)),
            ("session.id", f"s-{rng.randint(1, 50)}"),
            ("user.id", f"dev-{rng.randint(1, 20)}"),
        ):
            span.attributes.append(_attribute(key, value))
    return request


def otlp_bodies(template: ExportTraceServiceRequest, compress: bool) -> Callable[[], bytes]:
    """A maker of request bodies: the template with fresh ids, like a new batch of calls."""
    lock = threading.Lock()

    def make() -> bytes:
        with lock:  # one template, several client threads
            for span in template.resource_spans[0].scope_spans[0].spans:
                span.trace_id = os.urandom(16)
                span.span_id = os.urandom(8)
            body = template.SerializeToString()
        return gzip.compress(body, compresslevel=6) if compress else body

    return make


MODES = {
    "events": ("/api/v1/events", {"Content-Type": "application/json"}),
    "otlp": ("/v1/traces", {"Content-Type": "application/x-protobuf"}),
    "otlp-gzip": (
        "/v1/traces",
        {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    ),
}


def client_loop(
    port: int,
    key: str,
    mode: str,
    next_body: Callable[[], bytes],
    calls_per_request: int,
    stop_at: float,
    results: list,
    errors: list,
) -> None:
    path, headers = MODES[mode]
    headers = {**headers, "Authorization": f"Bearer {key}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < stop_at:
        body = next_body()
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        elapsed = time.perf_counter() - started
        # An OTLP full success is an empty ExportTraceServiceResponse; anything in it is a
        # refusal or a warning, and every span here is a valid model call.
        ok = response.status == 201 if mode == "events" else response.status == 200 and not payload
        if ok:
            results.append((elapsed, calls_per_request))
        else:
            errors.append(f"{mode} {response.status} {payload[:200]!r}")


def measure(args: argparse.Namespace, env: dict, key: str, mode: str) -> dict:
    if mode == "events":
        bodies = [batch_body(seed, args.batch) for seed in range(8)]
        cursor = iter(range(10**12))

        def next_body() -> bytes:
            return bodies[next(cursor) % len(bodies)]
    else:
        next_body = otlp_bodies(spans_template(7, args.batch), compress=mode == "otlp-gzip")
    rollup_events_before, events_before = counts(env)
    errors: list = []

    def run(seconds: float, results: list) -> float:
        stop_at = time.monotonic() + seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(args.port, key, mode, next_body, args.batch, stop_at, results, errors),
            )
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    run(args.warmup, [])
    results: list = []
    duration = run(args.seconds, results)
    finished = time.monotonic()
    while True:
        rollup_events, events_after = counts(env)
        if rollup_events - rollup_events_before == events_after - events_before:
            break
        if time.monotonic() - finished > 120:
            raise SystemExit("rollups did not catch up within 120 s")
        time.sleep(0.25)
    latencies = sorted(elapsed for elapsed, _ in results)
    return {
        "mode": mode,
        "requests": len(results),
        "errors": len(errors),
        "first_errors": errors[:3],
        "calls_per_second": round(sum(n for _, n in results) / duration),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1)
        if latencies
        else None,
        "rollups_complete_after_last_request_s": round(time.monotonic() - finished, 2),
    }


def in_process(batch: int, runs: int = 30) -> dict:
    """Median milliseconds of each door's own work on one request of `batch` calls, before
    the shared ingest service: parsing and validating (events), decoding and translating
    spans into the same validated events (OTLP). No server, no database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokentracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from tokentracker.api.otlp.bodies import PROTOBUF, body_decompress, traces_decode
    from tokentracker.api.otlp.conventions import spans_translate
    from usage.schemas import events_parse

    events_body = batch_body(1, batch)
    otlp_body = otlp_bodies(spans_template(7, batch), compress=False)()
    gzip_body = gzip.compress(otlp_body, compresslevel=6)
    steps = {
        "events: parse and validate": lambda: events_parse(events_body),
        "otlp: decode protobuf": lambda: traces_decode(otlp_body, PROTOBUF),
        "otlp: gunzip": lambda: body_decompress(gzip_body, "gzip"),
        "otlp: decode and translate spans into validated events": lambda: spans_translate(
            traces_decode(otlp_body, PROTOBUF)
        ),
    }
    timings = {}
    for name, step in steps.items():
        step()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            step()
            samples.append(time.perf_counter() - started)
        timings[name] = round(statistics.median(samples) * 1000, 2)
    return {
        "batch": batch,
        "median_ms": timings,
        "bytes": {
            "events_json": len(events_body),
            "otlp_protobuf": len(otlp_body),
            "otlp_protobuf_gzip": len(gzip_body),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--in-process", action="store_true", help="time each door's own work, no server"
    )
    args = parser.parse_args()
    if args.in_process:
        print(json.dumps(in_process(args.batch), indent=2))
        return

    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        **PRODUCTION_OVER_HTTP,
    }
    key = bench_organization(env)
    manage(env, "shell", "-c", "from usage.rollups import rollups_merge; rollups_merge()")
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "tokentracker", "worker"),
            *("--concurrency", "1", "--loglevel", "warning"),
            *("--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
    )
    server = subprocess.Popen(
        gunicorn_command(args.port, args.workers, "warning"), cwd=ROOT, env=env
    )
    try:
        wait_ready(args.port)
        runs = [measure(args, env, key, mode) for mode in args.modes.split(",")]
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=10)
        worker.wait(timeout=30)
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "batch": args.batch,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "seconds_per_mode": args.seconds,
        "runs": runs,
    }
    print(json.dumps(summary, indent=2))
    if any(run["errors"] for run in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
