"""What every agent-log reader shares: the line records, the format sniffing, the events.

No Python library reads either format: ccusage and the tools like it are Node or Rust
programs that print totals, not events to store, so the reading is written here.
"""

import hashlib
import json
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any

from pydantic import ValidationError

from ..schemas import EventInput

# A format is decided by the first record that names it; a file whose first records name
# none is not a session log of either agent.
SNIFF_RECORDS = 200
# EventInput.id's limit; a longer composite id is hashed, still stable across imports.
MAX_ID_LENGTH = 128
MAX_PROJECT_LENGTH = 200
USE_CASE = "coding"


class LogFormat(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"


@dataclass(frozen=True, slots=True)
class LogEvent:
    line: int
    event: EventInput


@dataclass(frozen=True, slots=True)
class Malformed:
    line: int
    reason: str


LogItem = LogEvent | Malformed
Record = tuple[int, dict[str, Any] | Malformed]

# The record types each agent writes at the top level of a line (`type`). Codex wraps
# every record as {"timestamp", "type", "payload"}; Claude Code's carry `sessionId`.
CODEX_RECORD_TYPES = frozenset(
    {"session_meta", "turn_context", "event_msg", "response_item", "compacted"}
)
CLAUDE_CODE_RECORD_TYPES = frozenset(
    {"user", "assistant", "system", "summary", "file-history-snapshot", "queue-operation"}
)


def log_records(lines: Iterable[bytes | str]) -> Iterator[Record]:
    """Each non-blank line as (line number, JSON object), or as Malformed saying why not."""
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, Malformed(number, "not UTF-8 text")
                continue
        text = raw.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, Malformed(number, f"not JSON ({exc.msg}, column {exc.colno})")
            continue
        except RecursionError:
            yield number, Malformed(number, "not JSON (nested too deeply)")
            continue
        if not isinstance(value, dict):
            yield number, Malformed(number, "not a JSON object")
            continue
        yield number, value


def _format_of(record: dict[str, Any]) -> LogFormat | None:
    kind = record.get("type")
    if "payload" in record and kind in CODEX_RECORD_TYPES:
        return LogFormat.CODEX
    if kind in CLAUDE_CODE_RECORD_TYPES or "sessionId" in record:
        return LogFormat.CLAUDE_CODE
    return None


def log_format_sniff(records: Iterator[Record]) -> tuple[LogFormat | None, Iterator[Record]]:
    """The format the first records name (None: neither), and the records, none consumed."""
    seen: list[Record] = []
    found = None
    for record in records:
        seen.append(record)
        if not isinstance(record[1], Malformed):
            found = _format_of(record[1])
        if found is not None or len(seen) >= SNIFF_RECORDS:
            break
    return found, chain(seen, records)


def whole_count(value: Any) -> int | None:
    """A token count as the logs write it (1200, or 1200.0), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def client_event_id(*parts: str) -> str:
    joined = ":".join(parts)
    if len(joined) <= MAX_ID_LENGTH:
        return joined
    return f"{parts[0]}:sha256:{hashlib.sha256(joined.encode()).hexdigest()}"


def project_of(cwd: Any) -> str | None:
    """The working directory's last folder: the project a developer names it by."""
    if not isinstance(cwd, str) or not cwd.strip():
        return None
    # Windows paths too: Claude Code and Codex run there and write backslashes.
    name = posixpath.basename(cwd.strip().replace("\\", "/").rstrip("/"))
    return name[:MAX_PROJECT_LENGTH] or None


def event_or_malformed(line: int, fields: dict[str, Any], names: dict[str, str]) -> LogItem:
    """The event, validated as every ingest door validates one; when it is refused, the
    reason names the log's own field (`names` maps EventInput's to the log's)."""
    try:
        return LogEvent(line, EventInput.model_validate(fields))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "line"
        return Malformed(line, f"{names.get(field, field)}: {error['msg']}")
