from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tokentracker.management.organizations import organizations_named
from usage.services.events import events_carbon_backfill


class Command(BaseCommand):
    help = (
        "Estimate energy and CO2e for events recorded before carbon accounting, then rebuild "
        "the rollups of the organizations that had any. Run it while ingest is quiet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organization slug (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        for organization in organizations_named(options["org"]):
            estimated = events_carbon_backfill(organization_id=organization.pk)
            self.stdout.write(f"{organization.slug}: {estimated} events estimated")
