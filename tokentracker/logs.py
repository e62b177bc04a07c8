"""Log lines: one JSON object a line in production, readable text under DEBUG.

Every line carries the id of the request it was written for (and its organization, once
known), from `tokentracker.request_context` through `RequestContextFilter`. Django's
LOGGING (settings) and gunicorn's `logconfig_dict` (`gunicorn_logconfig_dict`) use the same
pieces, so gunicorn's access log is JSON of the same shape and carries the same request id
(read back from the X-Request-Id response header). Importable without Django settings:
gunicorn's config file imports it in the master process.
"""

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .request_context import request_context_current

LOG_FORMATS = ("json", "text")


def log_format_from_env() -> str:
    """LOG_FORMAT (json or text); unset, text under DEBUG and JSON otherwise."""
    from .env import envbool, envstr

    chosen = envstr("LOG_FORMAT", "").strip().lower()
    if not chosen:
        return "text" if envbool("DEBUG", False) else "json"
    if chosen not in LOG_FORMATS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {chosen!r}")
    return chosen


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id and organization of the request it belongs
    to (None outside a request: start-up, Celery tasks, gunicorn's master)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context_current()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else None
        if not hasattr(record, "organization_id"):
            record.organization_id = context.organization_id if context else None
        return True


def _iso(created: float) -> str:
    moment = datetime.fromtimestamp(created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLogFormatter(JsonFormatter):
    """`{"time", "level", "logger", "message", "request_id", "organization_id", ...}`,
    then whatever `extra` the call passed (a request line's method, path, status...)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "%(name)s %(message)s",
            rename_fields={"name": "logger"},
            json_ensure_ascii=False,
            **kwargs,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # Inserted first, so every line starts with when and how bad.
        log_data["time"] = _iso(record.created)
        log_data["level"] = record.levelname
        super().add_fields(log_data, record, message_dict)


class TextLogFormatter(logging.Formatter):
    """`2026-01-05 12:00:00,123 INFO [req_…] tokentracker.requests: GET /api/health 200`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class GunicornAccessFormatter(JsonLogFormatter):
    """gunicorn's access line as JSON: its atoms (passed as the record's args) become the
    fields a request line has: method, path, status, duration_ms, and the request id the
    application echoed in X-Request-Id."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, Mapping) else {}
        request_id = atoms.get("{x-request-id}o")
        status = atoms.get("s")
        micros = atoms.get("D")
        log_data.update(
            message=f"{atoms.get('m')} {atoms.get('U')} {status}",
            request_id=request_id if request_id not in (None, "-") else None,
            method=atoms.get("m"),
            path=atoms.get("U"),
            status=int(status) if str(status).isdigit() else status,
            duration_ms=round(micros / 1000, 3) if isinstance(micros, int) else None,
            bytes=atoms.get("B"),
            remote_addr=atoms.get("h"),
            user_agent=atoms.get("a"),
        )


FORMATTERS = {"json": JsonLogFormatter, "text": TextLogFormatter}


def gunicorn_logconfig_dict(log_format: str | None = None) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error log in the application's form, its access
    log as `GunicornAccessFormatter` JSON (or gunicorn's own line when LOG_FORMAT=text).

    gunicorn replaces its defaults' `handlers`, `formatters`, `loggers` and `root` with
    these, so all four are given; its loggers do not propagate, or the root handler that
    Django configures in each worker would write every line twice.
    """
    log_format = log_format or log_format_from_env()
    level = os.environ.get("LOG_LEVEL", "INFO")
    text = log_format == "text"
    access_formatter: dict[str, Any] = (
        {"format": "%(message)s"} if text else {"()": "tokentracker.logs.GunicornAccessFormatter"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "tokentracker.logs.RequestContextFilter"}},
        "formatters": {
            "line": {"()": f"tokentracker.logs.{FORMATTERS[log_format].__name__}"},
            "access": access_formatter,
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["request_context"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
