import os
from logging.config import dictConfig
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_failure, task_retry, worker_ready

from . import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokentracker.settings")

app = Celery("tokentracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

task_failure.connect(metrics.task_failure_counted)
task_retry.connect(metrics.task_retry_counted)


@setup_logging.connect
def _logging_from_settings(**kwargs: Any) -> None:
    # Worker and beat log as the web does (JSON lines, tokentracker.logs) instead of
    # Celery's own format; LOG_LEVEL sets the level, not --loglevel.
    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_ready.connect
def _first_heartbeat(**kwargs: Any) -> None:
    # At once, not at beat's first tick: a worker that just started is known to be up.
    from .heartbeat import worker_heartbeat_record

    worker_heartbeat_record()
