"""Coding agents' local session logs, read as usage events for the one ingest service.

One module per format, each with the line format it reads in its docstring:
`claude_code` (Claude Code, `~/.claude/projects/**/*.jsonl`) and `codex` (OpenAI Codex CLI,
`~/.codex/sessions/**/*.jsonl`). A reader turns a file's JSON lines into `LogEvent`s (an
`EventInput` with the line it came from, and a stable `id` so that a re-import adds
nothing) and `Malformed` lines (the line and why). No line, whatever it holds, stops one.
"""

from collections.abc import Iterator

from .claude_code import claude_code_events
from .codex import codex_events
from .records import (
    LogEvent,
    LogFormat,
    LogItem,
    Malformed,
    Record,
    log_format_sniff,
    log_records,
)

__all__ = [
    "LogEvent",
    "LogFormat",
    "LogItem",
    "Malformed",
    "log_events",
    "log_format_sniff",
    "log_records",
]


def log_events(
    records: Iterator[Record], *, log_format: LogFormat, source: str, developer_id: str | None
) -> Iterator[LogItem]:
    """The events and malformed lines of a log in `log_format`; `source` names the file
    (a Codex log without its session record is known by its file name)."""
    if log_format is LogFormat.CLAUDE_CODE:
        return claude_code_events(records, developer_id=developer_id)
    return codex_events(records, source=source, developer_id=developer_id)
