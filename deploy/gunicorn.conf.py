"""gunicorn's settings for `make serve` (the Procfile) and deploy/systemd/tokentracker-web:
how many workers (gthread, one thread each unless WEB_THREADS says) and where they listen,
from the environment. Everything else is gunicorn's default (30 s request timeout, 30 s to
finish requests on SIGTERM); options on the command line or in GUNICORN_CMD_ARGS override
these."""

import os
import sys
from pathlib import Path

# The project's own modules, whatever directory gunicorn was started from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tokentracker.logs import gunicorn_logconfig_dict


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a whole number, at least 1; got {raw!r}")
    return value


def _default_workers() -> int:
    # One worker per core and one more, each a single-threaded gthread worker: on two cores
    # bench/ingest.py measured the same throughput from 2, 3 and 4 such workers, from 2 or 3
    # workers of 2 threads and from 5 sync workers; threads added no throughput, and every
    # worker holds ~120-160 MB (bench/RESULTS.md, issue 21). The extra worker
    # keeps the cores busy while one waits on a slow page's queries. Capped at 8: on one
    # machine the Celery worker and PostgreSQL need the same cores.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min((cores or 1) + 1, 8)


_workers_variable = next(
    (name for name in ("WEB_CONCURRENCY", "GUNICORN_WORKERS") if os.environ.get(name)), None
)
workers = (
    _positive_int(_workers_variable, os.environ[_workers_variable])
    if _workers_variable
    else _default_workers()
)
# gthread rather than gunicorn's sync default: it keeps the https proxy's connections
# alive between requests, where a sync worker closes each one.
worker_class = "gthread"
threads = (
    _positive_int("WEB_THREADS", os.environ["WEB_THREADS"]) if os.environ.get("WEB_THREADS") else 1
)

# Loopback by default: the https proxy on the same machine is the only client. (gunicorn's
# own default with PORT set would listen on every interface.)
bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"]

# gunicornc's socket, beside beat's schedule: not the one in $HOME that every gunicorn of
# the user would share.
_state = Path(os.environ.get("STATE_DIRECTORY") or Path(__file__).resolve().parent.parent / "var")
control_socket = str(_state / "gunicorn.ctl")

# gunicorn's own lines and its access log as the application logs (JSON, or text under
# DEBUG / LOG_FORMAT=text), the access line with the request's id (tokentracker.logs).
logconfig_dict = gunicorn_logconfig_dict()
