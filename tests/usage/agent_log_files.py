"""Session logs written the way Claude Code and OpenAI Codex CLI write them (the line
formats documented in usage/agent_logs/claude_code.py and codex.py): fixtures made by the
tests, never a real person's files."""

import json
from pathlib import Path
from typing import Any

CLAUDE_SESSION = "5f0c9a51-7d2e-4c8b-9a41-3e2f6c1d0b77"
CODEX_SESSION = "0199a213-81c0-7800-8aa1-bbab2a035a53"
SONNET = "claude-sonnet-4-5-20250929"


def jsonl(*records: dict[str, Any] | str) -> bytes:
    """Lines of a log; a str is written as it is (a malformed line)."""
    lines = [record if isinstance(record, str) else json.dumps(record) for record in records]
    return ("\n".join(lines) + "\n").encode()


def write(path: Path, *records: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jsonl(*records))
    return path


def claude_user(text: str, timestamp: str, session: str = CLAUDE_SESSION) -> dict[str, Any]:
    return {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/dev/shop",
        "sessionId": session,
        "version": "2.0.14",
        "gitBranch": "main",
        "type": "user",
        "message": {"role": "user", "content": text},
        "uuid": f"u-{timestamp}",
        "timestamp": timestamp,
    }


def claude_assistant(
    message_id: str,
    timestamp: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_write: int = 0,
    cache_read: int = 0,
    model: str = SONNET,
    session: str = CLAUDE_SESSION,
    block: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One line of an assistant message: one content block, with the message's usage."""
    return {
        "parentUuid": f"u-{timestamp}",
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/dev/shop",
        "sessionId": session,
        "version": "2.0.14",
        "gitBranch": "main",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block or {"type": "text", "text": "Done."}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": cache_write,
                "cache_read_input_tokens": cache_read,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": cache_write,
                    "ephemeral_1h_input_tokens": 0,
                },
                "output_tokens": output_tokens,
                "service_tier": "standard",
            },
        },
        "requestId": f"req_{message_id}",
        "type": "assistant",
        "uuid": f"a-{message_id}-{timestamp}",
        "timestamp": timestamp,
        **fields,
    }


def codex_usage(input_tokens: int, cached: int, output: int, reasoning: int) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "cached_input_tokens": cached,
        "output_tokens": output,
        "reasoning_output_tokens": reasoning,
        "total_tokens": input_tokens + output,
    }


def codex_meta(timestamp: str, session: str = CODEX_SESSION, **fields: Any) -> dict[str, Any]:
    payload = {
        "id": session,
        "timestamp": timestamp,
        "cwd": "/home/dev/api",
        "originator": "codex_cli_rs",
        "cli_version": "0.46.0",
        "instructions": None,
        "source": "cli",
        "model_provider": "openai",
        **fields,
    }
    return {"timestamp": timestamp, "type": "session_meta", "payload": payload}


def codex_turn(timestamp: str, model: str = "gpt-5-codex") -> dict[str, Any]:
    payload = {
        "cwd": "/home/dev/api",
        "approval_policy": "on-request",
        "sandbox_policy": {"mode": "workspace-write"},
        "model": model,
        "effort": "medium",
        "summary": "auto",
    }
    return {"timestamp": timestamp, "type": "turn_context", "payload": payload}


def codex_message(timestamp: str, role: str, text: str) -> dict[str, Any]:
    kind = "input_text" if role == "user" else "output_text"
    return {
        "timestamp": timestamp,
        "type": "response_item",
        "payload": {"type": "message", "role": role, "content": [{"type": kind, "text": text}]},
    }


def codex_tokens(
    timestamp: str,
    total: dict[str, int] | None,
    last: dict[str, int] | None = None,
) -> dict[str, Any]:
    info = None
    if total is not None or last is not None:
        info = {"model_context_window": 272000}
        if total is not None:
            info["total_token_usage"] = total
        if last is not None:
            info["last_token_usage"] = last
    return {
        "timestamp": timestamp,
        "type": "event_msg",
        "payload": {
            "type": "token_count",
            "info": info,
            "rate_limits": {"primary": {"used_percent": 7.0, "window_minutes": 300}},
        },
    }


# --- the two sessions most tests import ------------------------------------------------


def claude_session_lines() -> list[dict[str, Any] | str]:
    """Two model calls: msg_A on one line; msg_B streamed over three lines (its thinking,
    text and tool call) whose first two hold a partial output count; a synthetic notice;
    a line that is not JSON."""
    return [
        {"type": "summary", "summary": "Fix the checkout", "leafUuid": "x"},
        claude_user("Fix the checkout", "2026-03-02T10:00:00.000Z"),
        claude_assistant(
            "msg_A",
            "2026-03-02T10:00:05.000Z",
            input_tokens=4,
            cache_write=1200,
            cache_read=18000,
            output_tokens=350,
        ),
        claude_user("And the tests", "2026-03-02T10:01:00.000Z"),
        claude_assistant(
            "msg_B",
            "2026-03-02T10:01:02.000Z",
            input_tokens=10,
            cache_read=20000,
            output_tokens=1,
            block={"type": "thinking", "thinking": "…"},
        ),
        claude_assistant(
            "msg_B",
            "2026-03-02T10:01:03.000Z",
            input_tokens=10,
            cache_read=20000,
            output_tokens=1,
        ),
        claude_assistant(
            "msg_B",
            "2026-03-02T10:01:09.000Z",
            input_tokens=10,
            cache_read=20000,
            output_tokens=1000,
            block={"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}},
        ),
        claude_assistant(
            "msg_S",
            "2026-03-02T10:02:00.000Z",
            input_tokens=0,
            output_tokens=0,
            model="<synthetic>",
        ),
        '{"type": "assistant", "message": ',
    ]


def codex_session_lines() -> list[dict[str, Any] | str]:
    """Two model calls: the first with its own and the session's usage, the second (as
    older builds wrote it) with the session's sum alone, then repeated; a rate-limit-only
    count and a malformed count."""
    first = codex_usage(12000, 9000, 800, 512)
    after_second = codex_usage(20000, 15000, 1500, 900)
    return [
        codex_meta("2026-03-03T09:00:00.000Z"),
        codex_tokens("2026-03-03T09:00:00.500Z", None),
        codex_turn("2026-03-03T09:00:01.000Z"),
        codex_message("2026-03-03T09:00:01.100Z", "user", "Add pagination"),
        codex_tokens("2026-03-03T09:00:09.000Z", first, first),
        codex_turn("2026-03-03T09:01:00.000Z"),
        codex_tokens("2026-03-03T09:01:07.000Z", after_second),
        codex_tokens("2026-03-03T09:01:07.200Z", after_second),
        {
            "timestamp": "2026-03-03T09:02:00.000Z",
            "type": "event_msg",
            "payload": {
                "type": "token_count",
                "info": {"last_token_usage": {**first, "output_tokens": -5}},
            },
        },
    ]
