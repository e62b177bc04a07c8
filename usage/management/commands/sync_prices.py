from typing import Any

from django.core.management.base import BaseCommand

from usage.services.prices import prices_sync


class Command(BaseCommand):
    help = (
        "Refresh the price catalog from the installed genai-prices snapshot (upgrade the "
        "package to get newer prices). Never overwrites a price an admin edited."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = prices_sync()
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
            f"skipped {report.skipped_admin_edited} admin-edited, "
            f"aliases created {report.aliases_created}"
        )
