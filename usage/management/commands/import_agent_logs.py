import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tokentracker.management.organizations import organizations_named
from tokentracker.models import Organization
from tokentracker.money import reporting_currency_of
from usage.agent_logs import LogFormat
from usage.services.agent_logs import (
    BATCH_SIZE,
    AgentLogImport,
    AgentLogInvalid,
    AgentLogQuotaExceeded,
    AgentLogUnrecognised,
    LogProblem,
    agent_log_import,
    developer_id_checked,
)

AUTO = "auto"


def _log_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(found for found in path.rglob("*.jsonl") if found.is_file())
    raise CommandError(f"No such file or folder: {path}")


def _lines(handle: IO[bytes], bar: tqdm) -> Iterator[bytes]:
    for line in handle:
        bar.update(len(line))
        yield line


class Command(BaseCommand):
    help = (
        "Import coding agents' session logs as usage events: Claude Code "
        "(~/.claude/projects) and OpenAI Codex CLI (~/.codex/sessions). PATH is a .jsonl "
        "file or a folder searched for *.jsonl; each file's format is detected. Importing "
        "the same logs again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A session log (.jsonl) or a folder of them")
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument(
            "--developer", help="Recorded as each event's developer_id (e.g. your user name)"
        )
        parser.add_argument(
            "--format",
            default=AUTO,
            choices=[AUTO, *LogFormat],
            help="Read every file as this format instead of detecting each one",
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="Events per ingest call"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["org"].strip():
            raise CommandError("--org needs an organization slug")
        organization = organizations_named(options["org"]).get()
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            developer_id = developer_id_checked(options["developer"])
        except AgentLogInvalid as exc:
            raise CommandError(f"--developer: {exc.message}") from None
        root: Path = options["path"].expanduser()
        files = _log_files(root)
        if not files:
            raise CommandError(f"No .jsonl files under {root}")
        log_format = None if options["format"] == AUTO else LogFormat(options["format"])
        summary = AgentLogImport()
        unrecognised: list[LogProblem] = []
        # The bar counts bytes: one session log can be a thousand times another's size.
        # tqdm draws it on a terminal only (disable=None), so piped output stays clean.
        with tqdm(
            total=sum(path.stat().st_size for path in files),
            unit="B",
            unit_scale=True,
            desc="agent logs",
            file=sys.stderr,
            disable=None,
        ) as bar:
            for path in files:
                source = str(path.relative_to(root)) if path != root else path.name
                try:
                    with path.open("rb") as handle:
                        summary += agent_log_import(
                            organization_id=organization.pk,
                            # A command acts for the operator, not through any API key.
                            api_key_id=None,
                            source=source,
                            lines=_lines(handle, bar),
                            log_format=log_format,
                            developer_id=developer_id,
                            batch_size=options["batch_size"],
                        )
                except AgentLogUnrecognised as exc:
                    unrecognised.append(LogProblem(source, 0, exc.message))
                except AgentLogQuotaExceeded as exc:
                    bar.close()
                    self._report(organization, summary + exc.done, unrecognised)
                    raise CommandError(
                        f"Stopped at {source}: {exc.message} (used {exc.used}); the events "
                        "above are stored, and running the same import again tomorrow "
                        "adds only the rest."
                    ) from None
                except OSError as exc:
                    unrecognised.append(LogProblem(source, 0, f"cannot be read: {exc}"))
                bar.set_postfix(stored=summary.created, refresh=False)
        self._report(organization, summary, unrecognised)

    def _report(
        self, organization: Organization, summary: AgentLogImport, unrecognised: list[LogProblem]
    ) -> None:
        formats = ", ".join(
            f"{summary.formats.count(found)} {found}"
            for found in LogFormat
            if found in summary.formats
        )
        currency = reporting_currency_of(organization.pk)
        out = self.stdout.write
        out(
            f"Imported {summary.files} file(s) ({formats or 'none read'}) into "
            f"{organization.slug}, recorded without an API key (by the operator running "
            "this command)."
        )
        rows = [
            ("lines read", summary.lines),
            ("events found", summary.events),
            ("stored", summary.created),
            ("duplicates (already stored)", summary.duplicates),
            ("stored unpriced (model not in the catalog)", summary.unpriced),
            ("refused by the ingest", summary.rejected),
            ("malformed lines", summary.malformed),
            ("files not recognised", len(unrecognised)),
        ]
        for label, count in rows:
            out(f"  {label:<44}{count:>10,}")
        out(f"  {'cost of the stored events':<44}{summary.total_cost:>10.6f} {currency}")
        problems = [*unrecognised, *summary.problems]
        if problems:
            total = len(unrecognised) + summary.malformed + summary.rejected
            out(f"First problems ({min(total, 10)} of {total}):")
            for problem in problems[:10]:
                where = problem.file if not problem.line else f"{problem.file}:{problem.line}"
                out(f"  {where}: {problem.reason}")
