"""Evaluation in-process on a real gRPC server, a real database (SQLite, and PostgreSQL) and the session
broker. What the other services say about items the tests publish on their topics in their formats
(`Upstream`), as their outboxes do: the evaluation service knows them only by their events."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.ledger.v1 import events_pb2 as ledger_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from duban.tracking.v1 import tracking_pb2
from libs.common import topics
from libs.common.broker import Broker
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.cloudevents import CloudEvent, new_event
from libs.common.kafka import Producer
from libs.common.testing import postgres_database, running_service
from services.evaluation.bootstrap import bootstrap
from services.evaluation.config import Settings

START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=OFFICE_TZ)
OFFICE = common_pb2.Actor(user_id="1", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
ASSESS = common_pb2.Actor(user_id="12", name="赵考核", role="assessment", unit_id="khb", person_id="as-zhao")
FGJ = common_pb2.Actor(user_id="2", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
FGJ_SUPERVISOR = common_pb2.Actor(user_id="3", name="周督查", role="dept_supervisor", unit_id="fgj",
                                  person_id="st-zhou")
JYJ = common_pb2.Actor(user_id="5", name="刘洋", role="unit_staff", unit_id="jyj", person_id="st-liu")
PERSON = common_pb2.Actor(user_id="6", name="张伟", role="unit_staff", unit_id="fgj", person_id="p-zhang")


def ts(at: dt.datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(at.astimezone(dt.UTC).replace(tzinfo=None))
    return t


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), OFFICE_TZ)


class Upstream:
    """Publishes the other services' events on their topics, as their outboxes do."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.producer = Producer(bootstrap_servers, client_id="tests-upstream")
        self.sent = 0

    def event(self, source: str, type_: str, key: str, message: Message, when: dt.datetime) -> CloudEvent:
        return new_event(type_, topics.event_source(source), key, message, when)

    def publish(self, event: CloudEvent, topic: str, key: str) -> None:
        self.producer.produce(topic, value=event.data, key=key, headers=event.header_pairs())
        assert self.producer.flush(10) == 0
        self.sent += 1

    def send(self, topic: str, source: str, type_: str, key: str, message: Message, when: dt.datetime) -> CloudEvent:
        event = self.event(source, type_, key, message, when)
        self.publish(event, topic, key)
        return event

    def registered(self, item_id: str, no: str, due: str, lead: str = "fgj", co: tuple[str, ...] = ("jyj",),
                   key_tracking: bool = False, registered_on: str = "2026-06-01", year: int = 0,
                   person: str = "p-zhang", leader: str = "ld-li", updated: bool = False) -> None:
        names = {"fgj": "区发改局", "jyj": "区教育局", "zjj": "区住建局"}
        units = [ledger_pb2.ItemUnit(unit_id=lead, unit_name=names.get(lead, lead), role="lead")]
        units += [ledger_pb2.ItemUnit(unit_id=u, unit_name=names.get(u, u), role="co") for u in co]
        item = ledger_pb2.Item(
            id=item_id, item_no=no, title=f"事项{no}", category="general", key_tracking=key_tracking, units=units,
            # as the ledger sends it: the person's unit by name only
            responsible_person=common_pb2.PersonSnapshot(id=person, name="张伟", unit_name=names.get(lead, lead)),
            responsible_leader=common_pb2.PersonSnapshot(id=leader, name="李明", unit_id="dcs"),
            registered_on=registered_on, due_date=due, assessment_year=year)
        if updated:
            self.send(topics.LEDGER_EVENTS, "ledger", "item.updated", item_id, ledger_events.ItemUpdated(item=item),
                      at(registered_on, 11))
        else:
            self.send(topics.LEDGER_EVENTS, "ledger", "item.registered", item_id,
                      ledger_events.ItemRegistered(item=item), at(registered_on, 9))

    def closed(self, item_id: str, day: str) -> CloudEvent:
        return self.send(topics.TRACKING_EVENTS, "tracking", "item.closed", item_id, tracking_events.ItemClosed(
            item_id=item_id, completion=tracking_pb2.CompletionReport(signed_at=ts(at(day, 16)), approved=True)),
            at(day, 16))

    def overdue(self, item_id: str, due: str, day: str, late: int) -> None:
        self.send(topics.TRACKING_EVENTS, "tracking", "item.overdue", item_id, tracking_events.ItemOverdue(
            item_id=item_id, due_date=due, day=day, working_days_late=late, unit_ids=["fgj"]), at(day, 1))

    def extension(self, item_id: str, ext_id: str, old: str, new: str, approved: bool, day: str,
                  unit_id: str = "fgj") -> None:
        status = "approved" if approved else "rejected"
        self.send(topics.TRACKING_EVENTS, "tracking", f"extension.{status}", item_id, tracking_events.ExtensionDecided(
            item_id=item_id, extension=tracking_pb2.Extension(id=ext_id, unit_id=unit_id, reason="需协调资金",
                                                              old_due_date=old, new_due_date=new, status=status),
            due_date=new if approved else old, original_due_date=old), at(day))


@dataclass
class Stack:
    stub: Any
    up: Upstream
    clock: ManualClock
    app: Any
    broker: str

    def archived(self) -> int:
        return self.stub.GetYear(pb.GetYearRequest(year=2026, actor=ASSESS), timeout=10).events_archived

    def settle(self, expected: int, timeout: float = 30) -> None:
        """Wait until the service has archived `expected` events."""
        deadline = time.monotonic() + timeout
        while self.archived() < expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"archived {self.archived()} of {expected} events")
            time.sleep(0.05)

    def totals(self, actor: common_pb2.Actor = ASSESS, **fields: Any) -> dict[str, float]:
        answer = self.stub.ListTotals(pb.ListTotalsRequest(year=2026, actor=actor, **fields), timeout=10)
        return {f"{t.subject.kind}:{t.subject.id}": t.total for t in answer.totals}

    def entries(self, actor: common_pb2.Actor = ASSESS, **fields: Any) -> list[pb.ScoreEntry]:
        return list(self.stub.ListEntries(pb.ListEntriesRequest(year=2026, actor=actor, page_size=500, **fields),
                                          timeout=10).entries)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ev(request: pytest.FixtureRequest, broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    clock = ManualClock(START)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('evaluation')}/evaluation.db"
        with running_service(bootstrap, Settings.from_env, broker.bootstrap, url, clock=clock) as svc:
            yield Stack(svc.stub(), Upstream(broker.bootstrap), clock, svc.app, broker.bootstrap)
    else:
        with postgres_database("duban_evaluation") as url, \
                running_service(bootstrap, Settings.from_env, broker.bootstrap, url, clock=clock) as svc:
            yield Stack(svc.stub(), Upstream(broker.bootstrap), clock, svc.app, broker.bootstrap)
