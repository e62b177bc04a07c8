"""OpenAI Codex CLI's session logs: `~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`.

One JSON object a line, each `{"timestamp", "type", "payload"}` (the recorder of
openai/codex, `codex-rs/protocol`; ccusage's `apps/codex` reads the same). The records
that matter here:

    {"type": "session_meta", "payload": {"id": "0199a213-…", "cwd": "/home/dev/shop",
      "originator": "codex_cli_rs", "cli_version": "0.46.0", "model_provider": "openai", …}}
    {"type": "turn_context", "payload": {"cwd": "/home/dev/shop", "model": "gpt-5-codex",
      "effort": "medium", "approval_policy": "on-request", …}}
    {"type": "event_msg", "timestamp": "2025-10-02T09:15:02.113Z",
     "payload": {"type": "token_count", "info": {
        "total_token_usage": {"input_tokens": 24000, "cached_input_tokens": 18000,
                              "output_tokens": 1600, "reasoning_output_tokens": 1024,
                              "total_tokens": 25600},
        "last_token_usage":  {"input_tokens": 12000, "cached_input_tokens": 9000,
                              "output_tokens": 800, "reasoning_output_tokens": 512,
                              "total_tokens": 12800},
        "model_context_window": 272000}, "rate_limits": {…}}}

(`response_item` lines, the conversation itself, and `compacted` lines are skipped.)

A `token_count` with `info` reports one model call: `last_token_usage` is that call,
`total_token_usage` the session's sum so far. Older logs wrote the sum alone: the call is
then the difference from the previous sum. A `token_count` with `info: null` only carries
rate limits and is skipped. The counts are in OpenAI's convention (Codex's own
`TokenUsage::non_cached_input` is `input_tokens - cached_input_tokens`, and its
`blended_total` adds `output_tokens` alone): cached tokens (and, in newer logs,
`cache_write_input_tokens`) are inside `input_tokens`, reasoning is inside `output_tokens`.
They are sent as they are and the ingest prices them by the OpenAI rule.

The model is the latest `turn_context`'s (or `info.model` where a version wrote one); a
call before any is malformed rather than guessed (ccusage notes builds of September 2025
that wrote none). The provider is `session_meta.model_provider`, `openai` when absent.

Each call's id is `codex:<session id>:<timestamp>:<session total so far>`: the same call
in a second import, or copied into a resumed session's file, is a duplicate, and Codex's
repeated `token_count` for one call (same session total) counts once. A call whose log
has no session total (a `last_token_usage` alone) is known by its line instead. A file
without `session_meta` is known by the session id in its name, else by its name.
"""

import re
from collections.abc import Iterator
from typing import Any

from .records import (
    USE_CASE,
    LogItem,
    Malformed,
    Record,
    client_event_id,
    event_or_malformed,
    project_of,
    whole_count,
)

ID_PREFIX = "codex"
PLATFORM = "codex-cli"
DEFAULT_PROVIDER = "openai"
COUNT_FIELDS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
)
LOG_NAMES = {
    "occurred_at": "timestamp",
    "model": "turn_context.model",
    "provider": "session_meta.model_provider",
    "session_id": "session_meta.id",
    "id": "session_meta.id",
    "input_tokens": "input_tokens",
    "cache_read_tokens": "cached_input_tokens",
    "cache_write_tokens": "cache_write_input_tokens",
    "output_tokens": "output_tokens",
    "reasoning_tokens": "reasoning_output_tokens",
    "project": "cwd",
    "metadata": "cwd or cli_version",
}
_SESSION_ID_IN_NAME = re.compile(
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$", re.IGNORECASE
)

Counts = dict[str, int]


def _counts(value: Any, path: str) -> Counts | str:
    """A usage object's counts (absent ones 0), or the reason it is not one."""
    if not isinstance(value, dict):
        return f"{path}: not an object of token counts"
    counts = {}
    for field in COUNT_FIELDS:
        raw = value.get(field)
        count = 0 if raw is None else whole_count(raw)
        if count is None:
            return f"{path}.{field}: not a whole number of tokens"
        counts[field] = count
    return counts


def _position(total: Counts) -> int:
    # Legacy sums without total_tokens: input + output, as Codex itself adds them.
    return total["total_tokens"] or total["input_tokens"] + total["output_tokens"]


def _difference(total: Counts, previous: Counts | None) -> Counts:
    if previous is None:
        return total
    return {field: max(total[field] - previous[field], 0) for field in total}


class _Session:
    """What the lines before a token count said: whose session, which model, where."""

    def __init__(self, source: str) -> None:
        named = _SESSION_ID_IN_NAME.search(source)
        self.id = named.group(1).lower() if named else source
        self.provider = DEFAULT_PROVIDER
        self.model: str | None = None
        self.cwd: Any = None
        self.cli_version: Any = None
        self.previous_total: Counts | None = None

    def read(self, kind: Any, payload: dict[str, Any]) -> None:
        if kind == "session_meta":
            if isinstance(payload.get("id"), str) and payload["id"].strip():
                self.id = payload["id"].strip()
            if isinstance(payload.get("model_provider"), str) and payload["model_provider"]:
                self.provider = payload["model_provider"]
            self.cwd = payload.get("cwd") or self.cwd
            self.cli_version = payload.get("cli_version") or self.cli_version
        elif kind == "turn_context":
            if isinstance(payload.get("model"), str) and payload["model"].strip():
                self.model = payload["model"]
            self.cwd = payload.get("cwd") or self.cwd


def codex_events(
    records: Iterator[Record], *, source: str, developer_id: str | None
) -> Iterator[LogItem]:
    """Each model call of the log, in order; malformed lines as they come."""
    session = _Session(source)
    for line, record in records:
        if isinstance(record, Malformed):
            yield record
            continue
        kind, payload = record.get("type"), record.get("payload")
        if not isinstance(payload, dict):
            continue
        if kind != "event_msg":
            session.read(kind, payload)
            continue
        if payload.get("type") != "token_count" or payload.get("info") is None:
            continue
        item = _call(line, record, payload["info"], session, developer_id)
        if item is not None:
            yield item


def _call(
    line: int, record: dict[str, Any], info: Any, session: _Session, developer_id: str | None
) -> LogItem | None:
    if not isinstance(info, dict):
        return Malformed(line, "payload.info: not an object")
    total = last = None
    if info.get("total_token_usage") is not None:
        total = _counts(info["total_token_usage"], "payload.info.total_token_usage")
        if isinstance(total, str):
            return Malformed(line, total)
    if info.get("last_token_usage") is not None:
        last = _counts(info["last_token_usage"], "payload.info.last_token_usage")
        if isinstance(last, str):
            return Malformed(line, last)
    if total is None and last is None:
        return Malformed(line, "payload.info: a token count without its usage")
    previous = session.previous_total
    if total is not None:
        if previous is not None and _position(total) == _position(previous):
            return None  # the same call's count again
        if previous is not None and _position(total) < _position(previous):
            previous = None  # the sum started again (a new process on the same file)
        session.previous_total = total
    if last is not None:
        call = last
    else:
        assert total is not None
        call = _difference(total, previous)
    if not any(call[field] for field in COUNT_FIELDS):
        return None
    if isinstance(info.get("model"), str) and info["model"].strip():
        session.model = info["model"]
    if session.model is None:
        return Malformed(line, "turn_context.model: a token count before any model was named")
    timestamp = record.get("timestamp")
    if not isinstance(timestamp, str):
        return Malformed(line, "timestamp: a token count without its time")
    position = str(_position(total)) if total is not None else f"line-{line}"
    metadata = {
        key: value
        for key, value in (("cwd", session.cwd), ("agent_version", session.cli_version))
        if value not in (None, "")
    }
    return event_or_malformed(
        line,
        {
            "id": client_event_id(ID_PREFIX, session.id, timestamp, position),
            "provider": session.provider,
            "model": session.model,
            "input_tokens": call["input_tokens"],
            "cache_read_tokens": call["cached_input_tokens"],
            "cache_write_tokens": call["cache_write_input_tokens"],
            "output_tokens": call["output_tokens"],
            "reasoning_tokens": call["reasoning_output_tokens"],
            "occurred_at": timestamp,
            "session_id": session.id,
            "project": project_of(session.cwd),
            "platform": PLATFORM,
            "use_case": USE_CASE,
            "developer_id": developer_id,
            "metadata": metadata or None,
        },
        LOG_NAMES,
    )
