"""Encryption at rest for the few columns that hold secrets or customer content.

Fernet (AES-128-CBC with an HMAC-SHA256 tag) authenticates as well as encrypts, so a
tampered ciphertext fails to decrypt instead of yielding garbage. `FIELD_ENCRYPTION_KEYS`
is newest first: MultiFernet encrypts with the first and decrypts with any, so a key is
rotated by prepending a new one and re-encrypting at leisure (`field_rotate`).
"""

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """The ciphertext was made with a key no longer configured, or was altered."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed on the configured keys, so override_settings in tests picks up a new key.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def field_encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode("ascii")


def field_decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionFailed("ciphertext does not decrypt with any configured key") from None


def field_rotate(ciphertext: str) -> str:
    """The same plaintext encrypted with the newest key."""
    try:
        return _current().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionFailed("ciphertext does not decrypt with any configured key") from None


def json_encrypt(value: Any) -> str:
    return field_encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def json_decrypt(ciphertext: str) -> Any:
    return json.loads(field_decrypt(ciphertext))
