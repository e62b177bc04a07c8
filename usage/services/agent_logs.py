"""Coding agents' session logs through the one ingest service, in batches.

`usage.agent_logs` reads a file into events and malformed lines; this writes the events
with `events_record` (each with its stable id, so a second import of the same file adds
nothing) and answers what happened: lines read, events stored, duplicates, unpriced,
refused, malformed, and the first problems by line.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from tokentracker.errors import DomainError, Kind
from tokentracker.services import QuotaExceeded

from ..agent_logs import (
    LogEvent,
    LogFormat,
    Malformed,
    log_events,
    log_format_sniff,
    log_records,
)
from ..schemas import EventsInvalid
from .events import events_record

BATCH_SIZE = 500
# The first problems are enough to find a pattern; a file of a million bad lines must not
# become an answer of a million reasons.
MAX_PROBLEMS = 10
MAX_DEVELOPER_ID_LENGTH = 200


class AgentLogUnrecognised(DomainError):
    """Neither Claude Code's nor Codex's session log (or not JSON lines at all)."""

    kind = Kind.VALIDATION


class AgentLogInvalid(DomainError):
    kind = Kind.VALIDATION


class AgentLogQuotaExceeded(QuotaExceeded):
    """The daily event quota stopped an import part-way; `done` is what it did before."""

    def __init__(self, *, limit: int, used: int, requested: int, done: "AgentLogImport") -> None:
        super().__init__(limit=limit, used=used, requested=requested)
        self.done = done


@dataclass(frozen=True)
class LogProblem:
    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class AgentLogImport:
    """What one import did; imports of several files add up with `+`."""

    files: int = 0
    lines: int = 0
    events: int = 0
    created: int = 0
    duplicates: int = 0
    unpriced: int = 0
    rejected: int = 0
    malformed: int = 0
    # In the organization's reporting currency, as every ingest door answers it.
    total_cost: Decimal = Decimal(0)
    problems: tuple[LogProblem, ...] = ()
    formats: tuple[LogFormat, ...] = ()

    def __add__(self, other: "AgentLogImport") -> "AgentLogImport":
        return AgentLogImport(
            files=self.files + other.files,
            lines=self.lines + other.lines,
            events=self.events + other.events,
            created=self.created + other.created,
            duplicates=self.duplicates + other.duplicates,
            unpriced=self.unpriced + other.unpriced,
            rejected=self.rejected + other.rejected,
            malformed=self.malformed + other.malformed,
            total_cost=self.total_cost + other.total_cost,
            problems=(self.problems + other.problems)[:MAX_PROBLEMS],
            formats=self.formats + other.formats,
        )


@dataclass
class _Tally:
    """The counts of the file being imported, kept as its lines and batches go by."""

    source: str
    lines: int = 0
    events: int = 0
    created: int = 0
    duplicates: int = 0
    unpriced: int = 0
    rejected: int = 0
    malformed: int = 0
    total_cost: Decimal = Decimal(0)
    problems: list[LogProblem] = field(default_factory=list)

    def problem(self, line: int, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(LogProblem(self.source, line, reason))

    def counted(self, lines: Iterable[bytes | str]) -> Iterator[bytes | str]:
        for line in lines:
            self.lines += 1
            yield line

    def summary(self, log_format: LogFormat) -> AgentLogImport:
        return AgentLogImport(
            files=1,
            lines=self.lines,
            events=self.events,
            created=self.created,
            duplicates=self.duplicates,
            unpriced=self.unpriced,
            rejected=self.rejected,
            malformed=self.malformed,
            total_cost=self.total_cost,
            problems=tuple(self.problems),
            formats=(log_format,),
        )


def developer_id_checked(developer_id: str | None) -> str | None:
    if developer_id is None:
        return None
    developer_id = developer_id.strip()
    if not developer_id or len(developer_id) > MAX_DEVELOPER_ID_LENGTH:
        raise AgentLogInvalid(
            f"developer_id must be 1 to {MAX_DEVELOPER_ID_LENGTH} characters",
            details={"developer_id": "1 to 200 characters"},
        )
    if "\x00" in developer_id:
        raise AgentLogInvalid(
            "developer_id must not contain NUL characters",
            details={"developer_id": "must not contain NUL characters"},
        )
    return developer_id


def agent_log_import(
    *,
    organization_id: int,
    api_key_id: int | None,
    source: str,
    lines: Iterable[bytes | str],
    log_format: LogFormat | None = None,
    developer_id: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> AgentLogImport:
    """Import one session log (its lines, e.g. an open binary file) for the organization.

    `log_format` None detects it from the first records and raises AgentLogUnrecognised
    when they are neither agent's. Each batch of `batch_size` events is written by
    `events_record` in its own transaction (wrap the call in one to make the whole file
    atomic); when the daily quota refuses a batch, AgentLogQuotaExceeded carries what the
    batches before it did (written, unless the caller's transaction rolls them back).
    Malformed lines and refused events are counted and reported by line, never raised.
    """
    developer_id = developer_id_checked(developer_id)
    tally = _Tally(source=source)
    records = log_records(tally.counted(lines))
    if log_format is None:
        log_format, records = log_format_sniff(records)
        if log_format is None:
            raise AgentLogUnrecognised(
                f"{source} is not a Claude Code or Codex session log (JSON lines)",
                details={"file": source, "reason": "unrecognised_log"},
            )
    items = log_events(records, log_format=log_format, source=source, developer_id=developer_id)
    batch: list[LogEvent] = []
    try:
        for item in items:
            if isinstance(item, Malformed):
                tally.malformed += 1
                tally.problem(item.line, item.reason)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                _write(tally, batch, organization_id=organization_id, api_key_id=api_key_id)
                batch = []
        if batch:
            _write(tally, batch, organization_id=organization_id, api_key_id=api_key_id)
    except QuotaExceeded as exc:
        raise AgentLogQuotaExceeded(
            limit=exc.limit, used=exc.used, requested=exc.requested, done=tally.summary(log_format)
        ) from None
    return tally.summary(log_format)


def _write(
    tally: _Tally, batch: list[LogEvent], *, organization_id: int, api_key_id: int | None
) -> None:
    try:
        result = events_record(
            organization_id=organization_id,
            api_key_id=api_key_id,
            events=[item.event for item in batch],
        )
    except EventsInvalid as exc:
        # Not one event of the batch was valid: each is refused, nothing written.
        errors = exc.errors
        tally.rejected += len({error.index for error in errors})
    else:
        errors = list(result.errors)
        tally.created += result.created
        tally.duplicates += result.duplicates
        tally.unpriced += result.unpriced
        tally.rejected += result.rejected
        tally.total_cost += result.total_cost
    tally.events += len(batch)
    for error in errors:
        line = batch[error.index].line if error.index is not None else 0
        tally.problem(line, f"{error.field}: {error.message}")
