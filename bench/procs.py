"""Real parts on loopback: the Tansu broker, the ledger as its own process, throwaway databases.

The ledger runs as `python -m services.ledger serve` with its settings in the environment, exactly as
the image and `make run` start it, so the benchmark client never shares the server's interpreter
(and its GIL) and the server's peak RSS can be read from /proc.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc

from duban.ledger.v1 import ledger_pb2_grpc
from libs.common.broker import Broker, free_port, start_broker
from scripts.stack import ROOT, ServiceProcess, wait_serving

# Every run of the ledger sees the same "today": the fixture's dates and lights are then reproducible
# whatever day the benchmark runs on (the shipped calendar covers 2024-2026).
FIXED_NOW = "2026-11-26T09:00:00+08:00"


@contextmanager
def broker(state_dir: Path) -> Iterator[Broker]:
    running = start_broker(0, log_path=state_dir / "broker.log")
    try:
        yield running
    finally:
        running.stop()


class LedgerProcess:
    """`python -m services.ledger serve` on a free loopback port, stopped with SIGTERM."""

    def __init__(self, state_dir: Path, database_url: str, bootstrap: str, name: str = "ledger") -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "DUBAN_SERVICE": "ledger",
                "DUBAN_DATABASE_URL": database_url,
                "DUBAN_KAFKA_BOOTSTRAP": bootstrap,
                "DUBAN_GRPC_PORT": str(self.port),
                "DUBAN_METRICS_PORT": "0",
                "DUBAN_FIXED_NOW": FIXED_NOW,
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.proc = ServiceProcess(
            name, [sys.executable, "-m", "services.ledger", "serve"], env, state_dir / f"{name}.log"
        )
        self.channel: grpc.Channel | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc.process is not None
        return self.proc.process.pid

    def start(self) -> LedgerProcess:
        self.proc.start()
        try:
            wait_serving(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            tail = self.proc.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"ledger did not start; log tail:\n{tail}") from None
        self.channel = grpc.insecure_channel(self.address)
        return self

    def stub(self) -> ledger_pb2_grpc.LedgerServiceStub:
        assert self.channel is not None
        return ledger_pb2_grpc.LedgerServiceStub(self.channel)

    def status(self, key: str) -> int:
        """A /proc/<pid>/status memory figure in kB (VmHWM = peak RSS, VmRSS = current)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the process has used so far."""
        rest = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        self.proc.stop(timeout=20)


@contextmanager
def ledger_process(state_dir: Path, database_url: str, bootstrap: str, name: str = "ledger") -> Iterator[LedgerProcess]:
    proc = LedgerProcess(state_dir, database_url, bootstrap, name)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def sqlite_url(state_dir: Path, name: str) -> str:
    path = state_dir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


class Deadline:
    """A wall-clock bound for a loop: every benchmark loop is bounded in count and in time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())


__all__ = ["ROOT", "Deadline", "LedgerProcess", "broker", "ledger_process", "sqlite_url"]
