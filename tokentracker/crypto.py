"""Encryption at rest for the few columns that hold secrets or customer content.

Fernet (AES-128-CBC with an HMAC-SHA256 tag) authenticates as well as encrypts, so a
tampered ciphertext fails to decrypt instead of yielding garbage. `FIELD_ENCRYPTION_KEYS`
is newest first: MultiFernet encrypts with the first and decrypts with any, so a key is
rotated by prepending a new one and re-encrypting at leisure (`field_rotate`).
"""

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import timezone


class DecryptionFailed(Exception):
    """The ciphertext was made with a key no longer configured, or was altered."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed on the configured keys, so override_settings in tests picks up a new key.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def field_encrypt(plaintext: str, *, now: datetime | None = None) -> str:
    """Every ciphertext carries its creation time (`now`, default the clock): see max_age."""
    if now is None:
        return _current().encrypt(plaintext.encode()).decode("ascii")
    return _current().encrypt_at_time(plaintext.encode(), int(now.timestamp())).decode("ascii")


def field_decrypt(
    ciphertext: str, *, max_age: timedelta | None = None, now: datetime | None = None
) -> str:
    """The plaintext; with `max_age`, only while the ciphertext is younger than that at
    `now` (default the clock): an older one fails like a wrong key."""
    try:
        if max_age is None:
            return _current().decrypt(ciphertext.encode("ascii")).decode()
        moment = int((now or timezone.now()).timestamp())
        ttl = int(max_age.total_seconds())
        return _current().decrypt_at_time(ciphertext.encode("ascii"), ttl, moment).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionFailed(
            "ciphertext does not decrypt with any configured key, or is too old"
        ) from None


def field_rotate(ciphertext: str) -> str:
    """The same plaintext encrypted with the newest key."""
    try:
        return _current().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionFailed("ciphertext does not decrypt with any configured key") from None


def json_encrypt(value: Any, *, now: datetime | None = None) -> str:
    return field_encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False), now=now)


def json_decrypt(
    ciphertext: str, *, max_age: timedelta | None = None, now: datetime | None = None
) -> Any:
    return json.loads(field_decrypt(ciphertext, max_age=max_age, now=now))
