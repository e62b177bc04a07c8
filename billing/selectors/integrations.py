"""Reads of the organization's provider integrations and their sync runs, for the
Integrations page and the APIs. Nothing here decrypts the key: only its last four
characters are ever read back."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from billing.models import ProviderIntegration, SyncedProvider, SyncRun

RECENT_RUNS = 5
# Every column but the ciphertext: a read that does not need the key does not load it.
_SHOWN = (
    "id",
    "organization_id",
    "provider",
    "key_last_four",
    "status",
    "status_message",
    "last_sync_at",
    "last_success_at",
    "usage_synced_until",
    "costs_synced_until",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class IntegrationOverview:
    """One provider as the organization has it: connected (`integration`) or not."""

    provider: SyncedProvider
    integration: ProviderIntegration | None
    runs: list[SyncRun] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return self.integration is not None

    @property
    def running(self) -> bool:
        """A sync was started and has not finished (queued for a worker, or under way)."""
        return any(run.finished_at is None for run in self.runs)


def integrations_of_organization(organization_id: int) -> QuerySet[ProviderIntegration]:
    """The organization's integrations, by provider, without their ciphertext."""
    return (
        ProviderIntegration.objects.filter(organization_id=organization_id)
        .only(*_SHOWN)
        .order_by("provider")
    )


def integration_of_organization(organization_id: int, provider: str) -> ProviderIntegration | None:
    return integrations_of_organization(organization_id).filter(provider=provider).first()


def integrations_overview(
    organization_id: int, *, runs: int = RECENT_RUNS
) -> list[IntegrationOverview]:
    """Each provider we sync, in the order of `SyncedProvider`, with its latest `runs` sync
    runs: one query for the integrations and one per connected integration (two at most)."""
    connected = {row.provider: row for row in integrations_of_organization(organization_id)}
    overview = []
    for provider in SyncedProvider:
        integration = connected.get(provider.value)
        recent = list(integration.runs.all()[:runs]) if integration and runs else []
        overview.append(IntegrationOverview(provider, integration, recent))
    return overview
