"""Reads of the organization's manual costs, for the Costs page."""

from django.db.models import QuerySet

from billing.models import ManualCost


def manual_costs_of_organization(organization_id: int) -> QuerySet[ManualCost]:
    """The organization's manual costs, latest month first, then the latest added."""
    return (
        ManualCost.objects.filter(organization_id=organization_id)
        .select_related("created_by")
        .order_by("-year", "-month", "-created_at", "-id")
    )


def manual_cost_of_organization(organization_id: int, manual_cost_id: int) -> ManualCost | None:
    return ManualCost.objects.filter(organization_id=organization_id, pk=manual_cost_id).first()
