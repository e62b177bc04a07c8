from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokentracker.models import Organization
from usage.services import events_carbon_backfill


class Command(BaseCommand):
    help = (
        "Estimate energy and CO2e for events recorded before carbon accounting, then rebuild "
        "the rollups of the organizations that had any. Run it while ingest is quiet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organization slug (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization with slug {options['org']!r}")
        for organization in organizations:
            estimated = events_carbon_backfill(organization_id=organization.pk)
            self.stdout.write(f"{organization.slug}: {estimated} events estimated")
