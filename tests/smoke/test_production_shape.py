"""The production shape end to end, as CI runs it (`make smoke`, after the PostgreSQL suite in
.ci/run): `make serve` on a new PostgreSQL database and a redis-server of its own, on a
spare port with a temporary state directory. Then, over HTTP only, what a newcomer does
first: sign up on the sign-up page, create a key on the keys page, send events through two
doors (MyTokenTracker's POST /api/v1/events and CodingVibez's POST /api/tokens/track), and
see them, merged into the rollups by the Celery worker, in Token Optimizer's
/api/metrics/summary and on the overview page. Last, SIGTERM to `make serve`'s process
manager: every process gone and `make` exits 0.

Every wait has a deadline; a failure says what it waited for, followed by the last lines
`make serve` printed (its processes write to the same output).
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.faults.conftest import RedisServer, free_port

READY_TIMEOUT = 120  # install check, migrate a new database (~30 s), collectstatic, start three
ROLLUP_TIMEOUT = 20  # the worker merges ~1 s after a batch; beat's safety net every 10 s
STOP_TIMEOUT = 30

# Variables of the suite's own run that must not leak into the production processes; the
# test sets its own below.
NOT_PASSED_ON = (
    "DJANGO_",
    "PYTEST",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_",
    "REDIS_",
    "SECURE_",
    "SESSION_COOKIE_",
    "CSRF_",
    "EMAIL_",
    "WEB_CONCURRENCY",
    "GUNICORN_",
    "BIND",
    "PORT",
    "STATE_DIRECTORY",
    "ENV_FILE",
    "MAKE",
    "MFLAGS",
)


def smoke_skip_reason() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return (
            "the smoke test runs make serve on PostgreSQL: DATABASE_URL=postgres://... make smoke"
        )
    for program in ("make", "redis-server"):
        if shutil.which(program) is None:
            return f"the smoke test needs {program}"
    return None


SKIP_REASON = smoke_skip_reason()
# Decided before any fixture runs: no database is made just to be skipped.
pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or ""),
]


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database on DATABASE_URL's server; dropped afterwards."""
    db = settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"tt_smoke_{secrets.token_hex(4)}"
    with psycopg.connect(dbname=db["NAME"], autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    user = urllib.parse.quote(server["user"] or "", safe="")
    password = f":{urllib.parse.quote(server['password'], safe='')}" if server["password"] else ""
    try:
        yield f"postgres://{user}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname=db["NAME"], autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    found = [int(child) for child in children]
    return found + [grandchild for child in found for grandchild in descendants(child)]


class MakeServe:
    """`make serve` in its own session, its output (and its processes') in one file."""

    def __init__(self, tmp_path: Path, database_url: str, redis_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "make-serve.log"
        environment = {
            name: value for name, value in os.environ.items() if not name.startswith(NOT_PASSED_ON)
        }
        environment.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY=secrets.token_urlsafe(50),
            FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
            ALLOWED_HOSTS="127.0.0.1",
            # Plain http on loopback: no redirect to https, cookies sent without TLS.
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            PORT=str(self.port),
            WEB_CONCURRENCY="2",
            STATE_DIRECTORY=str(tmp_path / "state"),
            ENV_FILE=str(tmp_path / "no.env"),  # not the checkout's .env
            PYTHONUNBUFFERED="1",
        )
        with self.log.open("wb") as out:
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", "serve"],
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- last lines of make serve ---\n" + "\n".join(text.splitlines()[-lines:])

    def fail(self, message: str) -> None:
        raise AssertionError(f"{message}\n{self.tail()}")

    def wait_until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while True:
            if self.make.poll() is not None:
                self.fail(f"make serve exited with {self.make.returncode} while waiting for {what}")
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.25)

    def started(self) -> dict[str, int]:
        """The Procfile's processes by name, from the manager's "<name> started (pid N)"."""
        text = self.log.read_text(errors="replace")
        return {
            name: int(pid) for name, pid in re.findall(r"serve: (\w+) started \(pid (\d+)\)", text)
        }

    def manager_pid(self) -> int | None:
        for pid in descendants(self.make.pid):
            with contextlib.suppress(FileNotFoundError):
                if b"deploy/serve.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    def stop(self) -> int:
        manager = self.manager_pid()
        if manager is None:
            self.fail("no deploy/serve.py process under make serve")
        os.kill(manager, signal.SIGTERM)
        try:
            return self.make.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"make serve still running {STOP_TIMEOUT} s after SIGTERM")

    def kill(self) -> None:
        """What a failed test left: the manager stops its processes, or all are killed."""
        if self.make.poll() is None:
            manager = self.manager_pid()
            if manager is not None:
                os.kill(manager, signal.SIGTERM)
            try:
                self.make.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.make.pid, signal.SIGKILL)
                self.make.wait()
        for pid in self.started().values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


class Browser:
    """A person at the pages: cookies kept, the CSRF token read from each form's page."""

    def __init__(self, serve: MakeServe) -> None:
        self.serve = serve
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[str, str]:
        """(final path after redirects, page), failing on anything but a 200."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.serve.base + path, data=data)
        try:
            with self.opener.open(request, timeout=15) as response:
                return urllib.parse.urlsplit(response.url).path, response.read().decode()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")[:2000]
            self.serve.fail(f"{'POST' if data else 'GET'} {path} answered {exc.code}:\n{body}")
        except OSError as exc:
            self.serve.fail(f"{'POST' if data else 'GET'} {path} failed: {exc!r}")

    def submit(self, page_path: str, action: str, fields: dict[str, str]) -> tuple[str, str]:
        _, page = self.open(page_path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            self.serve.fail(f"no CSRF token in the form of {page_path}")
        return self.open(action, {"csrfmiddlewaretoken": token.group(1), **fields})


def api(serve: MakeServe, method: str, path: str, key: str | None, body: dict | None = None):
    """(status, JSON) of an API call with the key; status None when nothing answered."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        serve.base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw[:500]
    except OSError:
        return None, None


@pytest.fixture
def make_serve(tmp_path, database):
    redis = RedisServer(tmp_path)
    redis.start()
    serve = MakeServe(tmp_path, database, redis.url)
    try:
        yield serve
    finally:
        serve.kill()
        redis.kill()


def test_sign_up_key_two_doors_rollups_overview_and_a_clean_stop(make_serve):
    serve = make_serve
    began = time.monotonic()
    serve.wait_until(
        lambda: api(serve, "GET", "/api/health", None)[0] == 200,
        READY_TIMEOUT,
        "gunicorn to answer /api/health",
    )
    processes = serve.wait_until(
        lambda: (found := serve.started()) and set(found) == {"web", "worker", "beat"} and found,
        10,
        "the worker and beat to start",
    )
    ready_after = time.monotonic() - began

    # Sign up on the sign-up page: the new organization's overview, still empty.
    browser = Browser(serve)
    landed, page = browser.submit(
        "/accounts/signup",
        "/accounts/signup",
        {
            "name": "Smoke Tester",
            "email": "smoke@example.com",
            "password": secrets.token_urlsafe(16),
            "organization_name": "Smoke Test",
        },
    )
    match = re.fullmatch(r"/o/([\w-]+)/", landed)
    assert match, f"sign-up landed on {landed}"
    overview = landed
    assert "Send your first event" in page

    # A key from the keys page, shown once.
    keys = f"{overview}keys/"
    _, page = browser.submit(
        keys, f"{keys}new", {"name": "smoke", "prefix": "mtt_", "scope": "write"}
    )
    key = re.search(r'id="new-key" value="(mtt_[A-Za-z0-9]+)"', page)
    assert key, "the keys page did not show the new key"
    key = key.group(1)

    # Two doors, one ingest. gpt-4o: $2.50 input, $10 output per million tokens.
    status, answer = api(
        serve,
        "POST",
        "/api/v1/events",
        key,
        {
            "events": [
                {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "input_tokens": 1000,
                    "output_tokens": 500,
                },
                {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "input_tokens": 2000,
                    "output_tokens": 100,
                },
            ]
        },
    )
    assert (status, answer["created"], answer["total_cost"]) == (201, 2, 0.0135), answer
    status, answer = api(
        serve,
        "POST",
        "/api/tokens/track",
        key,
        {"provider": "openai", "model": "gpt-4o", "inputTokens": 10_000, "outputTokens": 1_500},
    )
    assert (status, answer["success"], answer["data"]["cost"]) == (200, True, 0.04), answer

    # In the rollups (the worker merged them): exact totals.
    summary = serve.wait_until(
        lambda: (
            (answer := api(serve, "GET", "/api/metrics/summary", key))[0] == 200
            and answer[1]["total_requests"] == 3
            and answer[1]
        ),
        ROLLUP_TIMEOUT,
        "/api/metrics/summary to count the 3 events",
    )
    assert (
        summary["total_requests"],
        summary["total_tokens"],
        summary["total_spend"],
        summary["unpriced_requests"],
    ) == (3, 15_100, 0.0535, 0)
    assert summary["provider_breakdown"]["OpenAI"]["total_spend"] == 0.0535

    # And on the overview page.
    _, page = browser.open(overview)
    stats = re.findall(r'<span class="stat-value">(.*?)</span>', page, re.S)
    assert "$0.0535" in stats[0], stats
    assert stats[2:4] == ["3", "15,100"], stats

    # A clean stop: SIGTERM to the process manager, every process gone, make exits 0.
    assert serve.stop() == 0, serve.tail()
    for name, pid in processes.items():
        assert not alive(pid), f"{name} (pid {pid}) still running\n{serve.tail()}"
        assert not group_alive(pid), f"a process of {name}'s group is left\n{serve.tail()}"
    log = serve.log.read_text()
    for name in ("web", "worker", "beat"):
        assert f"serve: {name} stopped (exit code 0)" in log, serve.tail()
    assert "exited with code" not in log, "a process crashed and was restarted\n" + serve.tail()
    print(
        f"make serve answered after {ready_after:.1f} s; whole run {time.monotonic() - began:.1f} s"
    )
