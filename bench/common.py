"""Helpers shared by the analytics generator and harness (bench/generate.py, analytics.py).

The ingest bench's own helpers (creating the database, running manage.py, waiting for
gunicorn) are reused from bench/ingest.py rather than copied.
"""

import json
import os
import sys
from typing import Any

from ingest import PRODUCTION_OVER_HTTP, ROOT, ensure_database, manage, wait_ready

__all__ = [
    "ANALYTICS_DATABASE_URL",
    "META_TABLE",
    "ROOT",
    "django_setup",
    "ensure_database",
    "manage",
    "meta_read",
    "wait_ready",
]

ANALYTICS_DATABASE_URL = os.environ.get(
    "BENCH_ANALYTICS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/tokentracker_bench_analytics",
)
# A bench-only table in the bench database (not a Django model): what was generated, with
# which arguments, and the raw API keys, so the harness needs no file that can drift from
# the data it describes.
META_TABLE = "bench_generation"


def django_setup(database_url: str) -> None:
    """Configure Django in this process against the bench database, without Redis.

    No REDIS_URL: the generator must not share a cache (API-key lookups, price-book stamp)
    with the gunicorn the harness starts later.
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokentracker.settings")
    for name, value in PRODUCTION_OVER_HTTP.items():
        os.environ.setdefault(name, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def meta_read(database_url: str) -> dict[str, Any] | None:
    """The generation record of a completed run, or None (no table, or an unfinished run)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute(
            f"SELECT params, keys, stats FROM {META_TABLE} WHERE completed_at IS NOT NULL"
        ).fetchone()
    if row is None:
        return None
    params, keys, stats = (value if isinstance(value, dict) else json.loads(value) for value in row)
    return {"params": params, "keys": keys, "stats": stats}
