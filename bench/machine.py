"""How busy the machine is with work that is not the benchmark's.

Benchmarks here share two cores with whatever else runs (other test suites, browsers). The monitor
samples /proc every half second and splits the CPU time into ours (this process and its descendants:
ledger, broker, gunicorn, wrk; and the PostgreSQL backends serving our throwaway databases) and
others, so every table can say how much of the machine it really had.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
OUR_DATABASES = "duban_bench_"  # cmdline of a PostgreSQL backend names its database


def _busy_jiffies() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, utime+stime jiffies, cmdline head)."""
    result = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()[:200].decode(errors="replace")
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid ... utime(11) stime(12)
        result[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), cmd)
    return result


@dataclass
class Window:
    seconds: float = 0.0
    other_jiffies: int = 0
    peak_other: float = 0.0  # cores, in the busiest half-second sample

    @property
    def other_cores(self) -> float:
        return self.other_jiffies / TICKS / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        return (
            f"other processes on this machine used {self.other_cores:.2f} of {os.cpu_count()} cores on average "
            f"(peak {self.peak_other:.1f}) while this was measured"
        )


class CpuMonitor:
    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.root = os.getpid()
        self._windows: list[Window] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-monitor", daemon=True)

    def _ours(self, procs: dict[int, tuple[int, int, str]]) -> set[int]:
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        ours, todo = set(), [self.root]
        while todo:
            pid = todo.pop()
            ours.add(pid)
            todo += children.get(pid, [])
        ours |= {pid for pid, (_, _, cmd) in procs.items() if OUR_DATABASES in cmd}
        return ours

    def _run(self) -> None:
        busy, procs, at = _busy_jiffies(), _processes(), time.monotonic()
        while not self._stop.wait(self.interval):
            busy2, procs2, at2 = _busy_jiffies(), _processes(), time.monotonic()
            ours = self._ours(procs2)
            ours_delta = sum(procs2[p][1] - procs[p][1] for p in ours if p in procs)
            other = max(0, (busy2 - busy) - ours_delta)
            elapsed = at2 - at
            with self._lock:
                for window in self._windows:
                    window.seconds += elapsed
                    window.other_jiffies += other
                    window.peak_other = max(window.peak_other, other / TICKS / elapsed)
            busy, procs, at = busy2, procs2, at2

    def start(self) -> CpuMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    @contextmanager
    def window(self) -> Iterator[Window]:
        window = Window()
        with self._lock:
            self._windows.append(window)
        try:
            yield window
        finally:
            with self._lock:
                self._windows.remove(window)

    def wait_quiet(self, max_seconds: float, threshold: float = 0.3, span: float = 3.0) -> Window:
        """Wait (bounded) until other processes use under `threshold` cores over `span` seconds."""
        deadline = time.monotonic() + max_seconds
        while True:
            with self.window() as window:
                time.sleep(span)
            if window.other_cores < threshold or time.monotonic() >= deadline:
                return window


MONITOR = CpuMonitor()

# Seconds to wait, at most, for the machine to quieten before a measurement (set by --quiet-wait).
QUIET_WAIT = {"seconds": 20.0}


def settle() -> None:
    """Before a measurement: give other processes' bursts (bounded) time to pass."""
    if QUIET_WAIT["seconds"] > 0:
        MONITOR.wait_quiet(QUIET_WAIT["seconds"], span=2.0)


def tree_cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and its live descendants (e.g. gunicorn master + workers)."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            total += procs[pid][1]
        todo += children.get(pid, [])
    return total / TICKS


def cpu_reference_ms() -> float:
    """Milliseconds for sum(range(10**6)), best of 5: one number to compare this machine's core with
    another's when reading tables from different runs (every target here is in wall-clock time)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        sum(range(10**6))
        best = min(best, time.perf_counter() - started)
    return best * 1000
