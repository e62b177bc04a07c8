"""Generate the analytics bench dataset: N priced events over D days for K organizations.

    .venv/bin/python bench/generate.py [--events 10000000] [--orgs 20] [--days 180]
                                       [--database-url ...] [--workers 2] [--force]

Creates (or reuses) the PostgreSQL database `tokentracker_bench_analytics`, migrates it,
creates organizations `analytics-00` … (00 is the largest, about 30% of the events) with
an API key each, and writes events that look like production traffic: a dozen catalog
models across OpenAI, Anthropic, Google and Mistral, a few features (endpoints) per
organization each with its project, use case and platform, cache and reasoning tokens,
latency, about 2% errors, a weekly and a daily shape and growth over the period.

Every row is built by the ingest service's own row builder (`usage.services.events._event_rows`:
token normalisation per provider, pricing from the price book in effect at `occurred_at`),
so costs are what ingest would have stored. Rows are written with COPY (the ingest COPY
writer), one worker process per core, each day seeded on its own so the data does not
depend on the number of workers. Then the hourly rollups are built from the raw events
with one INSERT … SELECT … GROUP BY, and the explorer's dimension rollups (developer,
customer, the `region` tag every bench organization keeps) with one per dimension (both
checked against `rollups_rebuild` on one organization), the session summaries with their
rebuild's statement (checked against `session_summaries_rebuild`) and the tables are
vacuumed and analysed.

Deterministic: the same --seed, --events, --orgs, --days and --end give the same events
(the database ids and API keys differ). A second run with the same arguments finds the
completed dataset and stops; --force regenerates.
"""

import argparse
import bisect
import json
import math
import multiprocessing
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from common import ANALYTICS_DATABASE_URL, META_TABLE, django_setup, ensure_database, meta_read

# (provider, model, reasons): real catalog models, with whether they spend reasoning tokens.
MODELS: list[tuple[str, str, bool]] = [
    ("openai", "gpt-4o", False),
    ("openai", "gpt-4o-mini", False),
    ("openai", "gpt-4.1", False),
    ("openai", "gpt-4.1-mini", False),
    ("openai", "o4-mini", True),
    ("anthropic", "claude-sonnet-4-20250514", False),
    ("anthropic", "claude-3-5-haiku-latest", False),
    ("anthropic", "claude-opus-4-20250514", False),
    ("google", "gemini-2.5-pro", True),
    ("google", "gemini-2.5-flash", True),
    ("google", "gemini-2.0-flash", False),
    ("mistral", "mistral-large-latest", False),
    ("mistral", "mistral-small-latest", False),
]
# A self-hosted fine-tune no catalog knows: stored unpriced, as ingest stores it.
UNPRICED_MODEL = ("openai", "acme-support-ft-v2", False)

FEATURES = [
    # endpoint, use case, median prompt tokens, median output tokens
    ("chat-assistant", "chat", 2400, 380),
    ("support-reply", "chat", 3200, 260),
    ("search-rerank", "rag", 5200, 90),
    ("doc-qa", "rag", 9000, 420),
    ("summarize-ticket", "summarization", 4200, 220),
    ("code-review", "agent", 12000, 900),
    ("agent-planner", "agent", 7000, 1200),
    ("classify-intent", "classification", 600, 12),
    ("extract-invoice", "extraction", 3800, 340),
    ("email-draft", "generation", 1500, 450),
    ("translate", "translation", 1100, 1000),
    ("sql-copilot", "agent", 6000, 300),
]
PROJECTS = ["web-app", "mobile", "backoffice", "data-platform", "partner-api", "internal-tools"]
PLATFORMS = ["backend", "web", "batch-jobs", "ide-plugin", "slack-bot"]
REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"]
ERRORS = [
    (429, "Rate limit reached for requests"),
    (500, "The server had an error while processing your request"),
    (503, "The engine is currently overloaded, please try again later"),
    (400, "This model's maximum context length was exceeded"),
    (408, "Request timed out"),
]
# Monday .. Sunday: weekends carry well under half a weekday's traffic.
WEEKDAY_SHAPE = [1.0, 1.05, 1.05, 1.0, 0.92, 0.42, 0.36]
# EventInput fields the generated integrations never send, at their defaults.
NOT_REPORTED = {
    "id": None,
    "total_cost": None,
    "currency": "USD",
    "cache_hit": None,
    # No datacenter: the estimator runs on the defaults.
    "datacenter_country": None,
    # Every generated event carries its token counts (EventInput's default).
    "tokens_reported": True,
}
LARGEST_SHARE = 0.30
COPY_ROWS = 25_000


@dataclass(frozen=True)
class Feature:
    endpoint: str
    use_case: str
    project: str
    platform: str
    models: tuple[tuple[str, str, bool], ...]
    model_cum_weights: tuple[float, ...]
    prompt_median: int
    output_median: int
    cache_share: float
    error_rate: float
    reports_outcome: bool


@dataclass(frozen=True)
class OrgProfile:
    index: int
    organization_id: int
    api_key_id: int
    features: tuple[Feature, ...]
    feature_cum_weights: tuple[float, ...]
    developers: int


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to generate one day, identical in every process."""

    seed: int
    start: datetime
    hour_counts: tuple[int, ...]
    orgs: tuple[OrgProfile, ...]
    org_cum_weights: tuple[float, ...]


_plan: Plan | None = None  # set before the worker pool forks


def org_weights(orgs: int) -> list[float]:
    """The largest organization gets 30%, the rest share 70% on a Zipf curve."""
    if orgs == 1:
        return [1.0]
    zipf = [1 / rank for rank in range(1, orgs)]
    total = sum(zipf)
    return [LARGEST_SHARE, *((1 - LARGEST_SHARE) * weight / total for weight in zipf)]


def hour_counts(events: int, start: datetime, hours: int) -> list[int]:
    """Events per hour: weekly and daily shape, 60% growth over the period, summing exactly."""
    weights = []
    for index in range(hours):
        moment = start + timedelta(hours=index)
        # Business hours across Europe and the Americas peak around 15:00 UTC.
        daily = 0.18 + math.exp(-(((moment.hour - 15) / 4.5) ** 2) / 2)
        growth = 0.8 + 0.6 * index / max(hours - 1, 1)
        weights.append(WEEKDAY_SHAPE[moment.weekday()] * daily * growth)
    total = sum(weights)
    exact = [events * weight / total for weight in weights]
    counts = [int(value) for value in exact]
    # Largest remainders get the leftover events, so the total is exactly --events.
    by_remainder = sorted(range(hours), key=lambda i: exact[i] - counts[i], reverse=True)
    for index in by_remainder[: events - sum(counts)]:
        counts[index] += 1
    return counts


def cumulative(weights: list[float]) -> tuple[float, ...]:
    running, out = 0.0, []
    for weight in weights:
        running += weight
        out.append(running)
    return tuple(out)


def org_profile(
    seed: int, index: int, organization_id: int, api_key_id: int, largest: bool
) -> OrgProfile:
    rng = random.Random(f"{seed}:org:{index}")
    models = rng.sample(MODELS, 9 if largest else rng.randint(4, 7))
    projects = rng.sample(PROJECTS, rng.randint(2, 4))
    features = []
    for rank, (endpoint, use_case, prompt, output) in enumerate(
        rng.sample(FEATURES, 8 if largest else rng.randint(4, 7))
    ):
        chosen = rng.sample(models, rng.randint(1, 3))
        weights = [1 / (position + 1) for position in range(len(chosen))]
        if index % 3 == 1 and rank == 0:
            # Some teams run a fine-tune no price catalog knows beside the catalog models.
            chosen.append(UNPRICED_MODEL)
            weights.append(0.05)
        features.append(
            Feature(
                endpoint=endpoint,
                use_case=use_case,
                project=rng.choice(projects),
                platform=rng.choice(PLATFORMS),
                models=tuple(chosen),
                model_cum_weights=cumulative(weights),
                prompt_median=int(prompt * rng.uniform(0.7, 1.4)),
                output_median=int(output * rng.uniform(0.7, 1.4)),
                cache_share=rng.choice([0.0, 0.3, 0.5, 0.7]),
                error_rate=rng.uniform(0.005, 0.04),
                # One integration in ten sends neither a success flag nor a status code.
                reports_outcome=rng.random() > 0.1,
            )
        )
    return OrgProfile(
        index=index,
        organization_id=organization_id,
        api_key_id=api_key_id,
        features=tuple(features),
        feature_cum_weights=cumulative([1 / (rank + 1) for rank in range(len(features))]),
        developers=rng.randint(5, 60),
    )


def _uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A version-7 UUID for `moment`, as ingest would have made at that time, but seeded."""
    value = int(moment.timestamp() * 1000) << 80 | rng.getrandbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return uuid.UUID(int=value)


def event_fields(rng: random.Random, profile: OrgProfile, occurred_at: datetime) -> dict[str, Any]:
    """One event as an integration would report it (the ingest API's field names)."""
    feature = profile.features[
        bisect.bisect(profile.feature_cum_weights, rng.random() * profile.feature_cum_weights[-1])
    ]
    provider, model, reasons = feature.models[
        bisect.bisect(feature.model_cum_weights, rng.random() * feature.model_cum_weights[-1])
    ]
    prompt = min(180_000, max(20, int(rng.lognormvariate(math.log(feature.prompt_median), 0.8))))
    output = min(16_000, max(1, int(rng.lognormvariate(math.log(feature.output_median), 0.7))))
    cache_read = cache_write = 0
    if feature.cache_share and rng.random() < feature.cache_share:
        cache_read = int(prompt * rng.uniform(0.3, 0.9))
    if provider == "anthropic" and not cache_read and rng.random() < 0.08:
        cache_write = int(prompt * rng.uniform(0.2, 0.6))
    # Anthropic's input_tokens leaves cached tokens out; OpenAI and Google count them in.
    input_tokens = prompt - cache_read - cache_write if provider == "anthropic" else prompt
    reasoning = int(output * rng.uniform(0.3, 0.8)) if reasons else 0
    success: bool | None = True
    status_code: int | None = 200
    status = error_message = ""
    latency = int(250 + output * rng.uniform(8, 25) + rng.expovariate(1 / 300))
    if rng.random() < feature.error_rate:
        status_code, error_message = rng.choice(ERRORS)
        success, status = False, "error"
        output, reasoning = 0, 0
        latency = 30_000 if status_code == 408 else int(rng.uniform(80, 900))
    if not feature.reports_outcome:
        success, status_code, status = None, None, ""
    return {
        "provider": provider,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "latency_ms": latency,
        "success": success,
        "status": status,
        "status_code": status_code,
        "error_message": error_message,
        "quality_score": round(rng.uniform(0.4, 1.0), 3) if rng.random() < 0.1 else None,
        "platform": feature.platform,
        "use_case": feature.use_case,
        "endpoint": feature.endpoint,
        "project": feature.project,
        "session_id": f"sess-{rng.randrange(20_000)}",
        "developer_id": f"dev-{rng.randrange(profile.developers)}",
        "tenant_id": f"customer-{rng.randrange(300)}" if rng.random() < 0.3 else None,
        "metadata": {"region": rng.choice(REGIONS), "sdk": "python"}
        if rng.random() < 0.2
        else None,
        "occurred_at": occurred_at,
    }


def _worker_init() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # Bulk load: skip the per-row foreign-key triggers (organization and key ids are
        # known to exist) and do not wait for the WAL flush of each chunk.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")


def load_day(day: int) -> tuple[int, int, float]:
    """Generate and COPY one day of events; returns (day, rows, seconds)."""
    from django.db import transaction

    from carbon.carbon_book import carbon_book_get
    from usage.price_book import price_book_get
    from usage.services.events import _event_rows
    from usage.writers import usage_events_insert

    assert _plan is not None
    started = time.perf_counter()
    plan = _plan
    rng = random.Random(f"{plan.seed}:day:{day}")
    book = price_book_get()
    carbon = carbon_book_get()
    per_org: dict[int, list[Any]] = {}
    for hour in range(day * 24, day * 24 + 24):
        hour_start = plan.start + timedelta(hours=hour)
        for _ in range(plan.hour_counts[hour] if hour < len(plan.hour_counts) else 0):
            org = bisect.bisect(plan.org_cum_weights, rng.random() * plan.org_cum_weights[-1])
            occurred_at = hour_start + timedelta(microseconds=rng.randrange(3_600_000_000))
            # The fields of a validated EventInput, without pydantic's model_construct:
            # it took a third of the generation time, and the row builder only reads them.
            per_org.setdefault(org, []).append(
                SimpleNamespace(**NOT_REPORTED, **event_fields(rng, plan.orgs[org], occurred_at))
            )
    rows: list[dict[str, Any]] = []
    for org in sorted(per_org):
        profile = plan.orgs[org]
        built, errors = _event_rows(
            book,
            carbon,
            profile.organization_id,
            profile.api_key_id,
            per_org[org],
            received_at=plan.start + timedelta(days=day + 2),
        )
        assert not errors, errors  # generated events are valid by construction
        for row in built:
            row["uuid"] = _uuid7_at(row["occurred_at"], rng)
            row["received_at"] = row["occurred_at"] + timedelta(
                milliseconds=(row["latency_ms"] or 0) + rng.randrange(50, 2_000)
            )
        rows.extend(built)
    # Events arrive in time order, every organization interleaved, as ingest writes them.
    rows.sort(key=lambda row: row["occurred_at"])
    with transaction.atomic():
        for offset in range(0, len(rows), COPY_ROWS):
            usage_events_insert(rows[offset : offset + COPY_ROWS])
    return day, len(rows), time.perf_counter() - started


def _plain_indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes no constraint owns.

    Constraint indexes stay: other tables' foreign keys reference the event uuid.
    """
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        [table],
    )
    return cursor.fetchall()


ROLLUP_SQL = """
INSERT INTO usage_hourlyrollup (
    organization_id, hour, provider, model, endpoint, platform, use_case, project, status,
    outcome, livemode, events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, uncached_input_tokens, total_tokens, cost, priced_events,
    unpriced_events, latency_ms_sum, latency_count, success_count, quality_sum, quality_count,
    energy_wh, co2e_grams)
SELECT organization_id, date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    provider, model, endpoint, platform, use_case, project, status, outcome, livemode,
    COUNT(id), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),
    SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(uncached_input_tokens),
    SUM(total_tokens), COALESCE(SUM(total_cost), 0),
    COUNT(id) FILTER (WHERE total_cost IS NOT NULL),
    COUNT(id) FILTER (WHERE total_cost IS NULL),
    COALESCE(SUM(latency_ms), 0), COUNT(latency_ms),
    COUNT(id) FILTER (WHERE outcome = 'success'),
    COALESCE(SUM(quality_score), 0.0), COUNT(quality_score),
    COALESCE(SUM(energy_wh), 0), COALESCE(SUM(co2e_grams), 0)
FROM usage_usageevent
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
ORDER BY 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11
"""
# The daily tier, summed from the hourly rows exactly as usage.rollups keeps it.
DAILY_ROLLUP_SQL = """
INSERT INTO usage_dailyrollup (
    organization_id, hour, provider, model, endpoint, platform, use_case, project, status,
    outcome, livemode, events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, uncached_input_tokens, total_tokens, cost, priced_events,
    unpriced_events, latency_ms_sum, latency_count, success_count, quality_sum, quality_count,
    energy_wh, co2e_grams)
SELECT organization_id, date_trunc('day', hour, 'UTC'),
    provider, model, endpoint, platform, use_case, project, status, outcome, livemode,
    SUM(events), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),
    SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(uncached_input_tokens),
    SUM(total_tokens), SUM(cost), SUM(priced_events), SUM(unpriced_events),
    SUM(latency_ms_sum), SUM(latency_count), SUM(success_count), SUM(quality_sum),
    SUM(quality_count), SUM(energy_wh), SUM(co2e_grams)
FROM usage_hourlyrollup
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
ORDER BY 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11
"""
ROLLUP_COMPARE_SQL = (
    "SELECT hour, provider, model, endpoint, platform, use_case, project, status, outcome, "
    "livemode, events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
    "reasoning_tokens, uncached_input_tokens, total_tokens, cost, priced_events, "
    "unpriced_events, latency_ms_sum, latency_count, success_count, quality_sum, quality_count, "
    "energy_wh, co2e_grams "
    "FROM usage_hourlyrollup WHERE organization_id = %s "
    "ORDER BY hour, provider, model, endpoint, platform, use_case, project, status, outcome, "
    "livemode"
)
# The explorer's dimension rollups (usage.dimensions): every bench organization keeps the
# developer, customer and one tag key (`region`, in a fifth of the events' metadata).
BENCH_TAG_KEYS = ["region"]
DIMENSION_VALUES = {
    "developer": "developer_id",
    "customer": "tenant_id",
    # As usage.dimensions.value_expression: a JSON string, cut to 200 characters, else "".
    "tag:region": "left(CASE WHEN jsonb_typeof(metadata -> 'region') = 'string' "
    "THEN metadata ->> 'region' ELSE '' END, 200)",
}
_DIMENSION_COUNTERS = (
    "events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
    "reasoning_tokens, uncached_input_tokens, total_tokens, cost, priced_events, "
    "unpriced_events, latency_ms_sum, latency_count, success_count, quality_sum, "
    "quality_count, energy_wh, co2e_grams, error_count"
)
# Per organization the 50 values with the most events (ties by value), as a rebuild admits.
DIMENSION_ADMIT_SQL = """
INSERT INTO usage_dimensionvalue (organization_id, dimension, value, admitted_at)
SELECT organization_id, %(dimension)s, raw, now() FROM (
    SELECT organization_id, raw,
        row_number() OVER (PARTITION BY organization_id ORDER BY COUNT(*) DESC, raw) AS rank
    FROM (SELECT organization_id, {value} AS raw FROM usage_usageevent) valued
    WHERE raw <> ''
    GROUP BY organization_id, raw
) ranked
WHERE rank <= %(max_values)s
"""
DIMENSION_ROLLUP_SQL = f"""
INSERT INTO usage_dimensionhourlyrollup (
    organization_id, hour, livemode, dimension, value, provider, model, {_DIMENSION_COUNTERS})
SELECT e.organization_id, date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    livemode, %(dimension)s,
    CASE WHEN raw = '' OR v.value IS NOT NULL THEN '=' || raw ELSE '*' END,
    provider, model,
    COUNT(e.id), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),
    SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(uncached_input_tokens),
    SUM(total_tokens), COALESCE(SUM(total_cost), 0),
    COUNT(e.id) FILTER (WHERE total_cost IS NOT NULL),
    COUNT(e.id) FILTER (WHERE total_cost IS NULL),
    COALESCE(SUM(latency_ms), 0), COUNT(latency_ms),
    COUNT(e.id) FILTER (WHERE outcome = 'success'),
    COALESCE(SUM(quality_score), 0.0), COUNT(quality_score),
    COALESCE(SUM(energy_wh) FILTER (WHERE co2e_grams IS NOT NULL), 0),
    COALESCE(SUM(co2e_grams), 0),
    COUNT(e.id) FILTER (WHERE outcome = 'error')
FROM (SELECT *, {{value}} AS raw FROM usage_usageevent) e
LEFT JOIN usage_dimensionvalue v
    ON v.organization_id = e.organization_id AND v.dimension = %(dimension)s AND v.value = raw
GROUP BY 1, 2, 3, 5, 6, 7
ORDER BY 2, 1, 3, 5, 6, 7
"""
DIMENSION_DAILY_SQL = f"""
INSERT INTO usage_dimensiondailyrollup (
    organization_id, hour, livemode, dimension, value, provider, model, {_DIMENSION_COUNTERS})
SELECT organization_id, date_trunc('day', hour, 'UTC'), livemode, dimension, value, provider,
    model, {", ".join(f"SUM({c})" for c in _DIMENSION_COUNTERS.split(", "))}
FROM usage_dimensionhourlyrollup
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 2, 1, 3, 4, 5, 6, 7
"""
DIMENSION_COMPARE_SQL = (
    f"SELECT hour, livemode, dimension, value, provider, model, {_DIMENSION_COUNTERS} "
    "FROM usage_dimensionhourlyrollup WHERE organization_id = %s "
    "ORDER BY hour, livemode, dimension, value, provider, model"
)


VACUUM_ROLLUPS = (
    "VACUUM (ANALYZE) usage_hourlyrollup, usage_dailyrollup, usage_dimensionhourlyrollup, "
    "usage_dimensiondailyrollup, usage_sessionsummary"
)


def dimension_rollups_build(cursor: Any) -> int:
    """Build every organization's dimension rollups in SQL, as `rollups_rebuild` would."""
    from usage.dimensions import MAX_VALUES

    cursor.execute(
        "TRUNCATE usage_dimensionhourlyrollup, usage_dimensiondailyrollup, "
        "usage_dimensionrollupdelta, usage_dimensionvalue"
    )
    written = 0
    for dimension, value in DIMENSION_VALUES.items():
        params = {"dimension": dimension, "max_values": MAX_VALUES}
        cursor.execute(DIMENSION_ADMIT_SQL.format(value=value), params)
        cursor.execute(DIMENSION_ROLLUP_SQL.format(value=value), params)
        written += cursor.rowcount
    cursor.execute(DIMENSION_DAILY_SQL)
    return written


def _same_rows(ours: list[tuple], theirs: list[tuple], float_column: int) -> bool:
    return (
        len(ours) == len(theirs)
        and all(
            a[:float_column] == b[:float_column]
            and math.isclose(a[float_column], b[float_column], rel_tol=1e-9)  # order varies
            and a[float_column + 1 :] == b[float_column + 1 :]
            for a, b in zip(ours, theirs, strict=True)
        )
    )


def rollups_build_and_check(cursor: Any, check_organization_id: int) -> int:
    """Build every rollup with one GROUP BY, then prove it equals `rollups_rebuild` for one
    organization. The Python rebuild takes minutes at 10M events; this takes a minute.

    Rows are written hour by hour, every organization interleaved, because that is the
    physical order `rollups_merge` leaves in production (an hour's rows are created as its
    first deltas arrive). Grouped by organization instead, one organization's rows would sit
    on a few contiguous pages and long-window reads would look faster than they will be.
    """
    from usage.rollup_rebuild import rollups_rebuild

    cursor.execute("TRUNCATE usage_hourlyrollup, usage_dailyrollup, usage_rollupdelta")
    cursor.execute(ROLLUP_SQL)
    written = cursor.rowcount
    cursor.execute(DAILY_ROLLUP_SQL)
    dimension_rollups_build(cursor)
    cursor.execute(ROLLUP_COMPARE_SQL, [check_organization_id])
    ours = cursor.fetchall()
    cursor.execute(DIMENSION_COMPARE_SQL, [check_organization_id])
    ours_dimensions = cursor.fetchall()
    # Both families: the main rollups and the dimension rollups.
    rollups_rebuild(organization_id=check_organization_id)
    cursor.execute(ROLLUP_COMPARE_SQL, [check_organization_id])
    theirs = cursor.fetchall()
    cursor.execute(DIMENSION_COMPARE_SQL, [check_organization_id])
    theirs_dimensions = cursor.fetchall()
    quality = ROLLUP_COMPARE_SQL.split("FROM")[0].split(", ").index("quality_sum")
    if not _same_rows(ours, theirs, quality):
        raise SystemExit(
            f"rollups built by SQL differ from rollups_rebuild for organization "
            f"{check_organization_id} ({len(ours)} vs {len(theirs)} rows)"
        )
    quality = DIMENSION_COMPARE_SQL.split("FROM")[0].split(", ").index("quality_sum")
    if not ours_dimensions or not _same_rows(ours_dimensions, theirs_dimensions, quality):
        raise SystemExit(
            f"dimension rollups built by SQL differ from rollups_rebuild for organization "
            f"{check_organization_id} ({len(ours_dimensions)} vs {len(theirs_dimensions)} rows)"
        )
    return written


SESSION_COMPARE_SQL = (
    "SELECT livemode, session_id, developer_id, developer_seen_at, first_at, last_at, events, "
    "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, "
    "uncached_input_tokens, total_tokens, cost, unpriced_events, co2e_grams, errors "
    "FROM usage_sessionsummary WHERE organization_id = %s ORDER BY livemode, session_id"
)


def sessions_build_and_check(cursor: Any, check_organization_id: int) -> int:
    """Build every session summary with the rebuild's own INSERT … SELECT, organization by
    organization, then prove one organization's equal `session_summaries_rebuild`'s."""
    from usage.sessions.summaries import rebuild_sql, session_summaries_rebuild

    cursor.execute("TRUNCATE usage_sessionsummary, usage_sessiondelta")
    cursor.execute("SELECT id FROM tokentracker_organization ORDER BY id")
    for (organization_id,) in cursor.fetchall():
        cursor.execute(rebuild_sql(horizon=False), [organization_id])
    cursor.execute(SESSION_COMPARE_SQL, [check_organization_id])
    ours = cursor.fetchall()
    session_summaries_rebuild(organization_id=check_organization_id)
    cursor.execute(SESSION_COMPARE_SQL, [check_organization_id])
    if cursor.fetchall() != ours:
        raise SystemExit(
            "session summaries built by SQL differ from session_summaries_rebuild for "
            f"organization {check_organization_id}"
        )
    cursor.execute("SELECT COUNT(*) FROM usage_sessionsummary")
    return cursor.fetchone()[0]


def rollups_only(database_url: str, done: dict[str, Any]) -> None:
    """Rebuild the rollups of an existing dataset (after a rollup schema or code change)."""
    django_setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    from tokentracker.models import Organization

    call_command("migrate", "--noinput", verbosity=0)
    # A dataset generated before the dimension rollups: its organizations get the tag key.
    Organization.objects.filter(slug__startswith="analytics-").update(tag_keys=BENCH_TAG_KEYS)
    stats = done["stats"]
    smallest = done["keys"][max(done["keys"])]["organization_id"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        stats["rollup_rows"] = rollups_build_and_check(cursor, smallest)
        stats["session_summaries"] = sessions_build_and_check(cursor, smallest)
        stats["timings_s"]["rollups_s"] = round(time.perf_counter() - started, 1)
        cursor.execute(VACUUM_ROLLUPS)
        cursor.execute(
            "SELECT o.slug, COUNT(r.id) FROM tokentracker_organization o "
            "LEFT JOIN usage_hourlyrollup r ON r.organization_id = o.id "
            "WHERE o.slug LIKE 'analytics-%%' GROUP BY o.slug ORDER BY o.slug"
        )
        stats["rollup_rows_per_org"] = dict(cursor.fetchall())
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('usage_hourlyrollup'))")
        stats["rollup_table_size"] = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {META_TABLE} SET stats = %s", [json.dumps(stats)])
    print(json.dumps(stats, indent=2))


def main() -> None:
    global _plan
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--end",
        help="UTC end of the period, ISO 8601 (default: the start of the current hour); "
        "fix it to reproduce a dataset exactly",
    )
    parser.add_argument("--database-url", default=ANALYTICS_DATABASE_URL)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--force", action="store_true", help="regenerate even if complete")
    parser.add_argument(
        "--rollups-only",
        action="store_true",
        help="keep the events of a complete dataset; rebuild its rollups and vacuum",
    )
    args = parser.parse_args()

    params: dict[str, Any] = {
        "events": args.events,
        "orgs": args.orgs,
        "days": args.days,
        "seed": args.seed,
    }
    ensure_database(args.database_url)
    done = meta_read(args.database_url)
    if args.rollups_only:
        if done is None:
            raise SystemExit("--rollups-only needs a complete dataset")
        rollups_only(args.database_url, done)
        return
    wanted_end = datetime.fromisoformat(args.end).astimezone(UTC) if args.end else None
    if (
        done
        and not args.force
        and all(done["params"].get(k) == v for k, v in params.items())
        and (wanted_end is None or datetime.fromisoformat(done["params"]["end"]) == wanted_end)
    ):
        print(json.dumps({"skipped": "already generated", **done["stats"]}, indent=2))
        return

    end = wanted_end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    params["end"] = end.isoformat()

    django_setup(args.database_url)
    from django.core.management import call_command
    from django.db import connection, connections

    from tokentracker import services
    from tokentracker.models import ApiKeyScope, Organization

    timings: dict[str, float] = {}
    phase = time.perf_counter()
    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id int PRIMARY KEY DEFAULT 1, "
            "params jsonb, keys jsonb, stats jsonb, pending_indexes text, completed_at timestamptz)"
        )
        cursor.execute(f"SELECT pending_indexes FROM {META_TABLE}")
        leftover = cursor.fetchone()
        cursor.execute(f"DELETE FROM {META_TABLE}")
        # TRUNCATE, not the ORM's cascade: deleting 10M events row by row takes an hour.
        cursor.execute(
            "TRUNCATE usage_usageevent, usage_hourlyrollup, usage_dailyrollup, usage_rollupdelta, "
            "usage_dimensionhourlyrollup, usage_dimensiondailyrollup, usage_dimensionrollupdelta, "
            "usage_dimensionvalue, usage_ingestreceipt CASCADE"
        )
        # An interrupted run dropped the event indexes: put them back (the table is empty).
        for name, statement in json.loads(leftover[0]) if leftover and leftover[0] else []:
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(statement)
    Organization.objects.filter(slug__startswith="analytics-").delete()

    weights = org_weights(args.orgs)
    profiles, raw_keys = [], {}
    for index in range(args.orgs):
        organization, _ = services.organization_ensure(
            slug=f"analytics-{index:02d}", name=f"Analytics bench {index:02d}"
        )
        organization.tag_keys = BENCH_TAG_KEYS
        organization.save(update_fields=["tag_keys"])
        key = services.api_key_create(
            organization=organization, name="bench", prefix="mtt_", scope=ApiKeyScope.READ
        )
        raw_keys[organization.slug] = {"organization_id": organization.id, "mtt_": key.raw_key}
        if index == 0:
            # Tokenwise clients send tw_api_* keys; give the measured organization one too.
            tokenwise = services.api_key_create(
                organization=organization, name="bench-tw", prefix="tw_api_", scope=ApiKeyScope.READ
            )
            raw_keys[organization.slug]["tw_api_"] = tokenwise.raw_key
        profiles.append(
            org_profile(args.seed, index, organization.id, key.api_key.id, largest=index == 0)
        )
    counts = hour_counts(args.events, start, args.days * 24)
    _plan = Plan(
        seed=args.seed,
        start=start,
        hour_counts=tuple(counts),
        orgs=tuple(profiles),
        org_cum_weights=cumulative(weights),
    )
    timings["setup_s"] = time.perf_counter() - phase

    table = "usage_usageevent"
    with connection.cursor() as cursor:
        indexes = _plain_indexes(cursor, table)
        # Building indexes once after the load is several times cheaper than keeping them
        # current through 10M inserts; insert-triggered autovacuum would compete for CPU.
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        cursor.execute(
            f"INSERT INTO {META_TABLE} (pending_indexes) VALUES (%s)",
            [json.dumps(indexes)],
        )
    connections.close_all()  # children must open their own connections

    phase = time.perf_counter()
    written = 0
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=_worker_init) as pool:
        for done_days, (_, rows, _seconds) in enumerate(
            pool.imap_unordered(load_day, range(args.days)), start=1
        ):
            written += rows
            elapsed = time.perf_counter() - phase
            if done_days % 10 == 0 or done_days == args.days:
                print(
                    f"{done_days}/{args.days} days, {written:,} events, "
                    f"{written / elapsed:,.0f} events/s",
                    file=sys.stderr,
                    flush=True,
                )
    timings["load_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _, statement in indexes:
            cursor.execute(statement)
        cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
    timings["indexes_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    smallest = profiles[-1].organization_id
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        rollup_rows = rollups_build_and_check(cursor, smallest)
        session_summaries = sessions_build_and_check(cursor, smallest)
    timings["rollups_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with connection.cursor() as cursor:
        # Sets the visibility map (index-only scans) and gives the planner real statistics.
        cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(VACUUM_ROLLUPS)
    timings["vacuum_s"] = time.perf_counter() - phase

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.slug, COUNT(e.id) FROM tokentracker_organization o "
            "LEFT JOIN usage_usageevent e ON e.organization_id = o.id "
            "WHERE o.slug LIKE 'analytics-%%' GROUP BY o.slug ORDER BY o.slug"
        )
        events_per_org = dict(cursor.fetchall())
        cursor.execute(
            "SELECT o.slug, COUNT(r.id) FROM tokentracker_organization o "
            "LEFT JOIN usage_hourlyrollup r ON r.organization_id = o.id "
            "WHERE o.slug LIKE 'analytics-%%' GROUP BY o.slug ORDER BY o.slug"
        )
        rollups_per_org = dict(cursor.fetchall())
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('usage_usageevent')), "
            "pg_size_pretty(pg_total_relation_size('usage_hourlyrollup'))"
        )
        event_size, rollup_size = cursor.fetchone()
        stats = {
            "events": written,
            "events_per_second_load": round(written / timings["load_s"]),
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "largest_organization": "analytics-00",
            "events_per_org": events_per_org,
            "rollup_rows": rollup_rows,
            "session_summaries": session_summaries,
            "rollup_rows_per_org": rollups_per_org,
            "event_table_size": event_size,
            "rollup_table_size": rollup_size,
            "timings_s": {name: round(value, 1) for name, value in timings.items()},
            "workers": args.workers,
            "largest_features": [
                {"endpoint": f.endpoint, "models": [m[1] for m in f.models]}
                for f in profiles[0].features
            ],
        }
        cursor.execute(
            f"UPDATE {META_TABLE} SET params = %s, keys = %s, stats = %s, "
            "pending_indexes = NULL, completed_at = now()",
            [json.dumps(params), json.dumps(raw_keys), json.dumps(stats, default=str)],
        )
    print(json.dumps(stats, indent=2, default=str))


if __name__ == "__main__":
    main()
