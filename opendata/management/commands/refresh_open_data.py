from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opendata import services
from opendata.datasets import COMMUNITY, COST_INDEX


class Command(BaseCommand):
    help = (
        "Refresh the materialised open datasets now (Celery beat does it daily): rebuild the "
        "cost index, append the community days not published yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            choices=[COST_INDEX.key, COMMUNITY.key, "all"],
            default="all",
            help="Which dataset to refresh (default: all).",
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help=(
                "Community only: withdraw every published day and recompute the whole "
                "history with today's opt-ins. For correcting a mistake; comparing the two "
                "versions of a day reveals the organizations that opted out in between."
            ),
        )

    def handle(self, *args: Any, dataset: str, rebuild: bool, **options: Any) -> None:
        if rebuild and dataset != COMMUNITY.key:
            raise CommandError("--rebuild applies to --dataset community only.")
        if dataset in (COST_INDEX.key, "all"):
            self.stdout.write(f"{COST_INDEX.key}: {services.cost_index_refresh()} rows")
        if dataset in (COMMUNITY.key, "all"):
            added = services.community_refresh(rebuild=rebuild)
            self.stdout.write(f"{COMMUNITY.key}: {added} rows added")
