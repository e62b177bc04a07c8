"""Reads of the usage app, one module per domain noun: `usage` (totals and series from the
rollups), `dashboard` (the pages' figures), `logs` (event listings), `requests` (one event
with its payloads and evals), `sessions` (a developer's day)."""
