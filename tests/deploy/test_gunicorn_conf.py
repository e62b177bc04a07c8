"""deploy/gunicorn.conf.py as gunicorn reads it (`gunicorn --print-config`): workers and the
address from the environment, a default from the cores, the control socket in the state
directory."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

CONF = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
OURS = ("WEB_CONCURRENCY", "GUNICORN_", "BIND", "PORT", "STATE_DIRECTORY")


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


def test_by_default_twice_the_cores_plus_one_capped_at_8_on_loopback_port_8000(tmp_path):
    config = values(gunicorn_config(STATE_DIRECTORY=str(tmp_path)))
    cores = len(os.sched_getaffinity(0))
    assert config["workers"] == str(min(2 * cores + 1, 8))
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["control_socket"] == str(tmp_path / "gunicorn.ctl")


def test_web_concurrency_and_port_are_read(tmp_path):
    config = values(gunicorn_config(WEB_CONCURRENCY="5", PORT="9100", STATE_DIRECTORY="/x"))
    assert (config["workers"], config["bind"]) == ("5", "['127.0.0.1:9100']")


def test_gunicorn_workers_and_bind_are_read():
    config = values(gunicorn_config(GUNICORN_WORKERS="3", BIND="unix:/run/tokentracker.sock"))
    assert (config["workers"], config["bind"]) == ("3", "['unix:/run/tokentracker.sock']")


def test_web_concurrency_wins_over_gunicorn_workers():
    config = values(gunicorn_config(WEB_CONCURRENCY="2", GUNICORN_WORKERS="6"))
    assert config["workers"] == "2"


def test_no_workers_is_refused_saying_which_variable():
    result = gunicorn_config(GUNICORN_WORKERS="0")
    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number of workers, at least 1; got '0'" in (
        result.stderr
    )
