"""API key format: `<prefix><random>`.

The random part is 40 base62 characters (~238 bits). Only its first characters (the lookup,
indexed) and a SHA-256 digest of the whole key are stored. A plain digest is enough for a
high-entropy secret; it also survives a SECRET_KEY rotation, which an HMAC would not.
"""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from .models import ApiKeyMode

KEY_PREFIXES: dict[str, str] = {
    "mtt_": ApiKeyMode.LIVE,
    "tw_api_": ApiKeyMode.LIVE,
    "isv_test_sk_": ApiKeyMode.TEST,
    "isv_live_sk_": ApiKeyMode.LIVE,
}
DEFAULT_PREFIX = "mtt_"
RANDOM_LENGTH = 40
LOOKUP_LENGTH = 12
_ALPHABET = string.ascii_letters + string.digits
# Longest first, so a key is matched to its most specific family.
_PREFIXES_LONGEST_FIRST = sorted(KEY_PREFIXES, key=len, reverse=True)


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    lookup: str


def key_generate(prefix: str) -> str:
    if prefix not in KEY_PREFIXES:
        raise ValueError(f"Unknown key prefix {prefix!r}; use one of {', '.join(KEY_PREFIXES)}")
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_LENGTH))


def key_parse(raw_key: str) -> ParsedKey | None:
    for prefix in _PREFIXES_LONGEST_FIRST:
        if raw_key.startswith(prefix):
            random_part = raw_key[len(prefix) :]
            if len(random_part) != RANDOM_LENGTH or not random_part.isalnum():
                return None
            return ParsedKey(prefix=prefix, lookup=prefix + random_part[:LOOKUP_LENGTH])
    return None


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def key_matches(raw_key: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(raw_key), digest)


def key_mode(prefix: str) -> str:
    return KEY_PREFIXES[prefix]
