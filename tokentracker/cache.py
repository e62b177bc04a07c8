"""Cache access that degrades instead of failing.

The cache (Redis in production) only speeds things up: key lookups, the price-book
version. If it is unreachable, requests fall back to the database rather than answering
500, so a Redis outage never costs an accepted event.
"""

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # each cache client raises its own connection errors
        logger.warning("cache unavailable: get %s", key, exc_info=True)
        return None


def cache_set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable: set %s", key, exc_info=True)


def cache_add(key: str, value: Any, timeout: float | None) -> bool | None:
    """True if added, False if present, None if the cache could not be reached."""
    try:
        return cache.add(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable: add %s", key, exc_info=True)
        return None


def cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache unavailable: delete %s", key, exc_info=True)
