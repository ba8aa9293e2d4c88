"""The ledger's status is a copy of tracking's, fed by item.status_changed: it follows every move in
order, and whatever order the events arrive in (a repaired one after a later one, a restatement, a
duplicate) it ends at the status of the highest seq and never goes back."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2
from libs.common.cloudevents import CloudEvent, new_event
from libs.common.consumer import InvalidMessage
from services.ledger import consumer
from services.ledger.tests.conftest import LedgerUnderTest
from services.tracking import domain as tracking_domain

AT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
# The long way through tracking's table, as its use cases make it (sent back once, then signed).
WALK = ["awaiting_notice", "notified", "in_progress", "replied", "completion_filled", "replied",
        "completion_filled", "closed", "archived"]


def _moved(item_id: str, previous: str, status: str, seq: int) -> CloudEvent:
    at = Timestamp()
    at.FromDatetime(AT)
    return new_event("item.status_changed", "duban/tracking", item_id, events_pb2.ItemStatusChanged(
        item_id=item_id, status=status, previous_status=previous, at=at, seq=seq), AT)


def _walk_events(item_id: str) -> list[CloudEvent]:
    return [_moved(item_id, WALK[n - 1], WALK[n], n) for n in range(1, len(WALK))]


def _apply(ledger: LedgerUnderTest, event: CloudEvent) -> None:
    with ledger.app.core.uow() as tx:
        consumer.handler(ledger.app.core)(tx, event)
        tx.commit()


def _item(ledger: LedgerUnderTest, item_id: str) -> ledger_pb2.Item:
    return ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item_id), timeout=10).item


def _status_history(ledger: LedgerUnderTest, item_id: str) -> list[tuple[str, str]]:
    changes = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item_id), timeout=10).changes
    return [(c.old_value, c.new_value) for c in changes if c.field == "status"]


def test_the_walk_is_a_path_of_the_table() -> None:
    assert all(WALK[n] in tracking_domain.TRANSITIONS[WALK[n - 1]] for n in range(1, len(WALK)))


def test_follows_every_move_in_order_and_ignores_an_older_one(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="状态跟随")
    assert item.status == "awaiting_notice"  # registered as tracking starts it
    for event in _walk_events(item.id):
        _apply(ledger, event)
        assert _item(ledger, item.id).status == event.decode(events_pb2.ItemStatusChanged()).status
    assert _status_history(ledger, item.id) == list(zip(WALK, WALK[1:], strict=False))
    done = _item(ledger, item.id)
    # A repaired event delivered after the later ones (the reconciler), and the last one again.
    _apply(ledger, _walk_events(item.id)[2])
    _apply(ledger, _moved(item.id, "", "archived", len(WALK) - 1))
    after = _item(ledger, item.id)
    assert (after.status, after.version) == ("archived", done.version)
    assert len(_status_history(ledger, item.id)) == len(WALK) - 1


def test_an_unknown_status_is_never_applied(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="未知状态")
    with pytest.raises(InvalidMessage):
        _apply(ledger, _moved(item.id, "awaiting_notice", "assigned", 1))  # the former ledger word
    assert _item(ledger, item.id).status == "awaiting_notice"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_any_delivery_order_ends_at_the_latest_and_never_goes_back(ledger: LedgerUnderTest, data: st.DataObject) -> None:
    item = ledger.register(title="乱序事件")
    walk = _walk_events(item.id)
    # Some events arrive (any order, some twice), some never do.
    arriving = data.draw(st.lists(st.sampled_from(walk), min_size=1, max_size=12))
    highest = 0
    for event in arriving:
        _apply(ledger, event)
        highest = max(highest, event.decode(events_pb2.ItemStatusChanged()).seq)
        assert _item(ledger, item.id).status == WALK[highest]
    assert [new for _, new in _status_history(ledger, item.id)] == _changes_applied(arriving)


def _changes_applied(arriving: list[CloudEvent]) -> list[str]:
    """What the history should show: each event higher than all before it is applied, and records a
    change when it names another status than the one the item has (4 and 6 both say completion_filled)."""
    shown, highest, status = [], 0, WALK[0]
    for event in arriving:
        seq = event.decode(events_pb2.ItemStatusChanged()).seq
        if seq > highest:
            highest = seq
            if WALK[seq] != status:
                status = WALK[seq]
                shown.append(status)
    return shown
