from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opendata import services
from opendata.datasets import COMMUNITY, COST_INDEX

REFRESHERS = {
    COST_INDEX.key: services.cost_index_refresh,
    COMMUNITY.key: services.community_refresh,
}


class Command(BaseCommand):
    help = "Rebuild the materialised open datasets now (Celery beat does it daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            choices=[*REFRESHERS, "all"],
            default="all",
            help="Which dataset to rebuild (default: all).",
        )

    def handle(self, *args: Any, dataset: str, **options: Any) -> None:
        chosen = REFRESHERS if dataset == "all" else {dataset: REFRESHERS[dataset]}
        for key, refresh in chosen.items():
            rows = refresh()
            self.stdout.write(f"{key}: {rows} rows")
