from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokentracker.management.organizations import organizations_named
from usage.rollup_rebuild import rollups_rebuild
from usage.rollups import ROLLUP_DATA_ERRORS
from usage.sessions.summaries import session_summaries_rebuild


class Command(BaseCommand):
    help = (
        "Recompute hourly and daily rollups (the main ones and the explorer's developer, "
        "customer and tag rollups) and session summaries from raw events, for one "
        "organization or all of them. Safe while ingest runs. Clears the organization's "
        "set-aside deltas."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organization slug (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        for organization in organizations_named(options["org"]):
            try:
                rows = rollups_rebuild(organization_id=organization.pk)
                sessions = session_summaries_rebuild(organization_id=organization.pk)
            except ROLLUP_DATA_ERRORS as exc:
                # One organization's impossible sums must not stop the others' rebuild.
                failed.append(organization.slug)
                self.stderr.write(
                    f"{organization.slug}: not rebuilt, its raw events sum beyond what a "
                    f"rollup column holds ({exc}); its rollups are unchanged"
                )
                continue
            self.stdout.write(f"{organization.slug}: {rows} rollup rows, {sessions} sessions")
        if failed:
            raise CommandError(f"not rebuilt: {', '.join(failed)}")
