"""Coding agents' session logs through the one ingest service
(`usage.services.agent_logs.agent_log_import`): token parts mapped by each provider's rule,
priced from the catalog, each model call once, re-imports adding nothing, malformed lines
counted and named."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.usage.agent_log_files import (
    CLAUDE_SESSION,
    CODEX_SESSION,
    SONNET,
    claude_assistant,
    claude_session_lines,
    codex_meta,
    codex_session_lines,
    codex_tokens,
    codex_usage,
    jsonl,
)
from usage.agent_logs import LogFormat
from usage.models import UsageEvent
from usage.services.agent_logs import (
    AgentLogImport,
    AgentLogUnrecognised,
    LogProblem,
    agent_log_import,
)

pytestmark = pytest.mark.django_db


def run(org, records, *, source="session.jsonl", **options) -> AgentLogImport:
    return agent_log_import(
        organization_id=org.id,
        api_key_id=None,
        source=source,
        lines=jsonl(*records).splitlines(keepends=True),
        **options,
    )


def parts(event: UsageEvent) -> tuple:
    return (
        event.provider,
        event.model,
        event.input_tokens,
        event.uncached_input_tokens,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.output_tokens,
        event.reasoning_tokens,
        event.total_tokens,
        event.total_cost,
    )


def test_claude_code_messages_are_stored_once_each_with_cache_reads_and_writes_on_top(org):
    summary = run(org, claude_session_lines(), developer_id="ann")
    first, second = UsageEvent.objects.filter(organization=org).order_by("occurred_at")
    # Anthropic's input_tokens excludes the cache: 4 uncached, 1,200 written, 18,000 read.
    # claude-sonnet-4-5: $3 input, $3.75 cache write, $0.30 cache read, $15 output per Mtok.
    assert parts(first) == (
        "anthropic",
        SONNET,
        4,
        4,
        18000,
        1200,
        350,
        0,
        19554,
        Decimal("0.015162"),  # 4 x 3 + 1200 x 3.75 + 18000 x 0.3 + 350 x 15 = 15,162 / 1e6
    )
    # msg_B was written on three lines; its last carries the final output count.
    assert parts(second) == (
        "anthropic",
        SONNET,
        10,
        10,
        20000,
        0,
        1000,
        0,
        21010,
        Decimal("0.02103"),  # 10 x 3 + 20000 x 0.3 + 1000 x 15 = 21,030 / 1e6
    )
    assert (second.client_event_id, second.occurred_at) == (
        "claude-code:msg_B",
        datetime(2026, 3, 2, 10, 1, 9, tzinfo=UTC),
    )
    assert (first.session_id, first.project, first.platform, first.use_case) == (
        CLAUDE_SESSION,
        "shop",
        "claude-code",
        "coding",
    )
    assert (first.developer_id, first.api_key_id) == ("ann", None)
    assert first.metadata == {
        "cwd": "/home/dev/shop",
        "git_branch": "main",
        "agent_version": "2.0.14",
        "cache_creation": {"ephemeral_5m_input_tokens": 1200, "ephemeral_1h_input_tokens": 0},
    }
    assert summary == AgentLogImport(
        files=1,
        lines=9,
        events=2,
        created=2,
        total_cost=Decimal("0.036192"),
        malformed=1,
        problems=(LogProblem("session.jsonl", 9, "not JSON (Expecting value, column 33)"),),
        formats=(LogFormat.CLAUDE_CODE,),
    )


def test_codex_calls_keep_cached_tokens_inside_input_and_reasoning_inside_output(org):
    summary = run(org, codex_session_lines(), source="rollout-2026-03-03T09-00-00.jsonl")
    first, second = UsageEvent.objects.filter(organization=org).order_by("occurred_at")
    # OpenAI counts cached tokens inside input_tokens and reasoning inside output_tokens.
    # gpt-5-codex is priced as gpt-5: $1.25 input, $0.125 cached, $10 output per Mtok.
    assert parts(first) == (
        "openai",
        "gpt-5-codex",
        12000,
        3000,
        9000,
        0,
        800,
        512,
        12800,
        Decimal("0.012875"),  # 3000 x 1.25 + 9000 x 0.125 + 800 x 10 = 12,875 / 1e6
    )
    # The second call was logged as the session's sum alone: the difference from the first.
    assert parts(second) == (
        "openai",
        "gpt-5-codex",
        8000,
        2000,
        6000,
        0,
        700,
        388,
        8700,
        Decimal("0.01025"),  # 2000 x 1.25 + 6000 x 0.125 + 700 x 10 = 10,250 / 1e6
    )
    assert (first.client_event_id, second.client_event_id) == (
        f"codex:{CODEX_SESSION}:2026-03-03T09:00:09.000Z:12800",
        f"codex:{CODEX_SESSION}:2026-03-03T09:01:07.000Z:21500",
    )
    assert (first.session_id, first.project, first.platform) == (
        CODEX_SESSION,
        "api",
        "codex-cli",
    )
    assert first.metadata == {"cwd": "/home/dev/api", "agent_version": "0.46.0"}
    # The repeated count of the second call is no third call; the rate-limit-only count
    # is no call at all.
    assert summary == AgentLogImport(
        files=1,
        lines=9,
        events=2,
        created=2,
        total_cost=Decimal("0.023125"),
        malformed=1,
        problems=(
            LogProblem(
                "rollout-2026-03-03T09-00-00.jsonl",
                9,
                "payload.info.last_token_usage.output_tokens: not a whole number of tokens",
            ),
        ),
        formats=(LogFormat.CODEX,),
    )


@pytest.mark.parametrize("lines", [claude_session_lines, codex_session_lines])
def test_importing_the_same_log_again_adds_nothing(org, lines):
    first = run(org, lines())
    stored = list(UsageEvent.objects.values_list("client_event_id", "total_cost"))
    again = run(org, lines())
    assert (first.created, first.duplicates) == (2, 0)
    assert (again.events, again.created, again.duplicates, again.total_cost) == (2, 0, 2, 0)
    assert list(UsageEvent.objects.values_list("client_event_id", "total_cost")) == stored


def test_a_longer_log_imported_again_adds_only_its_new_calls(org):
    lines = claude_session_lines()
    run(org, lines[:4])
    later = run(org, lines)
    assert (later.created, later.duplicates) == (1, 1)
    assert UsageEvent.objects.count() == 2


def test_a_message_copied_into_a_resumed_sessions_file_counts_once(org):
    message = claude_assistant(
        "msg_R", "2026-03-04T08:00:00Z", input_tokens=3, cache_read=5000, output_tokens=40
    )
    run(org, [message], source="first.jsonl")
    resumed = run(org, [{**message, "sessionId": "another"}], source="resumed.jsonl")
    assert (resumed.created, resumed.duplicates) == (0, 1)
    assert UsageEvent.objects.count() == 1


def test_batches_of_one_store_the_same_events(org):
    summary = run(org, codex_session_lines(), batch_size=1)
    assert (summary.events, summary.created, summary.total_cost) == (2, 2, Decimal("0.023125"))


def test_malformed_lines_are_counted_and_named_and_the_rest_is_stored(org):
    good = claude_assistant(
        "msg_G", "2026-03-04T08:00:00Z", input_tokens=3, cache_read=5000, output_tokens=40
    )
    records = [
        good,
        "not json at all",
        "[1, 2]",
        {**good, "message": {**good["message"], "id": "msg_N", "usage": {"input_tokens": -1}}},
        {**good, "message": {**good["message"], "id": "msg_M", "model": None}},
        {**good, "message": {**good["message"], "id": "msg_T"}, "timestamp": "yesterday"},
        {**good, "message": "text"},
    ]
    raw = jsonl(*records) + b"\xff\xfe not utf-8\n"
    summary = agent_log_import(
        organization_id=org.id, api_key_id=None, source="s.jsonl", lines=raw.splitlines(True)
    )
    assert (summary.lines, summary.events, summary.created, summary.malformed) == (8, 1, 1, 7)
    assert [(problem.line, problem.reason) for problem in summary.problems] == [
        (2, "not JSON (Expecting value, column 1)"),
        (3, "not a JSON object"),
        (4, "message.usage.input_tokens: not a whole number of tokens"),
        (5, "message.model: Input should be a valid string"),
        (6, "timestamp: Input should be a valid datetime or date, input is too short"),
        (7, "message: an assistant line without its message"),
        (8, "not UTF-8 text"),
    ]
    assert UsageEvent.objects.get().client_event_id == "claude-code:msg_G"


def test_a_codex_count_before_any_model_is_named_is_malformed_not_guessed(org):
    usage = codex_usage(100, 0, 10, 0)
    summary = run(
        org, [codex_meta("2026-03-03T09:00:00Z"), codex_tokens("2026-03-03T09:00:05Z", usage)]
    )
    assert (summary.created, summary.malformed) == (0, 1)
    assert summary.problems[0].reason == (
        "turn_context.model: a token count before any model was named"
    )
    assert not UsageEvent.objects.exists()


def test_events_the_ingest_refuses_are_reported_by_their_line(org):
    future = claude_assistant(
        "msg_F", "2099-01-01T00:00:00Z", input_tokens=3, cache_read=5000, output_tokens=40
    )
    summary = run(org, [future])
    assert (summary.events, summary.created, summary.rejected) == (1, 0, 1)
    assert summary.problems == (
        LogProblem(
            "session.jsonl",
            1,
            "occurred_at: occurred_at is more than a day in the future; check the clock",
        ),
    )
    assert not UsageEvent.objects.exists()


def test_a_model_missing_from_the_catalog_is_stored_unpriced(org):
    line = claude_assistant(
        "msg_U", "2026-03-04T08:00:00Z", input_tokens=3, output_tokens=40, model="claude-next-9"
    )
    summary = run(org, [line])
    assert (summary.created, summary.unpriced, summary.total_cost) == (1, 1, 0)
    assert UsageEvent.objects.get().total_cost is None


def test_a_file_of_neither_agent_is_unrecognised_and_stores_nothing(org):
    with pytest.raises(AgentLogUnrecognised) as refused:
        run(org, [{"event": "page_view"}, "plain text"], source="web.jsonl")
    assert refused.value.details == {"file": "web.jsonl", "reason": "unrecognised_log"}
    assert not UsageEvent.objects.exists()


def test_a_forced_format_reads_nothing_from_the_other_agents_log(org):
    summary = run(org, claude_session_lines(), log_format=LogFormat.CODEX)
    assert (summary.events, summary.created, summary.malformed) == (0, 0, 1)
