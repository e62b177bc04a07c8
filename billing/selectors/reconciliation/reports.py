"""What a reconciliation answers: per provider, per day and per model, and token counts."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.models import SyncedProvider


@dataclass(frozen=True)
class TokenCounts:
    input_tokens: int = 0  # uncached
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def __add__(self, other: "TokenCounts") -> "TokenCounts":
        return TokenCounts(
            self.input_tokens + other.input_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.output_tokens + other.output_tokens,
            self.requests + other.requests,
        )


@dataclass(frozen=True)
class ReconciledDay:
    day: date
    synced: bool
    billed: Decimal | None  # converted lines; None when not synced
    tracked: Decimal
    unconverted: dict[str, Decimal]  # lines with no exchange rate, per currency
    unpriced_events: int

    @property
    def judged(self) -> bool:
        return self.synced and not self.unconverted

    @property
    def untracked(self) -> Decimal | None:
        if not self.judged or self.billed is None:
            return None
        return max(self.billed - self.tracked, Decimal(0))

    @property
    def over_reported(self) -> Decimal | None:
        if not self.judged or self.billed is None:
            return None
        return max(self.tracked - self.billed, Decimal(0))


@dataclass(frozen=True)
class ReconciledModel:
    """One model over the period's synced days. `model` None: cost lines naming no model."""

    model: str | None
    billed: Decimal | None  # None: no cost line names it
    tracked: Decimal | None  # None: no event of it (always None for `model` None)
    unconverted: dict[str, Decimal]
    reported_tokens: TokenCounts | None  # the provider's usage report; None: not in it
    tracked_tokens: TokenCounts | None

    @property
    def compared(self) -> bool:
        """Both sides have it (and every line of it has a rate): the difference means
        something."""
        return self.billed is not None and self.tracked is not None and not self.unconverted

    @property
    def untracked(self) -> Decimal | None:
        if not self.compared:
            return None
        assert self.billed is not None and self.tracked is not None
        return max(self.billed - self.tracked, Decimal(0))

    @property
    def over_reported(self) -> Decimal | None:
        if not self.compared:
            return None
        assert self.billed is not None and self.tracked is not None
        return max(self.tracked - self.billed, Decimal(0))


@dataclass(frozen=True)
class ProviderReconciliation:
    provider: str
    currency: str  # the organization's reporting currency
    start: date
    end: date
    status: str  # the integration's (IntegrationStatus)
    status_message: str
    last_sync_at: datetime | None
    last_success_at: datetime | None
    costs_synced_until: datetime | None
    days: list[ReconciledDay]  # every day of [start, end] up to today, oldest first
    models: list[ReconciledModel]  # costliest billed first
    reported_tokens: TokenCounts  # on the days the usage report covers
    tracked_tokens: TokenCounts  # on the same days
    billed: Decimal = Decimal(0)  # judged days only, as the next three
    tracked: Decimal = Decimal(0)
    untracked: Decimal = Decimal(0)
    over_reported: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unpriced_events: int = 0  # on judged days

    @property
    def label(self) -> str:
        return SyncedProvider(self.provider).label

    @property
    def synced_days(self) -> int:
        return sum(1 for day in self.days if day.synced)

    @property
    def not_synced_days(self) -> int:
        return sum(1 for day in self.days if not day.synced)

    @property
    def untracked_percent(self) -> Decimal | None:
        """Untracked spend as a percentage of the bill, to two places."""
        if not self.billed:
            return None
        return (self.untracked * 100 / self.billed).quantize(Decimal("0.01"))
