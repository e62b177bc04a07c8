"""What PostgreSQL would spend on ingest that leaves pricing, carbon and the folds to SQL.

    .venv/bin/python bench/rawcopy.py --modes raw staging-sql   # after `make bench`

Issue 21's staging-table design, weighed before anyone builds it. Per 500-row transaction,
from 2 processes, on the stored bench rows, alternating with raw COPY of the same rows:
COPY only the fields a client sends (15 columns) into a temporary staging table, then one
statement that writes every event with its derived columns (uncached and total tokens,
five part costs and their total from a price table, the outcome, energy and CO2e from a
carbon factor table) and, from the rows it wrote, the batch's deltas of the main rollups,
of the developer and customer dimensions and of the sessions (GROUP BY each).

A prototype of the SQL's shape and volume, not of the product's rules: one flat rate per
token kind and model, one energy figure per output token bounded by latency, no price
tiers, currency conversion, provider token conventions or bounded dimension values. The
rows and deltas it writes belong to the `bench-copy` organization, deleted afterwards.
bench/floor.py's `stage-sql` path runs the same statement behind the events door.
"""

import psycopg
from rawcopy import COPY_ORGANIZATION

# What a client sends, as bench/ingest.py's bodies carry it (the rest is derived or fixed).
SENT = (
    "uuid",
    "occurred_at",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "reasoning_tokens",
    "latency_ms",
    "success",
    "platform",
    "use_case",
    "project",
    "session_id",
    "metadata",
)

SETUP = """
SET TIME ZONE 'UTC';
CREATE TEMPORARY TABLE sent ON COMMIT DELETE ROWS AS
    SELECT {sent} FROM usage_usageevent WITH NO DATA;
CREATE TEMPORARY TABLE prices (
    provider text, model text, id bigint, input numeric, cache_read numeric,
    output numeric, reasoning numeric, PRIMARY KEY (provider, model));
INSERT INTO prices VALUES
    ('openai', 'gpt-4o', 1, 0.0000025, 0.00000125, 0.00001, 0.00001),
    ('openai', 'gpt-4o-mini', 2, 0.00000015, 0.000000075, 0.0000006, 0.0000006),
    ('anthropic', 'claude-sonnet-4-20250514', 3, 0.000003, 0.0000003, 0.000015, 0.000015),
    ('google', 'gemini-2.5-pro', 4, 0.00000125, 0.00000031, 0.00001, 0.00001),
    ('mistral', 'mistral-large-latest', 5, 0.000002, 0.000002, 0.000006, 0.000006);
CREATE TEMPORARY TABLE factors (
    provider text, model text, wh_per_token numeric, wh_per_ms numeric, grams_per_wh numeric,
    PRIMARY KEY (provider, model));
INSERT INTO factors
    SELECT provider, model, 0.0012, 0.0004, 0.39 FROM prices
    UNION ALL SELECT 'openai', 'in-house-finetune', 0.0012, 0.0004, 0.39;
"""

COUNTERS = """
    count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
    sum(cache_write_tokens), sum(reasoning_tokens), sum(uncached_input_tokens),
    sum(total_tokens), coalesce(sum(total_cost), 0)"""

WRITE = """
WITH parts AS (
    SELECT s.*, p.id AS price_id,
        greatest(s.input_tokens - s.cache_read_tokens, 0) AS uncached,
        round(greatest(s.input_tokens - s.cache_read_tokens, 0) * p.input, 12) AS input_cost,
        round(s.cache_read_tokens * p.cache_read, 12) AS cache_read_cost,
        round((s.output_tokens - s.reasoning_tokens) * p.output, 12) AS output_cost,
        round(s.reasoning_tokens * p.reasoning, 12) AS reasoning_cost,
        least(s.output_tokens * f.wh_per_token, s.latency_ms * f.wh_per_ms) AS energy,
        f.grams_per_wh
    FROM sent s
    LEFT JOIN prices p USING (provider, model)
    LEFT JOIN factors f USING (provider, model)
), events AS (
    INSERT INTO usage_usageevent (
        uuid, client_event_id, occurred_at, received_at, provider, model, input_tokens,
        output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
        uncached_input_tokens, total_tokens, input_cost, cache_read_cost, cache_write_cost,
        output_cost, reasoning_cost, total_cost, currency, cost_source, latency_ms, success,
        quality_score, status, status_code, error_message, cache_hit, platform, use_case,
        endpoint, project, session_id, developer_id, tenant_id, metadata, api_key_id,
        model_price_id, organization_id, outcome, carbon_methodology, co2e_grams, energy_wh,
        tokens_reported, catalog_cost_usd, reported_amount, reported_currency, livemode)
    SELECT uuid, NULL, occurred_at, now(), provider, model, input_tokens, output_tokens,
        cache_read_tokens, 0, reasoning_tokens, uncached,
        input_tokens + output_tokens, input_cost, cache_read_cost, 0, output_cost,
        reasoning_cost, input_cost + cache_read_cost + output_cost + reasoning_cost, 'USD',
        CASE WHEN price_id IS NULL THEN '' ELSE 'catalog' END, latency_ms, success, NULL, '',
        NULL, '', cache_read_tokens > 0, platform, use_case, '', project, session_id, '', '',
        metadata, NULL, price_id, {org},
        CASE WHEN success IS NULL THEN 'unknown' WHEN success THEN 'success' ELSE 'error' END,
        'prototype', round(energy * grams_per_wh, 9), round(energy, 9), true,
        input_cost + cache_read_cost + output_cost + reasoning_cost, NULL, '', true
    FROM parts
    RETURNING *
), main AS (
    INSERT INTO usage_rollupdelta (
        organization_id, hour, provider, model, endpoint, platform, use_case, project, status,
        outcome, livemode, events, input_tokens, output_tokens, cache_read_tokens,
        cache_write_tokens, reasoning_tokens, uncached_input_tokens, total_tokens, cost,
        priced_events, unpriced_events, latency_ms_sum, latency_count, success_count,
        quality_sum, quality_count, co2e_grams, energy_wh)
    SELECT organization_id, date_trunc('hour', occurred_at), provider, model, endpoint,
        platform, use_case, project, status, outcome, livemode, {counters},
        count(total_cost), count(*) - count(total_cost), coalesce(sum(latency_ms), 0),
        count(latency_ms), count(*) FILTER (WHERE outcome = 'success'),
        coalesce(sum(quality_score), 0), count(quality_score), coalesce(sum(co2e_grams), 0),
        coalesce(sum(energy_wh), 0)
    FROM events GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
), dimensions AS (
    INSERT INTO usage_dimensionrollupdelta (
        organization_id, hour, livemode, dimension, value, provider, model, events,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
        uncached_input_tokens, total_tokens, cost, priced_events, unpriced_events,
        latency_ms_sum, latency_count, success_count, quality_sum, quality_count, energy_wh,
        co2e_grams, error_count)
    SELECT organization_id, date_trunc('hour', occurred_at), livemode, d.dimension, d.value,
        provider, model, {counters},
        count(total_cost), count(*) - count(total_cost), coalesce(sum(latency_ms), 0),
        count(latency_ms), count(*) FILTER (WHERE outcome = 'success'),
        coalesce(sum(quality_score), 0), count(quality_score), coalesce(sum(energy_wh), 0),
        coalesce(sum(co2e_grams), 0), count(*) FILTER (WHERE outcome = 'error')
    FROM events CROSS JOIN LATERAL (VALUES ('developer', developer_id), ('customer', tenant_id))
        AS d (dimension, value)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
)
INSERT INTO usage_sessiondelta (
    organization_id, livemode, session_id, developer_id, developer_seen_at, first_at, last_at,
    events, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, uncached_input_tokens, total_tokens, cost, unpriced_events, co2e_grams,
    errors)
SELECT organization_id, livemode, session_id, developer_id, max(occurred_at),
    min(occurred_at), max(occurred_at), {counters}, count(*) - count(total_cost),
    coalesce(sum(co2e_grams), 0), count(*) FILTER (WHERE outcome = 'error')
FROM events WHERE session_id <> '' GROUP BY 1, 2, 3, 4
"""


def staged_writer(columns: str):
    """The per-connection set-up and the per-batch work of the prototype, for copy_baseline."""
    names = [name.strip('"') for name in columns.split(", ")]
    picks = [names.index(name) for name in SENT]
    sent = ", ".join(SENT)
    statement: list[str] = []

    def prepare(conn: psycopg.Connection) -> None:
        conn.execute(SETUP.format(sent=sent))
        (org,) = conn.execute(
            "SELECT id FROM tokentracker_organization WHERE slug = %s", [COPY_ORGANIZATION]
        ).fetchone()
        statement.append(WRITE.format(org=int(org), counters=COUNTERS))
        conn.commit()

    def write(conn: psycopg.Connection, chunk: list[bytes]) -> None:
        lines = []
        for line in chunk:
            fields = line.rstrip(b"\n").split(b"\t")
            lines.append(b"\t".join(fields[at] for at in picks) + b"\n")
        with conn.cursor().copy(f"COPY sent ({sent}) FROM STDIN") as copy:
            copy.write(b"".join(lines))
        conn.execute(statement[0])

    return prepare, write
