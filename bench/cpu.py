"""Where a bench's CPU goes: seconds spent by each part of the one-machine install.

On a 2-core machine the web workers, the Celery worker, PostgreSQL, Redis and the bench's
own clients share the same cores, so a throughput figure alone cannot say which part to
make cheaper. A meter takes each part's CPU time (its process and every descendant,
living or reaped) before and after a phase; the difference divided by the events of the
phase is each part's cost per event, which the machine's noise moves far less than the
throughput.
"""

import threading
import time
from collections.abc import Callable, Iterator

import psutil


def _trees(roots: tuple[psutil.Process, ...]) -> Iterator[psutil.Process]:
    """The roots and their descendants, skipping whatever exits meanwhile."""
    for root in roots:
        try:
            yield from (root, *root.children(recursive=True))
        except psutil.NoSuchProcess:
            continue


def tree_seconds(*roots: psutil.Process) -> float:
    """CPU seconds of the roots and their descendants; reaped children count in their parent."""
    total = 0.0
    for process in _trees(roots):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def own_seconds() -> float:
    """CPU seconds of this process alone (all its threads), not of the servers it started."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def reaped_children_seconds() -> float:
    """CPU seconds of this process's children that have exited and been waited for."""
    times = psutil.Process().cpu_times()
    return times.children_user + times.children_system


def postgres_root() -> psutil.Process:
    """The PostgreSQL postmaster on this machine: its backends are its children."""
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] in ("postgres", "postmaster"):
            parent = process.parent()
            if parent is None or parent.name() not in ("postgres", "postmaster"):
                return process
    raise SystemExit("no PostgreSQL server process found on this machine")


def processes_named(name: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]


class CpuMeter:
    """CPU seconds per named part between `start()` and `stop()`, and the machine's busy time."""

    def __init__(self, parts: dict[str, Callable[[], float]]) -> None:
        self._parts = parts
        self._before: dict[str, float] = {}
        self._wall = 0.0

    def _read(self) -> dict[str, float]:
        seconds = {name: read() for name, read in self._parts.items()}
        machine = psutil.cpu_times()
        seconds["machine busy"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        seconds["machine steal"] = getattr(machine, "steal", 0.0)
        return seconds

    def start(self) -> None:
        self._before = self._read()
        self._wall = time.monotonic()

    def stop(self) -> dict[str, float]:
        """CPU seconds per part over the phase, with `wall` its length in seconds."""
        after = self._read()
        spent = {name: round(after[name] - self._before[name], 2) for name in after}
        spent["wall"] = round(time.monotonic() - self._wall, 2)
        return spent


def per_thousand(spent: dict[str, float], units: int) -> dict[str, float]:
    """CPU milliseconds per 1,000 events (or rows) of each part."""
    if not units:
        return {}
    return {
        name: round(seconds * 1000 / (units / 1000), 1)
        for name, seconds in spent.items()
        if name != "wall"
    }


def tree_rss_mb(*roots: psutil.Process) -> float:
    """Resident memory of the roots and their descendants, in MiB."""
    total = 0
    for process in _trees(roots):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return round(total / 2**20, 1)


class MemorySampler(threading.Thread):
    """Resident memory of named process trees every `every` seconds until `stop()`: a
    leak shows as a series that keeps climbing after warm-up."""

    def __init__(self, parts: dict[str, psutil.Process], every: float) -> None:
        super().__init__(daemon=True)
        self._parts = parts
        self._every = every
        self._stopped = threading.Event()
        self.samples: list[dict[str, float]] = []

    def run(self) -> None:
        started = time.monotonic()
        while True:
            sample = {"at_s": round(time.monotonic() - started)}
            sample.update({name: tree_rss_mb(root) for name, root in self._parts.items()})
            self.samples.append(sample)
            if self._stopped.wait(self._every):
                return

    def stop(self) -> list[dict[str, float]]:
        self._stopped.set()
        self.join()
        return self.samples
