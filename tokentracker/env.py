"""Typed readers of environment variables for the settings: a value that is present but
malformed raises ImproperlyConfigured (stops start-up) instead of falling back silently
(healthchecks' `hc/settings.py` envbool/envint are the model)."""

import base64
import hashlib
import os

from django.core.exceptions import ImproperlyConfigured


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envfernetkeys(name: str, *, dev_secret: str | None) -> list[str]:
    """Comma-separated Fernet keys, newest first: the first encrypts, all of them decrypt,
    so a key is rotated by prepending the new one.

    Unset, it falls back to a key derived from `dev_secret`, which the caller passes only
    while SECRET_KEY is still the public development default: such an install protects
    nothing anyway, and a first run needs no setup. With a real SECRET_KEY an unset key is a
    start-up error rather than a derived one: deriving it would tie stored payloads to
    SECRET_KEY, so rotating that (routine after a leak) would make them unreadable.
    """
    from cryptography.fernet import Fernet

    raw = os.environ.get(name, "")
    keys = [item.strip() for item in raw.split(",") if item.strip()]
    if not keys:
        if dev_secret is None:
            raise ImproperlyConfigured(
                f"{name} must be set when SECRET_KEY is. Generate one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        return [dev_field_key(dev_secret)]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return keys


def dev_field_key(dev_secret: str) -> str:
    """The Fernet key a first run derives from the development SECRET_KEY: public, since
    that key is; `manage.py check --deploy` refuses it (tokentracker.checks)."""
    digest = hashlib.sha256(f"tokentracker-dev-field-key:{dev_secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def envseconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ImproperlyConfigured(f"{name} must be above 0 seconds, got {raw!r}")
    return value
