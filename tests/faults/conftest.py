"""Real parts for the fault tests, each one ours to break: a redis-server on a free port
(broker and cache), gunicorn and a Celery worker as subprocesses on pytest-django's test
database, and an HTTP client that retries like a careful integration does.

Every process runs in its own session, so stopping it kills its whole process group (the
prefork pool's children, gunicorn's workers); every fixture stops what it started, even when
the test fails. The subprocesses read the same settings as production, from the
environment: DATABASE_URL naming the test database, REDIS_URL our own redis-server.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from tokentracker import services as tenancy
from tokentracker.models import Organization
from usage.models import DailyRollup, HourlyRollup, RollupDelta, UsageEvent

START_TIMEOUT = 30  # seconds for a process to come up (2 shared cores, Django imports)
STOP_TIMEOUT = 10


def fault_skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return (
            "fault tests need PostgreSQL: run with DATABASE_URL=postgres://... and REDIS_URL "
            "(the PostgreSQL + Redis pass of .ci/run)"
        )
    if not settings.REDIS_URL:
        return "fault tests need Redis: run with REDIS_URL set (the PostgreSQL + Redis pass)"
    if shutil.which("redis-server") is None:
        return "fault tests start their own redis-server: install it (apt-get install redis-server)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Skipped before their fixtures run: no test database is set up just to be skipped.
    reason = fault_skip_reason()
    if reason:
        for item in items:
            if item.get_closest_marker("fault"):
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    # The OS hands out a port nothing listens on; the process binds it a moment later.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Process:
    """A subprocess in its own process group, logging to a file the assertions can quote."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def wait_ready(self) -> None:
        """Return once the process serves; the base class has nothing to wait for."""

    def launch(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (SIGKILL: no goodbye, as the OOM killer does it)."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=STOP_TIMEOUT)
        # Reap what is left of the group (pool children outliving their parent).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return f"--- last lines of {self.name} ---\n" + "\n".join(
            self.output().splitlines()[-lines:]
        )

    def wait_for_output(self, pattern: str, timeout: float, after: int = 0) -> None:
        regex = re.compile(pattern)

        def seen():
            if not self.alive():
                raise AssertionError(f"{self.name} exited\n{self.tail()}")
            return regex.search(self.output()[after:])

        try:
            wait_until(seen, timeout, what=f"{self.name} to log {pattern!r}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.tail()}") from None


class RedisServer(Process):
    def __init__(self, tmp: Path):
        self.port = free_port()
        super().__init__(
            "redis-server",
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            dict(os.environ),
            tmp / "redis.log",
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self) -> None:
        wait_until(self._answers, START_TIMEOUT, 0.05, "redis-server to accept connections")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self, down_for: float = 1.0) -> None:
        """Stop it (its queued messages are gone with it: no persistence) and start anew."""
        self.kill()
        time.sleep(down_for)
        self.start()


def fault_database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def subprocess_env(redis: RedisServer, role: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=fault_database_url(),
        REDIS_URL=redis.url,
        DJANGO_SETTINGS_MODULE="tokentracker.settings",
        PYTHONUNBUFFERED="1",
        # libpq's application_name: pg_stat_activity tells the web's backends from the
        # worker's.
        PGAPPNAME=f"tokentracker-{role}",
        # The processes are reached over plain http on loopback: production's redirect to
        # https would send every request to a TLS port that is not there.
        SECURE_SSL_REDIRECT="false",
    )
    return env


class Worker(Process):
    def __init__(self, tmp: Path, redis: RedisServer):
        super().__init__(
            "celery worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tokentracker",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                f"--hostname=fault-{redis.port}@%h",
            ],
            subprocess_env(redis, "worker"),
            tmp / "worker.log",
        )

    def launch(self) -> None:
        self.offset = len(self.output())
        super().launch()

    def wait_ready(self) -> None:
        self.wait_for_output(r"@\S+ ready\.", START_TIMEOUT, after=self.offset)


class Beat(Process):
    """Beat as production runs it: the periodic merge is the safety net for a lost one."""

    def __init__(self, tmp: Path, redis: RedisServer):
        super().__init__(
            "celery beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tokentracker",
                "beat",
                "--loglevel=INFO",
                f"--schedule={tmp / 'beat-schedule'}",
            ],
            subprocess_env(redis, "beat"),
            tmp / "beat.log",
        )

    def launch(self) -> None:
        self.offset = len(self.output())
        super().launch()

    def wait_ready(self) -> None:
        self.wait_for_output(r"beat: Starting", START_TIMEOUT, after=self.offset)


class Web(Process):
    def __init__(self, tmp: Path, redis: RedisServer):
        self.port = free_port()
        super().__init__(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tokentracker.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=2",
                "--timeout=30",
                # Not the one control socket in $HOME every gunicorn on the host shares.
                "--no-control-socket",
            ],
            subprocess_env(redis, "web"),
            tmp / "gunicorn.log",
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        # The liveness path: /api/health is 503 here, with no collected static files.
        wait_until(
            lambda: self.get("/api/health/live")[0] == 200,
            START_TIMEOUT,
            0.2,
            "gunicorn to answer",
        )

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 10):
        """(status, parsed JSON or None, headers); status None when no answer came back."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, raw, got = exc.code, exc.read(), exc.headers
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None, None, {}
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed, got

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body, key: str, idempotency_key: str | None = None):
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.request("POST", path, body, headers)

    def post_until_acknowledged(
        self, path: str, body, key: str, idempotency_key: str, attempts: int = 30
    ):
        """What a careful client does: retry with the same Idempotency-Key until a 2xx."""
        answers = []
        for _ in range(attempts):
            status, parsed, headers = self.post(path, body, key, idempotency_key)
            answers.append(status)
            if status is not None and 200 <= status < 300:
                return parsed, headers, answers
            time.sleep(0.2)
        raise AssertionError(f"{path} never acknowledged: {answers}\n{self.tail()}")


@dataclass
class Parts:
    redis: RedisServer
    web: Web
    worker: Worker
    beat: Beat
    key: str
    organization: Organization

    @property
    def organization_id(self) -> int:
        return self.organization.id


@pytest.fixture
def parts(transactional_db, tmp_path):
    """Redis, gunicorn, a worker and beat on the test database, and an organization's key.

    The processes see only committed rows, hence transactional_db. Nothing here needs the
    rows data migrations wrote (the default plan is created on demand), so the tests run
    without serialized rollback, which cost ~30 s a test to reload on a loaded machine.
    """
    from tests.factories import OrganizationFactory

    organization = OrganizationFactory(slug="faults")
    key = tenancy.api_key_create(organization=organization, name="faults").raw_key
    redis = RedisServer(tmp_path)
    web = Web(tmp_path, redis)
    worker = Worker(tmp_path, redis)
    beat = Beat(tmp_path, redis)
    started: list[Process] = []
    try:
        redis.start()
        started.append(redis)
        for process in (worker, beat, web):  # side by side: each spends seconds importing
            started.append(process)
            process.launch()
        for process in (worker, beat, web):
            process.wait_ready()
        yield Parts(redis, web, worker, beat, key, organization)
    finally:
        # Web and worker first: they hold connections to the test database, which must be
        # flushed (and at the end of the session dropped) after this test.
        for process in (web, worker, beat, redis):
            process.kill()
        for process in started:  # shown by pytest when the test failed
            print(process.tail())


def batch(prefix: str, count: int, hour: str, tokens: int = 100) -> dict:
    """`count` events with ids `<prefix>-<n>`, at `hour` (ISO), tokens varying by n."""
    return {
        "events": [
            {
                "id": f"{prefix}-{n}",
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": tokens + n,
                "output_tokens": 2 * n + 1,
                "occurred_at": hour,
            }
            for n in range(count)
        ]
    }


class Ingest:
    """Sends batches through /api/v1/events like a careful client (one Idempotency-Key per
    batch, retried until a 2xx) and remembers every event id the server acknowledged."""

    def __init__(self, parts: Parts):
        self.parts = parts
        self.acknowledged: list[str] = []
        self.answers: list[int | None] = []
        self.bodies: dict[str, dict] = {}

    def send(self, name: str, count: int, hour: str) -> dict:
        body = batch(name, count, hour)
        parsed, _, answers = self.parts.web.post_until_acknowledged(
            "/api/v1/events", body, self.parts.key, f"key-{name}"
        )
        self.acknowledged += [event["id"] for event in body["events"]]
        self.answers += answers
        self.bodies[name] = body
        return parsed

    def resend(self, name: str):
        """The same request again, as after a response lost on the way back."""
        return self.parts.web.post(
            "/api/v1/events", self.bodies[name], self.parts.key, f"key-{name}"
        )


def stored_event_ids(organization_id: int) -> list[str]:
    return sorted(
        UsageEvent.objects.filter(organization_id=organization_id).values_list(
            "client_event_id", flat=True
        )
    )


ROLLUP_SUMS = ("events", "input_tokens", "output_tokens", "total_tokens", "cost")


def raw_sums(organization_id: int, trunc) -> list[dict]:
    rows = (
        UsageEvent.objects.filter(organization_id=organization_id)
        .annotate(bucket=trunc("occurred_at"))
        .values("bucket")
        .annotate(
            events=Count("id"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            total_tokens=Sum("total_tokens"),
            cost=Coalesce(
                Sum("total_cost"), 0, output_field=UsageEvent._meta.get_field("total_cost")
            ),
        )
        .order_by("bucket")
    )
    return [dict(row) for row in rows]


def rollup_sums(organization_id: int, model) -> list[dict]:
    rows = (
        model.objects.filter(organization_id=organization_id)
        .values("hour")
        .annotate(
            events=Sum("events"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            total_tokens=Sum("total_tokens"),
            cost=Sum("cost"),
        )
        .order_by("hour")
    )
    return [{"bucket": row["hour"], **{k: row[k] for k in ROLLUP_SUMS}} for row in rows]


def rollups_converged(organization_id: int, timeout: float = 30) -> dict:
    """Poll until no delta waits and both rollups equal the raw events' sums; returns them
    (the caller asserts, so a timeout still shows what differed)."""

    def state():
        return {
            "pending_deltas": RollupDelta.objects.filter(organization_id=organization_id).count(),
            "hourly": rollup_sums(organization_id, HourlyRollup),
            "daily": rollup_sums(organization_id, DailyRollup),
            "raw_hourly": raw_sums(organization_id, TruncHour),
            "raw_daily": raw_sums(organization_id, TruncDay),
        }

    deadline = time.monotonic() + timeout
    while True:
        now = state()
        done = (
            now["pending_deltas"] == 0
            and now["hourly"] == now["raw_hourly"]
            and now["daily"] == now["raw_daily"]
        )
        if done or time.monotonic() > deadline:
            return now
        time.sleep(0.5)
