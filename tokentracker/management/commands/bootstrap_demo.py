import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tokentracker import services
from tokentracker.models import ApiKey, Membership, Role

DEMO_ORG = "demo"
KEY_NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length


class Command(BaseCommand):
    help = (
        "Make sure a demo organization, an admin user and an API key exist, and print how to "
        "use them. Safe to run on every start: existing users and keys are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default=DEMO_ORG)
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "admin"))
        parser.add_argument("--key-file", default="var/demo_api_key")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        with transaction.atomic():
            organization, _ = services.organization_ensure(
                slug=options["org"], name="Demo organization"
            )
            user = User.objects.filter(username=options["username"]).first()
            # Only its hash is kept, so a later start cannot print it again.
            password_note = (
                "(unchanged since it was printed on the first start; set a new one with "
                f".venv/bin/python manage.py changepassword {options['username']})"
            )
            if user is None:
                password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
                user = User.objects.create_superuser(
                    options["username"], f"{options['username']}@localhost", password
                )
                password_note = password
            Membership.objects.get_or_create(
                user=user, organization=organization, defaults={"role": Role.OWNER}
            )
        key_file = options["key_file"]
        raw_key = _read_key(key_file)
        if raw_key is None:
            # The name says where the key is: the empty overview and the keys page show it.
            name = f"Demo key: printed by make run, kept in {key_file}"
            raw_key = services.api_key_create(
                organization=organization,
                name=name if len(name) <= KEY_NAME_MAX_LENGTH else "Demo key",
                created_by=user,
            ).raw_key
            os.makedirs(os.path.dirname(key_file) or ".", exist_ok=True)
            with open(key_file, "w") as handle:
                handle.write(raw_key + "\n")
            os.chmod(key_file, 0o600)
        self.stdout.write(
            f"Admin login: {user.get_username()} / {password_note}  (http://127.0.0.1:"
            f"{os.environ.get('PORT', '8000')}/admin/)\n"
            f"Demo organization: {organization.slug}\n"
            f"API key: {raw_key}"
        )


def _read_key(path: str) -> str | None:
    """The demo key saved by an earlier start, if it still authenticates."""
    from tokentracker import keys

    try:
        with open(path) as handle:
            raw_key = handle.read().strip()
    except FileNotFoundError:
        return None
    parsed = keys.key_parse(raw_key)
    if parsed is None:
        return None
    api_key = ApiKey.objects.filter(lookup=parsed.lookup, revoked_at__isnull=True).first()
    if api_key is None or not keys.key_matches(raw_key, api_key.digest):
        return None
    return raw_key
