from django.core.management.base import CommandError
from django.db.models import QuerySet

from tokentracker.models import Organization


def organizations_named(slug: str | None) -> QuerySet[Organization]:
    """The organization a command's `--org SLUG` names, or every one; an unknown slug is a
    CommandError, not a silent no-op."""
    organizations = Organization.objects.order_by("slug")
    if slug:
        organizations = organizations.filter(slug=slug)
        if not organizations.exists():
            raise CommandError(f"No organization with slug {slug!r}")
    return organizations
