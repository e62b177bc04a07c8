"""Reads for alert delivery: who gets the email, and the delivery log with its attempts."""

from django.db.models import QuerySet

from billing.models import AlertDelivery
from tokentracker.models import Membership, Role


def alert_recipient_addresses(*, organization_id: int) -> list[str]:
    """The addresses of the organization's admins and owners who can still sign in, each
    once (lower-case), in a stable order."""
    addresses = (
        Membership.objects.filter(
            organization_id=organization_id,
            role__in=[Role.ADMIN, Role.OWNER],
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted({address.strip().lower() for address in addresses if address.strip()})


def alert_deliveries_of(
    *, organization_id: int, endpoint_id: int | None = None
) -> QuerySet[AlertDelivery]:
    """The organization's deliveries, newest first, each with its attempts loaded."""
    deliveries = AlertDelivery.objects.filter(organization_id=organization_id)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return deliveries.prefetch_related("attempt_log").order_by("-created_at", "-id")
