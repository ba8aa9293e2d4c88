"""Ledger and tracking in-process on fixed loopback ports, each started and stopped at will, around a broker
of the test's own that can be killed: what the lost-events tests are made of."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select, text

from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common.broker import Broker, free_port
from libs.common.clock import ManualClock
from libs.common.outbox import pending_count, processed_events
from libs.common.runtime import Runtime
from libs.common.testing import call_keys, signed_channel
from services.ledger.bootstrap import LedgerApp
from services.ledger.bootstrap import bootstrap as ledger_bootstrap
from services.ledger.config import Settings as LedgerSettings
from services.ledger.tests.conftest import OFFICE, START, seed_directory
from services.tracking.bootstrap import TrackingApp
from services.tracking.bootstrap import bootstrap as tracking_bootstrap
from services.tracking.config import Settings as TrackingSettings


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.1)


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def gap_events(service: str, source: str) -> float:
    return REGISTRY.get_sample_value("duban_reconcile_gap_events_total", {"service": service, "source": source}) or 0.0


@dataclass
class Services:
    """`start("ledger")`, `stop("tracking")`, ...: the same databases and ports every time."""

    base: Path
    broker: Broker
    reconcile: bool = True
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    ports: dict[str, int] = field(default_factory=lambda: {"ledger": free_port(), "tracking": free_port()})
    prefix: str = field(default_factory=lambda: f"lost{uuid.uuid4().hex[:6]}-")
    born_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)  # restarts keep it
    apps: dict[str, LedgerApp | TrackingApp] = field(default_factory=dict)
    runtimes: dict[str, Runtime] = field(default_factory=dict)

    def _env(self, service: str) -> dict[str, str]:
        env = {"DUBAN_KAFKA_BOOTSTRAP": self.broker.bootstrap, "DUBAN_GRPC_PORT": str(self.ports[service]),
               "DUBAN_METRICS_PORT": "0", "DUBAN_CONSUMER_GROUP_PREFIX": self.prefix,
               "DUBAN_CONSUMER_SKIP_BEFORE_MS": str(self.born_ms),
               "DUBAN_DATABASE_URL": f"sqlite:///{self.base}/{service}.db", "DUBAN_SWEEP_INTERVAL_SECONDS": "0",
               "DUBAN_STORAGE_DIR": str(self.base / "files"),
               # Settled after a second, checked every second: a test's scale of the defaults (60 s).
               "DUBAN_RECONCILE_SETTLE_SECONDS": "1", "DUBAN_RECONCILE_INTERVAL_SECONDS": "1",
               **call_keys().env(service)}
        if self.reconcile:
            env |= {"DUBAN_LEDGER_ADDR": f"127.0.0.1:{self.ports['ledger']}",
                    "DUBAN_TRACKING_ADDR": f"127.0.0.1:{self.ports['tracking']}"}
        return env

    def start(self, service: str) -> None:
        runtime = Runtime(f"lost-{service}")
        if service == "ledger":
            app: LedgerApp | TrackingApp = ledger_bootstrap(LedgerSettings.from_env(self._env(service)), clock=self.clock)
        else:
            app = tracking_bootstrap(TrackingSettings.from_env(self._env(service)), clock=self.clock)
        app.start(runtime, host="127.0.0.1")
        self.apps[service], self.runtimes[service] = app, runtime

    def stop(self, service: str) -> None:
        self.runtimes.pop(service).shutdown()
        self.apps.pop(service).parts.engine.dispose()

    def stop_all(self) -> None:
        for service in list(self.runtimes):
            self.stop(service)

    def engine(self, service: str) -> Engine:
        return self.apps[service].parts.engine

    def register(self, n: int) -> list[str]:
        with signed_channel(f"127.0.0.1:{self.ports['ledger']}", "ledger") as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            seed_directory(stub)
            return [stub.RegisterItem(ledger_pb2.RegisterItemRequest(
                title=f"丢失事件{i}", source="other", category="general", lead_unit_id="fgj", actor=OFFICE),
                timeout=10).item.id for i in range(n)]

    def issue_notices(self, items: set[str]) -> None:
        with signed_channel(f"127.0.0.1:{self.ports['tracking']}", "tracking") as channel:
            stub = tracking_pb2_grpc.TrackingServiceStub(channel)
            for item_id in sorted(items):
                stub.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item_id, contact_name="王芳", actor=OFFICE),
                                 timeout=10)

    def all_sent(self, service: str, seconds: float = 60.0) -> None:
        wait_for(lambda: pending_count(self.engine(service)) == 0, seconds, f"{service}'s outbox sent")

    def assignments(self) -> set[str]:
        with self.engine("tracking").connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT item_id FROM assignments"))}

    def assigned_in_ledger(self) -> set[str]:
        with self.engine("ledger").connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT id FROM items WHERE status = 'notified' AND assigned_on IS NOT NULL"))}

    def processed(self, service: str) -> tuple[int, int]:
        """(rows, distinct event ids) in the service's processed_events."""
        with self.engine(service).connect() as conn:
            return tuple(conn.execute(select(func.count(), func.count(processed_events.c.event_id.distinct()))).one())  # type: ignore[return-value]

