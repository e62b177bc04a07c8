"""Reads of provider sync: which integrations the hourly schedule syncs."""

from billing.models import IntegrationStatus, ProviderIntegration


def integrations_due_for_sync() -> list[int]:
    """Every connected integration but those whose key the provider refused: syncing them
    again would be refused again, until an admin adds a new key (which resets the status)."""
    return list(
        ProviderIntegration.objects.exclude(status=IntegrationStatus.INVALID_KEY)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
