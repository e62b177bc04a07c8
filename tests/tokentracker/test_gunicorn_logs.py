"""gunicorn's own lines, its access log included, in the application's JSON form, through
`tokentracker.logs.gunicorn_logconfig_dict` in a gunicorn config file, as a deployment's
config uses it: a real gunicorn with two workers, asked over HTTP."""

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings

from tests.faults.conftest import free_port, wait_until

CONFIG = """\
from tokentracker.logs import gunicorn_logconfig_dict

logconfig_dict = gunicorn_logconfig_dict()
"""


@pytest.fixture
def gunicorn(tmp_path):
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(CONFIG)
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT")},
        "DJANGO_SETTINGS_MODULE": "tokentracker.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "SECURE_SSL_REDIRECT": "false",
        "PYTHONUNBUFFERED": "1",
    }
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tokentracker.wsgi",
                "-c",
                str(config),
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--no-control-socket",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(base + "/api/health/live", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(answers, 30, 0.2, "gunicorn to answer")
        yield base, process, out, err
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def test_the_access_log_is_json_with_the_request_id_the_application_answered(gunicorn):
    base, process, out, err = gunicorn
    request = urllib.request.Request(
        base + "/api/health/live?probe=1", headers={"X-Request-ID": "gunicorn-json-1"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["X-Request-Id"] == "gunicorn-json-1"

    def access_lines() -> list[dict]:
        return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]

    wait_until(
        lambda: any(line.get("request_id") == "gunicorn-json-1" for line in access_lines()),
        10,
        0.1,
        "the access line",
    )
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)

    (access,) = [line for line in access_lines() if line["request_id"] == "gunicorn-json-1"]
    duration = access.pop("duration_ms")
    time_field = access.pop("time")
    assert access == {
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "GET /api/health/live 200",
        "request_id": "gunicorn-json-1",
        "method": "GET",
        "path": "/api/health/live",
        "status": 200,
        "bytes": len(b'{"status":"alive"}'),
        "remote_addr": "127.0.0.1",
        "user_agent": f"Python-urllib/{sys.version_info.major}.{sys.version_info.minor}",
    }
    assert isinstance(duration, float) and 0 <= duration < 10_000
    assert time_field.endswith("Z")

    # Every line on stderr is JSON too: gunicorn's own, and the application's request line
    # for the same request, with the same id.
    errors = [json.loads(line) for line in err.read_text().splitlines() if line.strip()]
    assert {"gunicorn.error", "tokentracker.requests"} <= {line["logger"] for line in errors}
    (request_line,) = [
        line
        for line in errors
        if line["logger"] == "tokentracker.requests" and line["request_id"] == "gunicorn-json-1"
    ]
    assert (request_line["path"], request_line["status"]) == ("/api/health/live", 200)
    # Each line once: gunicorn's loggers do not also propagate to the root handler.
    assert sum(1 for line in errors if line["message"].startswith("Booting worker")) == 2


def test_text_log_format_keeps_gunicorn_s_own_access_line():
    from tokentracker.logs import gunicorn_logconfig_dict

    config = gunicorn_logconfig_dict("text")
    assert config["formatters"]["access"] == {"format": "%(message)s"}
    assert config["formatters"]["line"] == {"()": "tokentracker.logs.TextLogFormatter"}
    assert gunicorn_logconfig_dict("json")["formatters"]["access"] == {
        "()": "tokentracker.logs.GunicornAccessFormatter"
    }
