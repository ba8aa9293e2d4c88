"""续办: a leader's new instruction on a completion report becomes a linked item when the ledger applies
item.closed (the Kafka path is covered by tracking's lifecycle test); one that cannot be registered is
written in the history and never holds the closure back."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common.cloudevents import new_event
from services.ledger import consumer
from services.ledger.orm import Item
from services.ledger.tests.conftest import LedgerUnderTest

SIGNED = dt.datetime(2026, 12, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def _close(ledger: LedgerUnderTest, item: ledger_pb2.Item, leader_id: str, leader_name: str, follow_up: str) -> None:
    signed_at = Timestamp()
    signed_at.FromDatetime(SIGNED)
    completion = tracking_pb2.CompletionReport(
        approved=True, opinion="同意销号", signed_at=signed_at, follow_up=follow_up,
        signed_by=common_pb2.PersonSnapshot(id=leader_id, name=leader_name, unit_id="dcs"))
    event = new_event("item.closed", "duban/tracking", item.id, events_pb2.ItemClosed(
        item_id=item.id, item_no=item.item_no, completion=completion, result="已完成", within_time=True), SIGNED)
    # Applied the day it was signed (a follow-up item is registered on that day, never after today).
    with ledger.today_is(SIGNED.date()), ledger.app.core.uow() as tx:
        consumer.handler(ledger.app.core)(tx, event)
        tx.commit()


def _history(ledger: LedgerUnderTest, item_id: str) -> list[ledger_pb2.ItemChange]:
    return list(ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item_id), timeout=10).changes)


def test_a_new_instruction_opens_a_linked_item(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="老旧小区改造", category="complex", key_tracking=True, lead_duty="牵头实施",
                           co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")], responsible_leader_id="ld-zhao",
                           responsible_person_id="st-chen", supervisor_id="sv-wang")
    registered = REGISTRY.get_sample_value("ledger_follow_up_items_total", {"outcome": "registered"}) or 0
    _close(ledger, item, "ld-li", "李明", "  请于年底前完成二期改造方案  ")
    assert REGISTRY.get_sample_value("ledger_follow_up_items_total", {"outcome": "registered"}) == registered + 1
    closed = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=10).item
    assert closed.closure_signature == "李明 2026-12-15"  # its status comes with item.status_changed
    link = next(c for c in _history(ledger, item.id) if c.field == "follow_up")
    child = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=link.new_value), timeout=10).item
    assert (child.follow_up_of, child.follow_up_of_no) == (item.id, item.item_no)
    assert (child.title, child.content, child.source) == ("老旧小区改造（续办）", "请于年底前完成二期改造方案",
                                                          "leader_instruction")
    assert (child.category, child.key_tracking, child.registered_on) == ("complex", True, "2026-12-15")
    assert child.responsible_leader.id == "ld-li" and child.responsible_person.id == "st-chen"
    assert [(u.unit_id, u.role, u.duty) for u in child.units] == [("fgj", "lead", "牵头实施"), ("jyj", "co", "配合")]
    assert child.due_date == "2026-12-29"  # complex: 10 working days from the day of the signature
    assert "李明在" in child.remarks and item.item_no in child.remarks


def test_an_instruction_that_cannot_be_registered_is_noted_and_the_item_still_closes(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="道路维修")
    _close(ledger, item, "ld-gone", "调离领导", "继续跟踪")  # no such leader in the directory any more
    closed = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=10).item
    assert closed.result == "已完成" and closed.closure_signature
    note = next(c for c in _history(ledger, item.id) if c.field == "follow_up")
    assert note.new_value == "" and "续办事项未能自动登记" in note.reason and "请督查室登记" in note.reason
    with ledger.app.core.uow.read() as tx:
        assert tx.session.scalar(select(func.count()).select_from(Item).where(Item.follow_up_of == item.id)) == 0
