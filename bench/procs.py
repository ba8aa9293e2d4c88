"""Real parts on loopback: the Tansu broker, the services as their own processes, throwaway databases.

A service runs as `python -m services.<service> serve` with its settings in the environment, exactly as
the image and `make run` start it, so the benchmark client never shares the server's interpreter
(and its GIL) and the server's peak RSS can be read from /proc.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import confluent_kafka
import grpc

from duban.ledger.v1 import ledger_pb2_grpc
from duban.notification.v1 import notification_pb2_grpc
from duban.tracking.v1 import tracking_pb2_grpc
from libs.common import call_auth, pgserver
from libs.common.broker import Broker, free_port, start_broker
from libs.common.broker_log import durable_broker
from scripts.stack import ROOT, ServiceProcess, wait_serving

# Every run of the ledger sees the same "today": the fixture's dates and lights are then reproducible
# whatever day the benchmark runs on (the shipped calendar covers 2024-2026).
FIXED_NOW = "2026-11-26T09:00:00+08:00"


# Where the benchmarks' broker keeps its log: "postgres" (as `make run` and the tests: a throwaway
# database) or "memory" (`--broker-log memory`, to measure what the durable log costs).
BROKER_LOG = {"kind": "postgres"}


@contextmanager
def broker(state_dir: Path) -> Iterator[Broker]:
    if BROKER_LOG["kind"] == "memory":
        running = start_broker(0, log_path=state_dir / "broker.log")
        try:
            yield running
        finally:
            running.stop()
        return
    with pgserver.admin_server(state_dir) as admin, durable_broker(admin, state_dir) as running:
        yield running


def call_keys(state_dir: Path) -> Path:
    """The run's call keys (written once per state directory): each service signs as itself, the
    benchmark client as `operator`, which names the people acting, as the gateway does."""
    directory = state_dir / "keys"
    if not (directory / "trusted.json").exists():
        call_auth.write_keys(directory, [("operator", True), ("gateway", True), ("ledger", False),
                                         ("tracking", False), ("notification", False),
                                         ("evaluation", False)])
    return directory


def client_channel(state_dir: Path, address: str, service: str) -> grpc.Channel:
    keys = call_keys(state_dir)
    signer = call_auth.Signer.load("operator", "operator-1", keys / "operator.pem", people=True)
    # Large replies (a page of 500 assignments) fit; the server side allows them too.
    return call_auth.signed_channel(address, signer, service,
                                    options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])


class ServiceUnderTest:
    """`python -m services.<service> serve` on a free loopback port, stopped with SIGTERM.

    `fixed_now=None` leaves the service on real time; `extra_env` adds or overrides settings.
    """

    service = "ledger"

    def __init__(
        self,
        state_dir: Path,
        database_url: str,
        bootstrap: str,
        name: str | None = None,
        fixed_now: str | None = FIXED_NOW,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        name = name or self.service
        self.name = name
        self.state_dir = state_dir
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "DUBAN_SERVICE": self.service,
                "DUBAN_DATABASE_URL": database_url,
                "DUBAN_KAFKA_BOOTSTRAP": bootstrap,
                "DUBAN_GRPC_PORT": str(self.port),
                "DUBAN_METRICS_PORT": "0",
                "PYTHONUNBUFFERED": "1",
                "DUBAN_CALL_TRUSTED_KEYS": str(call_keys(state_dir) / "trusted.json"),
                "DUBAN_CALL_SIGNING_KEY": str(call_keys(state_dir) / f"{self.service}.pem"),
                "DUBAN_CALL_KEY_ID": f"{self.service}-1",
            }
        )
        env.pop("DUBAN_FIXED_NOW", None)
        if fixed_now:
            env["DUBAN_FIXED_NOW"] = fixed_now
        env.update(self.service_env(state_dir))
        env.update(extra_env or {})
        self.proc = ServiceProcess(
            name, [sys.executable, "-m", f"services.{self.service}", "serve"], env, state_dir / f"{name}.log"
        )
        self.channel: grpc.Channel | None = None

    def service_env(self, state_dir: Path) -> dict[str, str]:
        """Settings this kind of service needs in a bench run (overridable by extra_env)."""
        return {}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc.process is not None
        return self.proc.process.pid

    def start(self):
        self.proc.start()
        try:
            wait_serving(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.name} did not start; log tail:\n{self.log_tail()}") from None
        self.channel = client_channel(self.state_dir, self.address, self.service)
        return self

    def log_tail(self, chars: int = 3000) -> str:
        path = self.proc.log_path
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def wait_log(self, needle: str, seconds: float) -> float:
        """Wait (bounded) until the process's log contains `needle`; returns the seconds waited."""
        started = time.monotonic()
        deadline = Deadline(seconds)
        while not deadline.passed:
            if needle in self.proc.log_path.read_text(errors="replace"):
                return time.monotonic() - started
            if not self.proc.alive:
                raise RuntimeError(f"{self.name} exited; log tail:\n{self.log_tail()}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: no {needle!r} in its log after {seconds:.0f} s; tail:\n{self.log_tail()}")

    def stub(self):
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


class LedgerProcess(ServiceUnderTest):
    service = "ledger"

    def stub(self) -> ledger_pb2_grpc.LedgerServiceStub:
        assert self.channel is not None
        return ledger_pb2_grpc.LedgerServiceStub(self.channel)


class TrackingProcess(ServiceUnderTest):
    """Tracking with its files in the state directory and the embedded sweeper off (runs are called)."""

    service = "tracking"

    def service_env(self, state_dir: Path) -> dict[str, str]:
        return {"DUBAN_STORAGE_DIR": str(state_dir / "files"), "DUBAN_SWEEP_INTERVAL_SECONDS": "0"}

    def stub(self) -> tracking_pb2_grpc.TrackingServiceStub:
        assert self.channel is not None
        return tracking_pb2_grpc.TrackingServiceStub(self.channel)


class NotificationProcess(ServiceUnderTest):
    """Notification with its files in the state directory and the embedded bulletin job off."""

    service = "notification"

    def service_env(self, state_dir: Path) -> dict[str, str]:
        return {"DUBAN_STORAGE_DIR": str(state_dir / "files"), "DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0"}

    def stub(self) -> notification_pb2_grpc.NotificationServiceStub:
        assert self.channel is not None
        return notification_pb2_grpc.NotificationServiceStub(self.channel)


@contextmanager
def _running(proc: ServiceUnderTest) -> Iterator:
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def ledger_process(state_dir: Path, database_url: str, bootstrap: str, name: str = "ledger", **options):
    return _running(LedgerProcess(state_dir, database_url, bootstrap, name, **options))


def tracking_process(state_dir: Path, database_url: str, bootstrap: str, name: str = "tracking", **options):
    return _running(TrackingProcess(state_dir, database_url, bootstrap, name, **options))


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


__all__ = [
    "ROOT",
    "Deadline",
    "LedgerProcess",
    "NotificationProcess",
    "ServiceUnderTest",
    "TrackingProcess",
    "broker",
    "ledger_process",
    "sqlite_url",
    "tracking_process",
]


def read_topic(bootstrap: str, topic: str, group: str, enough: Callable[[], bool],
               seconds: float = 30.0) -> Iterator[confluent_kafka.Message]:
    """Every record of `topic` from the beginning (assign(), no group offsets), until `enough()` holds and
    nothing came for a second, or `seconds` pass. Read rather than counted from the high watermarks:
    Tansu's ListOffsets answer lags behind what a consumer can already read (seen: 980 reported, 998)."""
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False, "fetch.wait.max.ms": 10}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in partitions])
        deadline = Deadline(seconds)
        idle_since = time.monotonic()
        while not deadline.passed:
            message = consumer.poll(0.2)
            if message is None or message.error():
                if enough() and time.monotonic() - idle_since > 1.0:
                    return
                continue
            idle_since = time.monotonic()
            yield message
    finally:
        consumer.close()
