from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokentracker import keys, services
from tokentracker.models import ApiKeyScope


class Command(BaseCommand):
    help = (
        "Create an API key for an organization (created if missing). The raw key is printed "
        "alone on the last line of stdout; it is not stored and cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument(
            "--prefix",
            default=keys.DEFAULT_PREFIX,
            choices=list(keys.KEY_PREFIXES),
            help="Key family; isv_test_sk_ makes a test key, the others live keys",
        )
        parser.add_argument("--name", default="API key", help="A label for the key")
        parser.add_argument("--scope", default=ApiKeyScope.WRITE, choices=list(ApiKeyScope.values))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization, created = services.organization_ensure(slug=options["org"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stderr.write(f"Created organization {organization.slug}")
        created_key = services.api_key_create(
            organization=organization,
            name=options["name"],
            prefix=options["prefix"],
            scope=options["scope"],
        )
        self.stderr.write(
            f"Created {created_key.api_key.mode} key {created_key.api_key.name!r} "
            f"for {organization.slug}"
        )
        self.stdout.write(created_key.raw_key)
