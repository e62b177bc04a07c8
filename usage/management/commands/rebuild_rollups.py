from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tokentracker.management.organizations import organizations_named
from usage.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute hourly rollups from raw events, for one organization or all of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organization slug (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        for organization in organizations_named(options["org"]):
            rows = rollups_rebuild(organization_id=organization.pk)
            self.stdout.write(f"{organization.slug}: {rows} rollup rows")
