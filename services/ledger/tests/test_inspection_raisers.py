"""The ledger reads inspection's topic too: its item.raisers_changed (overdue rectifications) raise the
item's light in the ledger's projection, also when the broker never delivered one (the reconciler asks
inspection's event log, once inspection has its row and address); inspection's other events never
reach the use cases written for tracking's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2
from libs.common import eventlog, lights, service_app, topics
from libs.common.call_auth import KeySet, Verifier
from libs.common.cloudevents import CloudEvent, new_event
from libs.common.config import ReconcileSettings
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.grpc_server import create_server
from libs.common.outbox import OutboxEvent, outbox, runtime_metadata
from libs.common.service_table import SERVICES, ServiceRow
from libs.common.testing import call_keys
from services.ledger import consumer
from services.ledger.orm import SupervisionNote
from services.ledger.tests.conftest import LedgerUnderTest

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
INSPECTION_ROW = ServiceRow("inspection", "duban.inspection.v1.InspectionService",
                            "duban.inspection.v1.inspection_pb2_grpc:InspectionServiceStub", 50053, 9103,
                            topics.INSPECTION_EVENTS, (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS))


def _rectifications(item_id: str, *due: str) -> CloudEvent:
    return new_event("item.raisers_changed", "duban/inspection", item_id, common_pb2.LightRaisersChanged(
        item_id=item_id, source=lights.RECTIFICATIONS,
        open=[common_pb2.LightRaiser(ref_id=f"rect-{n}", due_on=d) for n, d in enumerate(due)]), NOW)


def _item(ledger: LedgerUnderTest, item_id: str) -> ledger_pb2.Item:
    return ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item_id), timeout=10).item


def _apply(ledger: LedgerUnderTest, event: CloudEvent) -> None:
    with ledger.app.core.uow() as tx:
        consumer.handler(ledger.app.core)(tx, event)
        tx.commit()


def test_a_rectification_the_broker_never_delivered_is_repaired_from_inspections_event_log(
        ledger: LedgerUnderTest, monkeypatch, tmp_path) -> None:
    item = ledger.register(title="整改未经消息送达")
    assert _item(ledger, item.id).light == "green"
    # Inspection's retained outbox (sent an hour ago, so settled), served as every service serves it.
    source = UnitOfWorkFactory(make_engine(f"sqlite:///{tmp_path}/inspection.db"))
    runtime_metadata.create_all(source.engine)
    with source() as tx:
        tx.publish(OutboxEvent(topics.INSPECTION_EVENTS, item.id, _rectifications(item.id, "2026-11-25")))
        tx.commit()
    with source.engine.begin() as conn:
        conn.execute(update(outbox).values(sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    server = create_server(service="inspection", registrations=eventlog.registrations(source.engine),
                           verifier=Verifier(KeySet.load(call_keys().trusted), "inspection"), port=0, host="127.0.0.1")
    try:
        # Inspection has its row and its address: the ledger's consume() gives its topic a reconciler.
        parts = ledger.app.parts
        rows = (*(row for row in SERVICES if row.name != "inspection"), INSPECTION_ROW)
        monkeypatch.setattr(service_app, "SERVICES", rows)
        monkeypatch.setattr(parts, "reconcile", ReconcileSettings({"inspection": f"127.0.0.1:{server.port}"}, 0, 0))
        monkeypatch.setattr(parts, "consumers", [])
        monkeypatch.setattr(parts, "reconcilers", [])
        parts.consume(consumer.GROUP, [topics.INSPECTION_EVENTS], consumer.handler(ledger.app.core))
        (reconciler,) = parts.reconcilers
        assert (reconciler.source, reconciler.topic) == ("inspection", topics.INSPECTION_EVENTS)
        assert reconciler.run_once() == 1
        assert reconciler.run_once() == 0  # checked: not applied twice
    finally:
        server.stop(0)
        source.engine.dispose()
    shown = _item(ledger, item.id)
    assert shown.light == "red" and shown.light_reason.endswith("；有1项整改逾期未完成"), shown.light_reason
    _apply(ledger, _rectifications(item.id))  # none open any more
    assert _item(ledger, item.id).light == "green"


def test_inspections_other_events_never_reach_trackings_use_cases(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="只认督查跟踪的催办")
    urged = events_pb2.ItemUrged(item_id=item.id, unit_id="fgj", reason="office", text="请抓紧整改")

    def notes() -> int:
        with ledger.app.core.uow.read() as tx:
            return tx.session.scalar(select(func.count()).select_from(SupervisionNote)
                                     .where(SupervisionNote.item_id == item.id)) or 0

    _apply(ledger, new_event("item.urged", "duban/inspection", item.id, urged, NOW))
    assert notes() == 0
    _apply(ledger, new_event("item.urged", "duban/tracking", item.id, urged, NOW))
    assert notes() == 1
