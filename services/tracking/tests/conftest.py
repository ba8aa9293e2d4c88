"""Ledger and tracking together, in-process, on real gRPC servers, real databases and the session broker.

One ManualClock drives both, so tests move time instead of sleeping. The module fixture `pair` runs each
test module on SQLite, then on PostgreSQL (both services on the same kind), as the ledger's suite does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common.broker import Broker
from libs.common.clock import ManualClock
from libs.common.testing import postgres_database, running_service
from services.ledger.bootstrap import LedgerApp
from services.ledger.tests.conftest import START, started_ledger
from services.tracking.bootstrap import TrackingApp, bootstrap
from services.tracking.config import Settings

OFFICE = common_pb2.Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
FGJ = common_pb2.Actor(user_id="2", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
JYJ = common_pb2.Actor(user_id="3", name="刘洋", role="unit_staff", unit_id="jyj", person_id="st-liu2")
LEADER_LI = common_pb2.Actor(user_id="4", name="李明", role="leader", unit_id="dcs", person_id="ld-li")
LEADER_ZHAO = common_pb2.Actor(user_id="5", name="赵强", role="leader", unit_id="dcs", person_id="ld-zhao")


# How long a test waits for a state another service reaches through the broker. A pair started late in the
# session first reads what earlier modules left on the session's broker (4,079 tracking and 883 ledger
# records were there when these tests ran in one loaded CI run, and 20 s did not always suffice on
# PostgreSQL); a state that never comes still fails, after a minute.
EVENT_WAIT = 60.0


@dataclass
class Pair:
    ledger: ledger_pb2_grpc.LedgerServiceStub
    tracking: tracking_pb2_grpc.TrackingServiceStub
    clock: ManualClock
    app: TrackingApp
    ledger_app: LedgerApp | None = None  # the ledger's own, for tests that set its rows directly

    def register(self, **fields) -> ledger_pb2.Item:
        body: dict[str, Any] = dict(title=f"跟踪事项{uuid.uuid4().hex[:6]}", source="leader_assignment", category="general",
                    lead_unit_id="fgj", co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")],
                    responsible_leader_id="ld-li", actor=OFFICE) | fields
        return self.ledger.RegisterItem(ledger_pb2.RegisterItemRequest(**body), timeout=10).item

    def assignment(self, item_id: str, until: Callable[[tracking_pb2.Assignment], bool] = lambda a: True,
                   timeout: float = EVENT_WAIT) -> tracking_pb2.Assignment:
        """Wait (bounded) until the event-driven state is there; events cross the broker."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = self.tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=5).assignment
                if until(found):
                    return found
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"assignment {item_id} not in the expected state after {timeout}s")
            time.sleep(0.05)

    def ledger_item(self, item_id: str, until: Callable[[ledger_pb2.Item], bool], timeout: float = EVENT_WAIT):
        deadline = time.monotonic() + timeout
        while True:
            item = self.ledger.GetItem(ledger_pb2.GetItemRequest(id=item_id), timeout=5).item
            if until(item):
                return item
            if time.monotonic() > deadline:
                raise AssertionError(f"ledger item {item_id} not in the expected state: {item}")
            time.sleep(0.05)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pair(request: pytest.FixtureRequest, broker: Broker, tmp_path_factory) -> Iterator[Pair]:
    base = tmp_path_factory.mktemp("tracking")
    with running_pair(broker, base, {"DUBAN_STORAGE_DIR": str(base / "files")}, request.param) as running:
        yield running


@contextmanager
def running_pair(broker: Broker, base: Path, tracking_env: dict[str, str], kind: str = "sqlite") -> Iterator[Pair]:
    clock = ManualClock(START)
    with ExitStack() as stack:
        if kind == "sqlite":
            ledger_url, tracking_url = f"sqlite:///{base}/l.db", f"sqlite:///{base}/t.db"
        else:
            ledger_url = stack.enter_context(postgres_database("duban_pair_ledger"))
            tracking_url = stack.enter_context(postgres_database("duban_pair_tracking"))
        ledger = stack.enter_context(started_ledger(kind, ledger_url, broker, clock))
        tracking = stack.enter_context(running_service(
            bootstrap, Settings.from_env, broker.bootstrap, tracking_url, clock,
            {"DUBAN_SWEEP_INTERVAL_SECONDS": "0", **tracking_env}))
        yield Pair(ledger.stub, tracking.stub(), clock, tracking.app, ledger.app)
