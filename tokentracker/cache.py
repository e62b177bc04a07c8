"""Cache access that degrades instead of failing, and stops trying while the cache is down.

The cache (Redis in production) only speeds things up: key lookups, the price-book
version, rate-limit counters, the merge-soon dedup. If it is unreachable, requests fall
back to the database (or let the request through) rather than answering 500, so a Redis
outage never costs an accepted event.

Every cache access goes through `cache_call`, behind one circuit breaker per process
(pybreaker): the first failed call opens it, and for `REDIS_BREAKER_SECONDS` every cache
call answers "unavailable" at once instead of paying a connect timeout each time (a down
Redis made each ingest request 0.6-3.6 s instead of ~20 ms). After that window one call
tries again: success closes the breaker, failure opens it for another window.
"""

import contextlib
import logging
from typing import Any

import pybreaker
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """The cache failed this call, or the breaker is open and it was not tried."""


class _LogTransitions(pybreaker.CircuitBreakerListener):
    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            logger.warning("%s unavailable: skipped for %s s", cb.name, cb.reset_timeout)
        elif new_state.name == pybreaker.STATE_CLOSED and old_state and old_state.name != "closed":
            logger.warning("%s available again", cb.name)


def breaker_new(name: str) -> pybreaker.CircuitBreaker:
    """A per-process breaker that opens on the first failure, for REDIS_BREAKER_SECONDS.

    One failure is enough: a call that failed already cost a timeout, and the fallbacks
    are all correct (only slower, or less strict), so trying again soon has no value.
    ValueError is an answer, not an outage (`incr` of a missing key).

    pybreaker holds its lock for the whole guarded call, so a process's threads take turns
    on Redis: free with gunicorn's one thread per worker, and while Redis hangs it means
    one thread waits for the timeout while the others wait for it, not each in turn after.
    """
    return pybreaker.CircuitBreaker(
        fail_max=1,
        reset_timeout=settings.REDIS_BREAKER_SECONDS,
        exclude=[ValueError],
        listeners=[_LogTransitions()],
        name=name,
        throw_new_error_on_trip=False,
    )


cache_breaker = breaker_new("cache")


def cache_call(operation: str, *args: Any) -> Any:
    """`cache.<operation>(*args)` through the breaker; CacheUnavailable if the cache
    failed or was skipped. ValueError (`incr` of a missing key) reaches the caller."""
    try:
        return cache_breaker.call(getattr(cache, operation), *args)
    except pybreaker.CircuitBreakerError:
        raise CacheUnavailable(f"cache skipped: {operation}") from None
    except ValueError:
        raise
    except Exception as exc:  # each cache client raises its own connection errors
        logger.warning("cache unavailable: %s %s", operation, args[:1], exc_info=True)
        raise CacheUnavailable(f"cache failed: {operation}: {exc.__class__.__name__}") from exc


def cache_get(key: str) -> Any:
    try:
        return cache_call("get", key)
    except CacheUnavailable:
        return None


def cache_set(key: str, value: Any, timeout: float | None) -> None:
    with contextlib.suppress(CacheUnavailable):
        cache_call("set", key, value, timeout)


def cache_add(key: str, value: Any, timeout: float | None) -> bool | None:
    """True if added, False if present, None if the cache could not be reached."""
    try:
        return cache_call("add", key, value, timeout)
    except CacheUnavailable:
        return None


def cache_delete(key: str) -> None:
    with contextlib.suppress(CacheUnavailable):
        cache_call("delete", key)
