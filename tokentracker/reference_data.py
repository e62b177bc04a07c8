"""Reference data held in memory per process, reloaded when a shared version stamp changes.

The price catalog and the carbon factors are read on every ingested event; a query per
event (or per batch) would dominate ingest. Each process keeps one loaded copy and a version
stamp kept in the shared cache. Any write to the data bumps the stamp; the next use in every
process sees the new stamp (one cache read) and reloads. A copy is also reloaded once it is
`max_age` seconds old, which bounds staleness when there is no shared cache or it is down.
"""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from .cache import cache_add, cache_get, cache_set

Book = TypeVar("Book")


class VersionedBook(Generic[Book]):
    def __init__(self, stamp_key: str, load: Callable[[], Book], max_age: float = 60) -> None:
        self._stamp_key = stamp_key
        self._load = load
        # Without a shared cache (no REDIS_URL) each process has its own stamp, so another
        # process's edit is only seen when the copy expires: at most this many seconds.
        self._max_age = max_age
        self._lock = threading.Lock()
        self._current: tuple[str | None, float, Book] | None = None

    def _fresh(self, stamp: str | None) -> bool:
        current = self._current
        return (
            current is not None
            and current[0] == stamp
            and time.monotonic() - current[1] < self._max_age
        )

    def get(self) -> Book:
        stamp = cache_get(self._stamp_key)
        if stamp is None and cache_add(self._stamp_key, uuid.uuid4().hex, None):
            stamp = cache_get(self._stamp_key)
        current = self._current
        if current is not None and self._fresh(stamp):
            return current[2]
        with self._lock:
            current = self._current
            if current is not None and self._fresh(stamp):
                return current[2]
            book = self._load()
            self._current = (stamp, time.monotonic(), book)
            return book

    def invalidate(self) -> None:
        """Make every process reload on its next use."""
        cache_set(self._stamp_key, uuid.uuid4().hex, None)
        self._current = None
