"""Writes of the usage app, one module per domain noun: `events` (the one ingest service),
`prices` (the catalog), `observations` (Tokenwise's payloads), `evals` (judge scores)."""
