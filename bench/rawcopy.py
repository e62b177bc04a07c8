"""The physical limit beside each ingest bench: raw COPY of stored rows into the same table.

bench/ingest.py measures HTTP ingest, then calls `copy_baseline` in the same run: the rows
just stored, COPYed again with fresh uuids under another organization (`bench-copy`, whose
rows are deleted afterwards), in batch-row transactions from several processes, with
nothing else running. Its rows/s is what `ratio` divides by.

Run alone, it weighs the staging-table design of issue 21 against that limit on the stored
bench rows (`make bench` first), each --mode in turn, --rounds times:

    .venv/bin/python bench/rawcopy.py [--modes raw staging staging-sql] [--rows 200000]

`raw` COPYs into the events table; `staging` COPYs the same rows into a temporary staging
table (no index, emptied at each commit) and moves them by `INSERT ... SELECT`, the least
PostgreSQL would do for ingest that leaves pricing and the folds to SQL; `staging-sql` is
bench/staging.py's prototype of that SQL.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import psutil
from cpu import CpuMeter, per_thousand, postgres_root, reaped_children_seconds, tree_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from usage.ids import uuid7_many

COPY_ORGANIZATION = "bench-copy"
DELTAS = ("usage_rollupdelta", "usage_dimensionrollupdelta", "usage_sessiondelta")


def copy_chunks(database_url: str, rows: int, batch: int) -> tuple[str, list[list[bytes]]]:
    """The COPY column list and `rows` stored bench rows as COPY text, in `batch`-row chunks,
    each with a fresh uuid and the copy organization's id (built before any timing)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        (copy_org,) = conn.execute(
            "SELECT id FROM tokentracker_organization WHERE slug = %s", [COPY_ORGANIZATION]
        ).fetchone()
        names = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'usage_usageevent' AND column_name <> 'id' "
                "ORDER BY ordinal_position"
            )
        ]
        columns = ", ".join(f'"{name}"' for name in names)
        uuid_at, org_at = names.index("uuid"), names.index("organization_id")
        source = b""
        with conn.cursor().copy(
            f"COPY (SELECT {columns} FROM usage_usageevent WHERE organization_id = "
            "(SELECT id FROM tokentracker_organization WHERE slug = 'bench') "
            f"ORDER BY id DESC LIMIT {int(rows)}) TO STDOUT"
        ) as copy:
            source = b"".join(bytes(data) for data in copy)
    lines = source.splitlines(keepends=True)
    if not lines:
        raise SystemExit("no stored bench rows to copy")
    # Time-ordered ids, as the product writes (usage.ids): random ones (uuid4) would land
    # all over the unique index of uuids, which on a table of millions costs COPY cache
    # misses the product never pays, and flatter every ratio.
    ids = uuid7_many(rows)
    out: list[bytes] = []
    for index in range(rows):
        fields = lines[index % len(lines)].split(b"\t")
        fields[uuid_at] = str(ids[index]).encode()
        fields[org_at] = str(copy_org).encode()
        out.append(b"\t".join(fields))
    return columns, [out[start : start + batch] for start in range(0, rows, batch)]


def copy_process(
    database_url: str, columns: str, chunks: list[list[bytes]], ready, go, mode: str
) -> None:
    import psycopg

    with psycopg.connect(database_url) as conn:
        if mode == "staging-sql":
            from staging import staged_writer  # bench/staging.py, which imports this module

            prepare, write = staged_writer(columns)
        else:
            prepare, write = _copier(columns, staged=mode == "staging")
        prepare(conn)
        ready.wait()
        go.wait()
        for chunk in chunks:
            with conn.transaction():
                write(conn, chunk)


def _copier(columns: str, *, staged: bool):
    """Raw COPY into the events table, or (`staged`) into a temporary staging table whose
    rows `INSERT ... SELECT` moves."""
    target = "staging" if staged else "usage_usageevent"

    def prepare(conn) -> None:
        if staged:
            conn.execute(
                "CREATE TEMPORARY TABLE staging ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM usage_usageevent WITH NO DATA"
            )
            conn.commit()

    def write(conn, chunk: list[bytes]) -> None:
        with conn.cursor().copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            copy.write(b"".join(chunk))
        if staged:
            conn.execute(f"INSERT INTO usage_usageevent ({columns}) SELECT {columns} FROM staging")

    return prepare, write


def copy_baseline(
    database_url: str, rows: int, batch: int, processes: int, mode: str = "raw"
) -> tuple[float, dict[str, float]]:
    """Raw COPY rows/s of the same rows into the same table (the physical limit), and the
    CPU seconds PostgreSQL and the COPY processes spent on it. `mode` "staging": each batch
    through a staging table and `INSERT ... SELECT` instead; "staging-sql": bench/staging.py's
    prototype of ingest in SQL."""
    import psycopg

    columns, chunks = copy_chunks(database_url, rows, batch)
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    go = context.Event()
    workers = [
        context.Process(
            target=copy_process,
            args=(database_url, columns, chunks[n::processes], ready, go, mode),
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    postgres = postgres_root()
    copiers = [psutil.Process(worker.pid) for worker in workers]
    meter = CpuMeter(
        {
            "postgres": lambda: tree_seconds(postgres),
            # Alive, their own times (their start-up is before the phase); once joined
            # (reaped), all of it counts in this process's children times instead.
            "copy processes": lambda: tree_seconds(*copiers) + reaped_children_seconds(),
        }
    )
    ready.wait()
    meter.start()
    started = time.monotonic()
    go.set()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    spent = meter.stop()
    if any(worker.exitcode for worker in workers):
        raise SystemExit("a COPY process failed")
    with psycopg.connect(database_url) as conn:
        # The events, and the deltas the staging-sql prototype wrote beside them.
        for table in ("usage_usageevent", *DELTAS):
            conn.execute(
                f"DELETE FROM {table} WHERE organization_id = "
                "(SELECT id FROM tokentracker_organization WHERE slug = %s)",
                [COPY_ORGANIZATION],
            )
    return rows / elapsed, spent


MODES = ("raw", "staging", "staging-sql")


def main() -> None:
    parser = argparse.ArgumentParser(description="Raw COPY against COPY through a staging table")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tokentracker_bench"
        ),
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=["raw", "staging"])
    args = parser.parse_args()
    runs = []
    for _ in range(args.rounds):
        for mode in args.modes:
            rate, spent = copy_baseline(
                args.database_url, args.rows, args.batch, args.processes, mode
            )
            runs.append(
                {
                    "mode": mode,
                    "rows_per_second": round(rate),
                    "cpu_ms_per_1000_rows": per_thousand(spent, args.rows),
                }
            )
    print(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
