"""In-process latency of carbon-llm's `POST /api/v1/estimate` (target: p50 < 2 ms, p99 < 10 ms).

    make bench-estimate
    # same as: .venv/bin/python bench/estimate.py [--requests 5000]

Runs the view through Django's test client (URL routing, middleware, CORS, parsing, the
estimate, JSON rendering) in this process, against a fresh SQLite database migrated under
bench/out/, so the number is the application's own time with no network or server in it.
The bodies rotate through known closed and open-weight models, dated snapshots, an unknown
model and the hardware path, as a public estimate API sees them. Prints JSON; exits 1 if a
target is missed.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

BODIES = [
    {"model": "gpt-4o", "prompt_tokens": 100, "completion_tokens": 50},
    {"model": "gpt-4o-mini-2024-07-18", "prompt_tokens": 2000, "completion_tokens": 400},
    {"model": "claude-sonnet-4-5", "prompt_tokens": 800, "completion_tokens": 1200},
    {"model": "mistral-small-latest", "prompt_tokens": 300, "completion_tokens": 90},
    {"model": "our-fine-tune-v3", "prompt_tokens": 10, "completion_tokens": 10},
    {
        "model": "gpt-4o",
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "method": "hardware",
        "duration_ms": 120000,
        "datacenter_country": "FI",
    },
]
TARGETS_MS = {"p50": 2.0, "p99": 10.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    database = OUT / "estimate.sqlite3"
    database.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokentracker.settings")
    # Production settings, reached over plain http by the test client: no HTTPS redirect.
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    client = Client()
    payloads = [json.dumps(body) for body in BODIES]
    for payload in payloads * 20:  # warm: profiles memoised, book loaded, code paths hot
        client.post("/api/v1/estimate", payload, content_type="application/json")

    timings = []
    for index in range(args.requests):
        payload = payloads[index % len(payloads)]
        started = time.perf_counter()
        response = client.post("/api/v1/estimate", payload, content_type="application/json")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            print(f"unexpected {response.status_code}: {response.content[:200]!r}")
            return 1
    timings.sort()
    quantiles = statistics.quantiles(timings, n=100)
    result = {
        "requests": args.requests,
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(quantiles[94], 3),
        "p99_ms": round(quantiles[98], 3),
        "max_ms": round(timings[-1], 3),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))
    missed = result["p50_ms"] >= TARGETS_MS["p50"] or result["p99_ms"] >= TARGETS_MS["p99"]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
