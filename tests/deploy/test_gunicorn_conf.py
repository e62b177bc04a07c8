"""deploy/gunicorn.conf.py as gunicorn reads it (`gunicorn --print-config`): workers and the
address from the environment, a default from the cores, the control socket in the state
directory."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

CONF = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
OURS = ("WEB_CONCURRENCY", "WEB_THREADS", "GUNICORN_", "BIND", "PORT", "STATE_DIRECTORY")


def gunicorn_config(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "-c", str(CONF), "tokentracker.wsgi"],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def values(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_by_default_one_gthread_worker_per_core_and_one_more_capped_at_8_on_port_8000(tmp_path):
    config = values(gunicorn_config(STATE_DIRECTORY=str(tmp_path)))
    cores = len(os.sched_getaffinity(0))
    assert config["workers"] == str(min(cores + 1, 8))
    assert (config["worker_class"], config["threads"]) == ("gthread", "1")
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["control_socket"] == str(tmp_path / "gunicorn.ctl")


def test_web_concurrency_and_port_are_read(tmp_path):
    config = values(gunicorn_config(WEB_CONCURRENCY="5", PORT="9100", STATE_DIRECTORY="/x"))
    assert (config["workers"], config["bind"]) == ("5", "['127.0.0.1:9100']")


def test_web_threads_is_read_and_refused_below_one():
    assert values(gunicorn_config(WEB_THREADS="4"))["threads"] == "4"
    result = gunicorn_config(WEB_THREADS="none")
    assert result.returncode != 0
    assert "WEB_THREADS must be a whole number, at least 1; got 'none'" in result.stderr


def test_gunicorn_workers_and_bind_are_read():
    config = values(gunicorn_config(GUNICORN_WORKERS="3", BIND="unix:/run/tokentracker.sock"))
    assert (config["workers"], config["bind"]) == ("3", "['unix:/run/tokentracker.sock']")


def test_web_concurrency_wins_over_gunicorn_workers():
    config = values(gunicorn_config(WEB_CONCURRENCY="2", GUNICORN_WORKERS="6"))
    assert config["workers"] == "2"


def test_no_workers_is_refused_saying_which_variable():
    result = gunicorn_config(GUNICORN_WORKERS="0")
    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number, at least 1; got '0'" in result.stderr
