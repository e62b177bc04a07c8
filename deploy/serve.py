"""`make serve`: the production shape on one machine, in one command.

1. Reads the environment file (`ENV_FILE`, default `.env` in the project; skipped when
   absent): one `NAME=value` a line, the format of the systemd units' EnvironmentFile.
   A variable already in the environment wins over the file.
2. Refuses to start on a setting production must not run with: `manage.py check --deploy
   --fail-level ERROR` (tokentracker.checks says what to set).
3. Migrates the database and collects the static files.
4. Runs every line of the Procfile (gunicorn, the Celery worker and beat), each in its own
   process group with this process's stdout and stderr, so their log lines reach the
   terminal or the journal as they wrote them. A process that exits on its own is started
   again after a pause (1 s, doubling up to 30 s; back to 1 s once it has run 30 s).
   SIGTERM or SIGINT stops them all: SIGTERM to each (gunicorn finishes its requests,
   the worker its tasks), SIGKILL to what is left after STOP_TIMEOUT_SECONDS (default 60);
   a second signal kills at once. Exits 0 when every process stopped cleanly.

Why not `honcho start`, which reads the same Procfile: it stops every process when one
exits instead of restarting it, kills the rest 5 s after a stop and exits 143 on SIGTERM;
supervisord is a daemon with a configuration language of its own, for one loop we can
write in a page. honcho still parses the Procfile and the environment file.

    python deploy/serve.py [--procfile Procfile] [--no-setup]
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from honcho.environ import parse, parse_procfile

PROJECT = Path(__file__).resolve().parent.parent
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
HEALTHY_AFTER = 30.0  # a process that ran this long starts again after the first pause
POLL = 0.2


def say(message: str) -> None:
    print(f"serve: {message}", file=sys.stderr, flush=True)


def environment_load(path: Path) -> None:
    """The file's variables under the environment's: `SECRET_KEY=x make serve` wins."""
    if not path.is_file():
        return
    for name, value in parse(path.read_text()).items():
        os.environ.setdefault(name, value)
    say(f"read {path}")


def setup_run(python: str) -> int:
    """Check the settings, migrate, collect static files; the first failure's code."""
    steps = [
        ["check", "--deploy", "--fail-level", "ERROR"],
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
    ]
    for step in steps:
        say("manage.py " + " ".join(step))
        code = subprocess.call([python, str(PROJECT / "manage.py"), *step], cwd=PROJECT)
        if code != 0:
            if step[0] == "check":
                say("refusing to start: set what the errors above name (README, Production)")
            return code
    return 0


@dataclass
class Child:
    """One Procfile line: the process running it now, and when it may start again."""

    name: str
    command: str
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = FIRST_PAUSE
    start_after: float = 0.0

    def start(self) -> None:
        # exec: the program itself is the group leader, so SIGTERM reaches gunicorn's or
        # Celery's master and not a shell that would die and leave it running.
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {self.command}"],
            cwd=PROJECT,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
        self.started_at = time.monotonic()
        say(f"{self.name} started (pid {self.popen.pid}): {self.command}")

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def group_alive(self) -> bool:
        """Whether any process of its group is left (a worker outliving its master)."""
        if self.popen is None:
            return False
        self.popen.poll()  # reaps it if it exited: a zombie would still count in its group
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_group(self, signum: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signum)


class Supervisor:
    def __init__(self, processes: dict[str, str], stop_timeout: float) -> None:
        self.children = [Child(name, command) for name, command in processes.items()]
        self.stop_timeout = stop_timeout
        self.stop_requested = 0

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested += 1
        say(f"{signal.Signals(signum).name} received: stopping")
        if self.stop_requested > 1:
            for child in self.children:
                child.signal_group(signal.SIGKILL)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        for child in self.children:
            child.start()
        while not self.stop_requested:
            now = time.monotonic()
            for child in self.children:
                if child.popen is None:
                    if now >= child.start_after:
                        child.start()
                elif not child.running():
                    self.restart_later(child, now)
            time.sleep(POLL)
        return self.stop()

    def restart_later(self, child: Child, now: float) -> None:
        assert child.popen is not None
        code = child.popen.returncode
        # Its workers would hold the port (gunicorn) or half a task (Celery) otherwise.
        child.signal_group(signal.SIGKILL)
        ran = now - child.started_at
        if ran >= HEALTHY_AFTER:
            child.pause = FIRST_PAUSE
        say(
            f"{child.name} exited with code {code} after {ran:.1f} s; starting it again in "
            f"{child.pause:g} s"
        )
        child.popen = None
        child.start_after = now + child.pause
        child.pause = min(child.pause * 2, LONGEST_PAUSE)

    def stop(self) -> int:
        for child in self.children:
            if child.running():
                assert child.popen is not None
                child.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while any(child.group_alive() for child in self.children):
            if time.monotonic() > deadline:
                for child in self.children:
                    if child.group_alive():
                        say(f"{child.name} still running after {self.stop_timeout:g} s: killed")
                        child.signal_group(signal.SIGKILL)
                break
            time.sleep(POLL)
        clean = True
        for child in self.children:
            if child.popen is None:
                continue
            code = child.popen.wait()
            child.signal_group(signal.SIGKILL)  # nothing of it may outlive us
            say(f"{child.name} stopped (exit code {code})")
            clean = clean and code == 0
        return 0 if clean else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procfile", type=Path, default=PROJECT / "Procfile")
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help="start the processes only: no check, migrate or collectstatic",
    )
    arguments = parser.parse_args()
    environment_load(Path(os.environ.get("ENV_FILE") or PROJECT / ".env"))
    # The Procfile's commands are the venv's, however this script was started.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    state = Path(os.environ.setdefault("STATE_DIRECTORY", str(PROJECT / "var")))
    state.mkdir(parents=True, exist_ok=True)
    raw_timeout = os.environ.get("STOP_TIMEOUT_SECONDS") or "60"
    try:
        stop_timeout = float(raw_timeout)
    except ValueError:
        say(f"STOP_TIMEOUT_SECONDS must be a number of seconds, got {raw_timeout!r}")
        return 2
    if not arguments.no_setup:
        code = setup_run(sys.executable)
        if code != 0:
            return code
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        # prometheus-client's multiprocess files of an earlier run would be summed with this
        # run's counters: the folder starts empty, shared by web, worker and beat.
        shutil.rmtree(metrics_dir, ignore_errors=True)
        Path(metrics_dir).mkdir(parents=True, exist_ok=True)
    processes = parse_procfile(arguments.procfile.read_text()).processes
    if not processes:
        say(f"{arguments.procfile} names no process")
        return 2
    return Supervisor(dict(processes), stop_timeout).run()


if __name__ == "__main__":
    sys.exit(main())
