"""`manage.py import_agent_logs PATH --org SLUG [--developer ID]`: a folder of Claude Code and
Codex logs walked for *.jsonl, each file's format detected, and the summary it prints."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.usage.agent_log_files import (
    CODEX_SESSION,
    claude_session_lines,
    codex_session_lines,
    write,
)
from tokentracker.models import Plan
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """A home folder with both agents' logs where they keep them, a subagent's log, and a
    file of neither."""
    claude = tmp_path / ".claude" / "projects" / "-home-dev-shop"
    write(claude / "5f0c9a51.jsonl", *claude_session_lines())
    write(
        claude / "5f0c9a51" / "subagents" / "agent-1.jsonl",
        *[
            {**line, "isSidechain": True, "message": {**line["message"], "id": f"sub_{n}"}}
            for n, line in enumerate(claude_session_lines()[2:3])
        ],
    )
    codex = tmp_path / ".codex" / "sessions" / "2026" / "03" / "03"
    write(codex / f"rollout-2026-03-03T09-00-00-{CODEX_SESSION}.jsonl", *codex_session_lines())
    write(tmp_path / "notes.jsonl", {"note": "not a session log"})
    (tmp_path / "readme.txt").write_text("not even JSON lines")
    return tmp_path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_agent_logs", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_folder_of_both_agents_logs_is_imported_and_summed_up(org, logs):
    output = run(str(logs), "--org", "acme", "--developer", "ann")
    assert output.splitlines() == [
        "Imported 3 file(s) (2 claude-code, 1 codex) into acme, recorded without an API key "
        "(by the operator running this command).",
        "  lines read                                          19",
        "  events found                                         5",
        "  stored                                               5",
        "  duplicates (already stored)                          0",
        "  stored unpriced (model not in the catalog)           0",
        "  refused by the ingest                                0",
        "  malformed lines                                      2",
        "  files not recognised                                 1",
        "  cost of the stored events                     0.074479 USD",
        "First problems (3 of 3):",
        "  notes.jsonl: notes.jsonl is not a Claude Code or Codex session log (JSON lines)",
        "  .claude/projects/-home-dev-shop/5f0c9a51.jsonl:9: not JSON (Expecting value, column 33)",
        f"  .codex/sessions/2026/03/03/rollout-2026-03-03T09-00-00-{CODEX_SESSION}.jsonl:9: "
        "payload.info.last_token_usage.output_tokens: not a whole number of tokens",
    ]
    events = UsageEvent.objects.filter(organization=org)
    assert sorted(events.values_list("platform", "developer_id", "api_key_id")) == [
        ("claude-code", "ann", None),
        ("claude-code", "ann", None),
        ("claude-code", "ann", None),
        ("codex-cli", "ann", None),
        ("codex-cli", "ann", None),
    ]
    # The subagent's call: 0.015162, the main session's two 0.036192, Codex's 0.023125.
    assert events.get(client_event_id="claude-code:sub_0").metadata["sidechain"] is True


def test_running_the_same_import_again_stores_nothing_more(org, logs):
    run(str(logs), "--org", "acme")
    output = run(str(logs), "--org", "acme")
    assert "  stored                                               0" in output
    assert "  duplicates (already stored)                          5" in output
    assert "  cost of the stored events                     0.000000 USD" in output
    assert UsageEvent.objects.count() == 5


def test_one_file_is_imported_by_its_path(org, logs):
    path = next((logs / ".codex").rglob("*.jsonl"))
    output = run(str(path), "--org", "acme")
    assert output.splitlines()[0].startswith("Imported 1 file(s) (1 codex) into acme")
    assert f"  {path.name}:9: payload.info.last_token_usage.output_tokens" in output
    assert UsageEvent.objects.count() == 2


def test_a_format_given_reads_every_file_as_that_format(org, logs):
    output = run(str(logs / ".claude"), "--org", "acme", "--format", "codex")
    assert "  events found                                         0" in output
    assert not UsageEvent.objects.exists()


def test_past_the_daily_quota_it_stops_and_says_what_was_stored(org, logs):
    org.plan = Plan.objects.create(slug="day", name="Day", daily_event_limit=2)
    org.save(update_fields=["plan"])
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Stopped at .*Daily event limit of 2 reached"):
        call_command(
            "import_agent_logs",
            str(logs / ".claude"),
            "--org",
            "acme",
            "--batch-size",
            "1",
            stdout=out,
            stderr=io.StringIO(),
        )
    # The subagent's file (1 call) and the first call of the session's: the second's batch
    # was refused, and the summary counts exactly what was stored.
    assert UsageEvent.objects.count() == 2
    assert "  stored                                               2" in out.getvalue()
    assert "  files not recognised                                 0" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nobody"], "No organization with slug 'nobody'"),
        (["--org", ""], "--org needs an organization slug"),
        (["--org", "acme", "--developer", " "], "--developer: developer_id must be 1 to 200"),
        (["--org", "acme", "--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_read(org, logs, args, message):
    with pytest.raises(CommandError, match=message):
        run(str(logs), *args)
    assert not UsageEvent.objects.exists()


def test_a_missing_path_or_a_folder_without_logs_is_refused(org, tmp_path):
    with pytest.raises(CommandError, match="No such file or folder"):
        run(str(tmp_path / "nowhere"), "--org", "acme")
    with pytest.raises(CommandError, match=r"No \.jsonl files under"):
        run(str(tmp_path), "--org", "acme")


def test_the_import_lands_in_the_named_organization_only(org, outsider_org, logs):
    run(str(logs), "--org", "outsider")
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 5
    assert not UsageEvent.objects.filter(organization=org).exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_of_bytes_read_is_drawn_on_a_terminal(org, logs, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    run(str(logs / ".claude"), "--org", "acme")
    size = sum(path.stat().st_size for path in (logs / ".claude").rglob("*.jsonl"))
    assert "agent logs: 100%" in terminal.getvalue()
    assert f"{size / 1000:.2f}k/{size / 1000:.2f}k" in terminal.getvalue()
    assert "stored=3" in terminal.getvalue()


def test_no_progress_bar_is_drawn_when_the_output_is_not_a_terminal(org, logs, monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    run(str(logs / ".claude"), "--org", "acme")
    assert piped.getvalue() == ""
