"""Ledger and notification together, in-process, on real gRPC servers, real databases and the session broker.

Notification learns items from the ledger's events and registers bulletins' problems through the ledger's
gRPC, so every test module runs both; once on SQLite, once on PostgreSQL. What tracking and inspection say
about the items (closures, extensions, problems) the tests publish on their topics in their formats
(`Upstream`), as those services do, rather than walking each item through tracking's whole course.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message

from duban.common.v1 import common_pb2
from duban.inspection.v1 import events_pb2 as inspection_events
from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.notification.v1 import notification_pb2 as pb
from duban.notification.v1 import notification_pb2_grpc
from duban.tracking.v1 import events_pb2 as tracking_events
from duban.tracking.v1 import tracking_pb2
from libs.common import topics
from libs.common.broker import Broker
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.cloudevents import new_event
from libs.common.kafka import Producer
from libs.common.testing import postgres_database, running_service
from services.ledger.tests.conftest import START, started_ledger
from services.notification.bootstrap import NotificationApp, bootstrap
from services.notification.config import Settings
from services.notification.orm import KnownFinding, KnownItem

OFFICE = common_pb2.Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
PRINCIPAL = common_pb2.Actor(user_id="11", name="区长", role="principal_leader", unit_id="dcs", person_id="ld-chief")
LEADER_LI = common_pb2.Actor(user_id="4", name="李明", role="leader", unit_id="dcs", person_id="ld-li")
FGJ = common_pb2.Actor(user_id="2", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
SYSTEM_ACTOR = common_pb2.Actor(user_id="system", name="系统", role="system")
ASSESS = common_pb2.Actor(user_id="12", name="考核办", role="assessment", unit_id="khb", person_id="")


def ts(moment: dt.datetime) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


class Upstream:
    """Publishes tracking's and inspection's events on their topics, as those services' outboxes do."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.producer = Producer(bootstrap_servers, client_id="tests-upstream")

    def send(self, topic: str, source: str, type_: str, key: str, message: Message, at: dt.datetime) -> None:
        event = new_event(type_, topics.event_source(source), key, message, at)
        self.producer.produce(topic, value=event.data, key=key, headers=event.header_pairs())
        assert self.producer.flush(10) == 0

    def closed(self, item_id: str, on: dt.date) -> None:
        at = dt.datetime.combine(on, dt.time(16, 0), OFFICE_TZ)
        self.send(topics.TRACKING_EVENTS, "tracking", "item.closed", item_id, tracking_events.ItemClosed(
            item_id=item_id, completion=tracking_pb2.CompletionReport(signed_at=ts(at), approved=True)), at)

    def extended(self, item_id: str, original: dt.date, new: dt.date, reason: str = "需协调资金") -> None:
        at = dt.datetime.combine(original - dt.timedelta(days=2), dt.time(10, 0), OFFICE_TZ)
        self.send(topics.TRACKING_EVENTS, "tracking", "extension.approved", item_id, tracking_events.ExtensionDecided(
            item_id=item_id, extension=tracking_pb2.Extension(reason=reason, new_due_date=new.isoformat(),
                                                              status="approved"),
            due_date=new.isoformat(), original_due_date=original.isoformat()), at)

    def finding(self, finding_id: str, item: ledger_pb2.Item, status: str, due: dt.date, on: dt.date) -> None:
        at = dt.datetime.combine(on, dt.time(11, 0), OFFICE_TZ)
        self.send(topics.INSPECTION_EVENTS, "inspection", "finding.recorded", item.id, inspection_events.FindingRecorded(
            finding=inspection_pb2.Finding(id=finding_id, item_id=item.id, item_no=item.item_no, unit_id=item.units[0].unit_id,
                                           unit_name=item.units[0].unit_name, text="台账未及时更新", category="台账缺失",
                                           severity="general", recorded_at=ts(at))), at)
        self.send(topics.INSPECTION_EVENTS, "inspection", f"rectification.{status}", item.id,
                  inspection_events.RectificationChanged(finding_id=finding_id, item_id=item.id, status=status,
                                                         due_date=due.isoformat(), at=ts(at)), at)


@dataclass
class Duo:
    ledger: ledger_pb2_grpc.LedgerServiceStub
    notification: notification_pb2_grpc.NotificationServiceStub
    clock: ManualClock
    app: NotificationApp
    upstream: Upstream

    def register(self, **fields: Any) -> ledger_pb2.Item:
        body: dict[str, Any] = dict(title=f"督查事项{uuid.uuid4().hex[:6]}", source="leader_assignment",
                                    category="general", lead_unit_id="fgj", responsible_leader_id="ld-li",
                                    actor=OFFICE) | fields
        item = self.ledger.RegisterItem(ledger_pb2.RegisterItemRequest(**body), timeout=10).item
        self.wait(lambda: self.known(item.id) is not None)
        return item

    def known(self, item_id: str) -> KnownItem | None:
        with self.app.uow.read() as tx:
            row = tx.session.get(KnownItem, item_id)
            return row if row is not None and row.item_no else None

    def finding_known(self, finding_id: str, status: str) -> bool:
        with self.app.uow.read() as tx:
            row = tx.session.get(KnownFinding, finding_id)
            return row is not None and row.rect_status == status

    @staticmethod
    def wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.05)

    def document(self, bulletin_id: str, fmt: str, actor: common_pb2.Actor = OFFICE) -> bytes:
        chunks = self.notification.GetBulletinDocument(pb.GetBulletinDocumentRequest(
            bulletin_id=bulletin_id, format=fmt, actor=actor), timeout=120)
        return b"".join(c.data for c in chunks)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def duo(request: pytest.FixtureRequest, broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Duo]:
    base = tmp_path_factory.mktemp("notification")
    with running_duo(broker, base, request.param) as running:
        yield running


@contextmanager
def running_duo(broker: Broker, base: Path, kind: str = "sqlite", env: dict[str, str] | None = None) -> Iterator[Duo]:
    clock = ManualClock(START)
    with ExitStack() as stack:
        if kind == "sqlite":
            ledger_url, notification_url = f"sqlite:///{base}/l.db", f"sqlite:///{base}/n.db"
        else:
            ledger_url = stack.enter_context(postgres_database("duban_notif_ledger"))
            notification_url = stack.enter_context(postgres_database("duban_notif"))
        ledger = stack.enter_context(started_ledger(kind, ledger_url, broker, clock))
        running = stack.enter_context(running_service(
            bootstrap, Settings.from_env, broker.bootstrap, notification_url, clock,
            {"DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0", "DUBAN_STORAGE_DIR": str(base / "files"),
             "DUBAN_LEDGER_ADDR": f"127.0.0.1:{ledger.port}", "DUBAN_BULLETIN_COMMEND_MIN_CLOSED": "1",
             **(env or {})}))
        yield Duo(ledger.stub, running.stub(), clock, running.app, Upstream(broker.bootstrap))
