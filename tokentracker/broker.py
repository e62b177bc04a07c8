"""Queueing a task from a request without letting a down broker slow every request.

The broker is the same Redis as the cache. Publishing to it when it is down costs the
publish retries (~0.6 s) on every request, so publishes go through a breaker like the
cache's (tokentracker.cache): after a failed publish, each process stops publishing for
REDIS_BREAKER_SECONDS and the caller takes its fallback (beat's periodic merge, the
pending-track sweep, sending the email in-process), then one publish tries again.
"""

import logging
from typing import Any

import pybreaker
from celery import Task
from django.conf import settings

from .cache import breaker_new

logger = logging.getLogger(__name__)

broker_breaker = breaker_new("broker")


def task_publish(task: Task, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Queue `task(*args, **kwargs)`; False if the broker failed or is being skipped, for
    the caller to fall back."""
    try:
        if countdown is None:
            broker_breaker.call(task.delay, *args, **kwargs)
        else:
            broker_breaker.call(task.apply_async, args=args, kwargs=kwargs, countdown=countdown)
    except pybreaker.CircuitBreakerError:
        return False
    except Exception:  # each broker client raises its own connection errors
        logger.warning("broker unreachable: %s not queued", task.name, exc_info=True)
        return False
    return True


def task_queued(task: Task, *args: Any, **kwargs: Any) -> bool:
    """After a commit: queue `task`, or say to run its work here (False).

    False with no broker configured (tasks run in-process: the embedded default) and when
    the broker cannot be reached; the caller then does the work itself, so what it
    committed is never left waiting for a worker that no message will reach.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return False
    if task_publish(task, *args, **kwargs):
        return True
    logger.warning("broker unreachable: %s runs in-process", task.name)
    return False
