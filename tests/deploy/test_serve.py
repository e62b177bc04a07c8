"""deploy/serve.py's supervision (`make serve`), with real processes: small Python programs
in a Procfile of the test's own, started with --no-setup (no check, migrate or
collectstatic: tests/smoke/ runs the whole of `make serve`). One test runs the setup and
sees it refuse the first run's settings before starting anything."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings

SERVE = Path(settings.BASE_DIR) / "deploy" / "serve.py"
TIMEOUT = 20

# A process as the Procfile runs them: it records its pid, starts a child of its own (as
# gunicorn and Celery start workers), then waits; SIGTERM ends it with code 0 unless told
# to ignore it. With CRASH_FIRST it exits with code 3 the first time it runs.
PROGRAM = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    name, folder = sys.argv[1], sys.argv[2]
    runs = os.path.join(folder, name + ".runs")
    with open(runs, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    first = len(open(runs).read().split()) == 1
    if os.environ.get("CRASH_FIRST") == name and first:
        sys.exit(3)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(os.path.join(folder, name + ".child"), "w") as handle:
        handle.write(str(child.pid))
    if os.environ.get("IGNORE_TERM") == name:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        def stop(signum, frame):
            child.terminate()
            child.wait()
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
    with open(os.path.join(folder, name + ".env"), "w") as handle:
        handle.write(os.environ.get("SERVE_TEST_VALUE", ""))
    while True:
        time.sleep(0.1)
    """
)


def wait_until(predicate, what: str, serve: "Serve", timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{serve.output()}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; it only waits for its parent to read its code.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Serve:
    def __init__(
        self,
        tmp_path: Path,
        names: list[str],
        setup: bool = False,
        unset: tuple[str, ...] = (),
        **env: str,
    ):
        self.folder = tmp_path
        program = tmp_path / "program.py"
        program.write_text(PROGRAM)
        procfile = tmp_path / "Procfile"
        procfile.write_text(
            "# comments and blank lines are skipped\n\n"
            + "".join(f"{name}: python {program} {name} {tmp_path}\n" for name in names)
        )
        self.log = tmp_path / "serve.log"
        arguments = [sys.executable, str(SERVE), "--procfile", str(procfile)]
        if not setup:
            arguments.append("--no-setup")
        environment = {
            **{name: value for name, value in os.environ.items() if name not in unset},
            "STATE_DIRECTORY": str(tmp_path / "state"),
            "ENV_FILE": str(tmp_path / "absent.env"),
            **env,
        }
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                arguments,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def pids(self, name: str) -> list[int]:
        path = self.folder / f"{name}.runs"
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def child_pid(self, name: str) -> int:
        path = self.folder / f"{name}.child"
        wait_until(path.exists, f"{name} to start its child", self)
        return int(path.read_text())

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.popen.send_signal(signum)
        return self.popen.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        """Whatever a failed test left running."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        for path in self.folder.glob("*.runs"):
            for pid in [int(p) for p in path.read_text().split()]:
                for target in (pid, self._child_of(path)):
                    if target and alive(target):
                        os.kill(target, signal.SIGKILL)

    def _child_of(self, runs: Path) -> int | None:
        child = runs.with_suffix(".child")
        return int(child.read_text()) if child.exists() else None


@pytest.fixture
def serve(tmp_path):
    started: list[Serve] = []

    def start(names: list[str], **kwargs) -> Serve:
        started.append(Serve(tmp_path, names, **kwargs))
        return started[-1]

    yield start
    for one in started:
        one.kill()


def test_sigterm_stops_every_process_and_their_children_and_exits_0(serve):
    running = serve(["web", "worker"])
    children = [running.child_pid("web"), running.child_pid("worker")]
    programs = running.pids("web") + running.pids("worker")
    assert len(programs) == 2
    assert running.stop() == 0
    assert not any(alive(pid) for pid in programs + children)
    output = running.output()
    assert "serve: SIGTERM received: stopping" in output
    assert "serve: web stopped (exit code 0)" in output
    assert "serve: worker stopped (exit code 0)" in output


def test_a_process_that_exits_is_started_again_after_a_pause_and_its_children_killed(serve):
    running = serve(["web", "worker"], CRASH_FIRST="worker")
    wait_until(lambda: len(running.pids("worker")) == 2, "the worker to start again", running)
    assert "serve: worker exited with code 3 after " in running.output()
    assert "; starting it again in 1 s" in running.output()
    # The other process ran on undisturbed.
    assert len(running.pids("web")) == 1
    running.child_pid("worker")
    assert running.stop() == 0


def test_a_crashed_process_leaves_no_child_behind(serve):
    running = serve(["web"])
    child = running.child_pid("web")
    (first,) = running.pids("web")
    os.kill(first, signal.SIGKILL)  # as the OOM killer does: no chance to stop its child
    wait_until(lambda: len(running.pids("web")) == 2, "web to start again", running)
    wait_until(lambda: not alive(child), "the old child to be killed", running)
    assert "serve: web exited with code -9 after " in running.output()
    assert running.stop() == 0


def test_a_process_ignoring_sigterm_is_killed_after_the_stop_timeout_and_the_exit_is_1(serve):
    running = serve(["web", "stubborn"], IGNORE_TERM="stubborn", STOP_TIMEOUT_SECONDS="1")
    stubborn_child = running.child_pid("stubborn")
    running.child_pid("web")
    started = time.monotonic()
    assert running.stop() == 1
    assert time.monotonic() - started < 5
    (stubborn,) = running.pids("stubborn")
    assert not alive(stubborn)
    assert not alive(stubborn_child)
    output = running.output()
    assert "serve: stubborn still running after 1 s: killed" in output
    assert "serve: stubborn stopped (exit code -9)" in output
    assert "serve: web stopped (exit code 0)" in output


def test_a_second_signal_kills_at_once(serve):
    running = serve(["stubborn"], IGNORE_TERM="stubborn")
    running.child_pid("stubborn")
    running.popen.send_signal(signal.SIGINT)
    wait_until(lambda: "SIGINT received" in running.output(), "the first signal", running)
    assert running.stop(signal.SIGINT) == 1
    (stubborn,) = running.pids("stubborn")
    assert not alive(stubborn)


def test_the_environment_file_fills_what_the_environment_leaves_unset(serve, tmp_path):
    env_file = tmp_path / "tokentracker.env"
    env_file.write_text("# the deployment's settings\nSERVE_TEST_VALUE=from-the-file\n")
    running = serve(["web"], ENV_FILE=str(env_file))
    running.child_pid("web")
    wait_until((tmp_path / "web.env").exists, "web to write its environment", running)
    assert (tmp_path / "web.env").read_text() == "from-the-file"
    assert f"serve: read {env_file}" in running.output()
    assert running.stop() == 0

    (tmp_path / "web.env").unlink()
    (tmp_path / "web.child").unlink()
    running = serve(["web"], ENV_FILE=str(env_file), SERVE_TEST_VALUE="from-the-environment")
    running.child_pid("web")
    wait_until((tmp_path / "web.env").exists, "web to write its environment", running)
    assert (tmp_path / "web.env").read_text() == "from-the-environment"
    assert running.stop() == 0


def test_unsafe_settings_stop_it_before_migrating_or_starting_anything(serve, tmp_path):
    # The first run's defaults: no SECRET_KEY, SQLite, no Redis, ...
    unset = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
    running = serve(["web"], setup=True, unset=unset)
    assert running.popen.wait(timeout=60) == 1
    output = running.output()
    assert "(tokentracker.E002) SECRET_KEY is not set" in output
    assert "(tokentracker.E006) REDIS_URL is not set" in output
    assert "serve: refusing to start: set what the errors above name" in output
    assert "manage.py migrate" not in output
    assert running.pids("web") == []


def test_a_procfile_without_processes_is_refused(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("# nothing here\n")
    result = subprocess.run(
        [sys.executable, str(SERVE), "--procfile", str(procfile), "--no-setup"],
        env={**os.environ, "STATE_DIRECTORY": str(tmp_path), "ENV_FILE": str(tmp_path / "no")},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert f"serve: {procfile} names no process" in result.stderr
