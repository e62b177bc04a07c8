from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokentracker.models import Organization
from usage.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute hourly rollups from raw events, for one organization or all of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organization slug (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization with slug {options['org']!r}")
        for organization in organizations:
            rows = rollups_rebuild(organization_id=organization.pk)
            self.stdout.write(f"{organization.slug}: {rows} rollup rows")
