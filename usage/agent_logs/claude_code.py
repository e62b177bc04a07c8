"""Claude Code's session logs: `~/.claude/projects/<project>/<session id>.jsonl`.

One JSON object a line. Subagents (Task tool, agent teams) write their own files under
`<session id>/subagents/`, in the same format: walking the folder for `*.jsonl` finds them.
The lines that cost money are the assistant messages, one model call each:

    {"type": "assistant", "sessionId": "5f0c…", "cwd": "/home/dev/shop",
     "version": "2.0.14", "gitBranch": "main", "isSidechain": false,
     "uuid": "…", "parentUuid": "…", "requestId": "req_011C…",
     "timestamp": "2025-10-02T09:15:02.113Z",
     "message": {"id": "msg_01…", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                 "content": [{"type": "text", "text": "…"}], "stop_reason": "end_turn",
                 "usage": {"input_tokens": 4, "cache_creation_input_tokens": 1200,
                           "cache_read_input_tokens": 18000, "output_tokens": 350,
                           "cache_creation": {"ephemeral_5m_input_tokens": 1200,
                                              "ephemeral_1h_input_tokens": 0},
                           "service_tier": "standard"}}}

`message.usage` is the Anthropic API's own: `input_tokens` excludes the cache reads and
writes, which come on top (`cache_read_input_tokens`, `cache_creation_input_tokens`), so
they are sent as they are, under provider `anthropic`, and the ingest prices them by the
Anthropic rule. Thinking is inside `output_tokens`.

The other lines (`user`, `system`, `summary`, `file-history-snapshot`, ...) carry no usage
and are skipped, as are assistant lines of model `<synthetic>`: notices Claude Code writes
itself (an API error, an interruption), no model call.

Claude Code writes one line per content block of a message (thinking, text, each tool
call), every one with the message's `id` and `usage`; while a response streams, the early
lines can hold a partial `output_tokens` (often 1) and the last one the final count
(ccusage issues #866, #901; anthropics/claude-code #22686). So each message counts once,
from its line with the most output tokens (the later line on a tie), and its id,
`claude-code:<message.id>`, makes the same message in a resumed session's copy, or in a
second import, a duplicate. A message imported while its response was still being
written keeps the counts it had then.

Known limits: the 1-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`) are
priced at the catalog's one cache-write price (the 5-minute one; the split is kept in
`metadata.cache_creation`); the `costUSD` older versions wrote is Claude Code's own
estimate and is not used: the catalog prices every event the same way.
"""

from collections.abc import Iterator
from typing import Any

from .records import (
    USE_CASE,
    LogEvent,
    LogItem,
    Malformed,
    Record,
    client_event_id,
    event_or_malformed,
    project_of,
    whole_count,
)

PLATFORM = "claude-code"
PROVIDER = "anthropic"
SYNTHETIC_MODEL = "<synthetic>"
USAGE_FIELDS = {
    "input_tokens": "input_tokens",
    "cache_read_tokens": "cache_read_input_tokens",
    "cache_write_tokens": "cache_creation_input_tokens",
    "output_tokens": "output_tokens",
}
# EventInput's field -> the line's, for the reason of a refused line.
LOG_NAMES = {
    "occurred_at": "timestamp",
    "model": "message.model",
    "session_id": "sessionId",
    "id": "message.id",
    "project": "cwd",
    "metadata": "cwd, gitBranch or version",
    **{name: f"message.usage.{field}" for name, field in USAGE_FIELDS.items()},
}


def claude_code_events(records: Iterator[Record], *, developer_id: str | None) -> Iterator[LogItem]:
    """Each assistant message of the log once, in the order they began; malformed lines as
    they come."""
    messages: dict[str, LogEvent] = {}
    for line, record in records:
        if isinstance(record, Malformed):
            yield record
            continue
        if record.get("type") != "assistant":
            continue
        item = _message_event(line, record, developer_id)
        if item is None:
            continue
        if isinstance(item, Malformed):
            yield item
            continue
        assert item.event.id is not None
        kept = messages.get(item.event.id)
        if kept is None or item.event.output_tokens >= kept.event.output_tokens:
            messages[item.event.id] = item
    yield from messages.values()


def _message_event(line: int, record: dict[str, Any], developer_id: str | None) -> LogItem | None:
    message = record.get("message")
    if not isinstance(message, dict):
        return Malformed(line, "message: an assistant line without its message")
    model = message.get("model")
    if model == SYNTHETIC_MODEL:
        return None
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return Malformed(line, "message.usage: an assistant message without its usage")
    counts = {}
    for name, field in USAGE_FIELDS.items():
        value = usage.get(field)
        count = 0 if value is None else whole_count(value)
        if count is None:
            return Malformed(line, f"message.usage.{field}: not a whole number of tokens")
        counts[name] = count
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id.strip():
        return Malformed(line, "message.id: an assistant message without its id")
    if not isinstance(record.get("timestamp"), str):
        return Malformed(line, "timestamp: an assistant line without its time")
    metadata = {
        key: value
        for key, value in (
            ("cwd", record.get("cwd")),
            ("git_branch", record.get("gitBranch")),
            ("agent_version", record.get("version")),
            ("cache_creation", usage.get("cache_creation")),
        )
        if value not in (None, "", {})
    }
    if record.get("isSidechain") is True:
        metadata["sidechain"] = True
    return event_or_malformed(
        line,
        {
            "id": client_event_id(PLATFORM, message_id.strip()),
            "provider": PROVIDER,
            "model": model,
            **counts,
            "occurred_at": record.get("timestamp"),
            "session_id": record.get("sessionId"),
            "project": project_of(record.get("cwd")),
            "platform": PLATFORM,
            "use_case": USE_CASE,
            "developer_id": developer_id,
            "metadata": metadata or None,
        },
        LOG_NAMES,
    )
