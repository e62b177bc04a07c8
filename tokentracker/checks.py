"""What a production start refuses: `manage.py check --deploy` runs these beside Django's
own deployment checks, and `make serve` (deploy/serve.py) and the web systemd unit stop
on any error before migrating or serving.

Each of these values has an embedded default that makes the first run (`make run`) work
with no setup, and each default is unsafe or wrong once real users and real spend arrive,
so production must set them; the message says what to set.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from tokentracker.env import dev_field_key

SECRET_KEY_MIN_LENGTH = 50  # Django's own bar for a strong key (security.W009)

GENERATE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
GENERATE_FIELD_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


@register(Tags.security, deploy=True)
def production_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.DEBUG:
        messages.append(
            Error(
                "DEBUG is on: error pages show code, settings and request data to anyone.",
                hint="Set DEBUG=false (or leave it unset).",
                id="tokentracker.E001",
            )
        )
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        messages.append(
            Error(
                "SECRET_KEY is not set: the public development key would sign sessions "
                "and password-reset links.",
                hint=f"Set SECRET_KEY to 50 or more random characters: {GENERATE_SECRET_KEY}",
                id="tokentracker.E002",
            )
        )
    elif len(settings.SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
        messages.append(
            Error(
                f"SECRET_KEY has {len(settings.SECRET_KEY)} characters: too short to be "
                "safe from guessing.",
                hint=f"Set SECRET_KEY to 50 or more random characters: {GENERATE_SECRET_KEY}",
                id="tokentracker.E002",
            )
        )
    if settings.FIELD_ENCRYPTION_KEYS[0] == dev_field_key(settings.DEV_SECRET_KEY):
        messages.append(
            Error(
                "FIELD_ENCRYPTION_KEY is not set: stored payloads, provider keys and webhook "
                "secrets would be encrypted with a key derived from the public development key.",
                hint=f"Set FIELD_ENCRYPTION_KEY to a Fernet key: {GENERATE_FIELD_KEY}",
                id="tokentracker.E003",
            )
        )
    if settings.ALLOWED_HOSTS == settings.DEV_ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        messages.append(
            Error(
                "ALLOWED_HOSTS is not set to this deployment's host names"
                + (" ('*' accepts any Host header)." if "*" in settings.ALLOWED_HOSTS else ".")
                + " Links in emails (invitations, password resets) are built from the Host "
                "header.",
                hint="Set ALLOWED_HOSTS to the name(s) clients use, comma-separated: "
                "ALLOWED_HOSTS=tokens.example.com",
                id="tokentracker.E004",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        messages.append(
            Error(
                "DATABASE_URL is not a PostgreSQL database: PostgreSQL is the production "
                "database (the SQLite default is for a first run on one laptop).",
                hint="Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/tokentracker",
                id="tokentracker.E005",
            )
        )
    if not settings.REDIS_URL:
        messages.append(
            Error(
                "REDIS_URL is not set: without a broker the Celery worker and beat cannot "
                "run, and rollups, alerts and syncs would run inside web requests.",
                hint="Set REDIS_URL=redis://127.0.0.1:6379/0",
                id="tokentracker.E006",
            )
        )
    if not settings.EMAIL_HOST and settings.EMAIL_BACKEND.endswith(".console.EmailBackend"):
        messages.append(
            Warning(
                "EMAIL_HOST is not set: invitations, password resets and email alerts are "
                "written to the log instead of being sent.",
                hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to an SMTP server.",
                id="tokentracker.W001",
            )
        )
    return messages
