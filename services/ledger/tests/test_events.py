"""item.registered / item.updated through the outbox and the real broker, and a broker outage."""

from __future__ import annotations

import time

import pytest
from google.protobuf import json_format

from duban.ledger.v1 import events_pb2, ledger_pb2
from libs.common import topics
from libs.common.broker import start_broker
from libs.common.outbox import pending_count
from libs.common.testing import EventReader
from services.ledger.tests.conftest import OFFICE, LedgerUnderTest, started_ledger


def test_item_registered_reaches_a_consumer_with_cloudevents_headers(ledger: LedgerUnderTest, broker) -> None:
    item = ledger.register(title="事件测试", responsible_leader_id="ld-li")
    ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(id=item.id, actor=OFFICE,
                                                        patch=ledger_pb2.ItemPatch(remarks="补充说明")), timeout=5)
    reader = EventReader(broker.bootstrap, topics.LEDGER_EVENTS)
    try:
        events = reader.poll_until(lambda evs: sum(e.subject == item.id for e in evs) >= 2)
    finally:
        reader.close()
    mine = [(e, k) for e, k in reader.events if e.subject == item.id]
    assert [e.type for e, _ in mine] == ["item.registered", "item.updated"]
    registered, key = mine[0]
    assert key == item.id.encode()
    assert registered.source == "duban/ledger" and registered.dataschema == "duban.ledger.v1.ItemRegistered"
    assert registered.id and registered.time.tzinfo is not None
    payload = registered.decode(events_pb2.ItemRegistered())
    assert payload.item.item_no == item.item_no and payload.item.responsible_leader.name == "李明"
    updated = mine[1][0].decode(events_pb2.ItemUpdated())
    assert [(c.field, c.new_value) for c in updated.changes] == [("remarks", "补充说明")]
    # An outside system needs only JSON: the value is proto3-JSON with the glossary's field names.
    assert json_format.MessageToDict(payload, preserving_proto_field_name=True)["item"]["item_no"] == item.item_no
    assert len(events) >= 2


@pytest.mark.slow
def test_broker_outage_during_registration_loses_nothing(tmp_path) -> None:
    own = start_broker()
    port = own.port
    try:
        with started_ledger("sqlite", f"sqlite:///{tmp_path}/outage.db", own) as ledger:
            ledger.register(title="停机前")
            engine = ledger.app.uow.engine
            deadline = time.monotonic() + 20
            while pending_count(engine) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pending_count(engine) == 0
            own.stop()
            during = [ledger.register(title=f"停机中{i}").id for i in range(5)]
            time.sleep(1.0)
            assert pending_count(engine) == 5  # kept in the outbox while Kafka is away
            own = start_broker(port=port)  # same address, empty broker (memory storage)
            deadline = time.monotonic() + 40
            while pending_count(engine) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert pending_count(engine) == 0
            reader = EventReader(own.bootstrap, topics.LEDGER_EVENTS)
            try:
                reader.poll_until(lambda evs: {e.subject for e in evs} >= set(during), timeout=20)
            finally:
                reader.close()
            delivered = [e for e, _ in reader.events if e.subject in during]
            assert sorted(e.subject for e in delivered) == sorted(during)
            assert len({e.id for e in delivered}) == 5
    finally:
        own.stop()
