"""One status, announced on every move: each allowed move of domain.TRANSITIONS, made by the real use
cases over gRPC, publishes item.status_changed in order (seq 1, 2, ... with the status it left), and the
ledger's copy follows to the same status; a status set around moving.move is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common import topics
from libs.common.clock import OFFICE_TZ
from libs.common.testing import EventReader
from services.ledger.orm import Item
from services.tracking import domain, jobs
from services.tracking.orm import Assignment
from services.tracking.tests.conftest import FGJ, JYJ, LEADER_LI, OFFICE, Pair

ALLOWED = {(old, new) for old, targets in domain.TRANSITIONS.items() for new in targets}


def _notice(pair: Pair, item_id: str) -> None:
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item_id, contact_name="王芳", actor=OFFICE),
                              timeout=10)


def _reply(pair: Pair, item_id: str) -> None:
    pair.tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item_id, result="已完成", actor=FGJ), timeout=10)


def _fill(pair: Pair, item_id: str) -> None:
    pair.tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
        item_id=item_id, report_kind="special", actor=OFFICE, confirm_unsigned=True), timeout=10)


def _sign(pair: Pair, item_id: str, approve: bool) -> tracking_pb2.Assignment:
    return pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item_id, approve=approve, opinion="同意销号" if approve else "请补充材料", actor=LEADER_LI),
        timeout=10).assignment


def _same_status(pair: Pair, item_id: str) -> str:
    """Tracking's status and the ledger's copy agree (the copy arrives by event: waited for, bounded)."""
    status = pair.assignment(item_id).status
    pair.ledger_item(item_id, lambda i: i.status == status)
    return status


@pytest.mark.slow
def test_every_allowed_move_is_announced_in_order_and_followed_by_the_ledger(pair: Pair, broker) -> None:
    pair.clock.set(dt.datetime(2026, 11, 26, 10, tzinfo=OFFICE_TZ))
    # The long way: signed by both units, replied, the report sent back once, signed, archived.
    long = pair.register().id
    assert pair.assignment(long).status == "awaiting_notice"
    assert _same_status(pair, long) == "awaiting_notice"  # registered so, before any event
    walk = ["awaiting_notice"]
    for act in (lambda: _notice(pair, long),
                lambda: pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=long, actor=JYJ), timeout=10),
                lambda: pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=long, actor=FGJ), timeout=10),
                lambda: _reply(pair, long), lambda: _fill(pair, long), lambda: _sign(pair, long, False),
                lambda: _fill(pair, long), lambda: _sign(pair, long, True)):
        act()
        status = _same_status(pair, long)
        if status != walk[-1]:
            walk.append(status)
    assert walk == ["awaiting_notice", "notified", "in_progress", "replied", "completion_filled", "replied",
                    "completion_filled", "archived"]  # closed and archived in one signature
    # The short way: replied without signing for the notice.
    short = pair.register().id
    pair.assignment(short)
    _notice(pair, short)
    _reply(pair, short)
    assert _same_status(pair, short) == "replied"

    reader = EventReader(broker.bootstrap, topics.TRACKING_EVENTS)
    try:
        events = reader.poll_until(lambda evs: sum(e.type == "item.status_changed" and e.subject in (long, short)
                                                   for e in evs) == 10)
    finally:
        reader.close()
    moves: dict[str, list[events_pb2.ItemStatusChanged]] = {long: [], short: []}
    for e in events:
        if e.type == "item.status_changed" and e.subject in moves:
            moves[e.subject].append(e.decode(events_pb2.ItemStatusChanged()))
    for item_id, made in moves.items():
        made.sort(key=lambda m: m.seq)
        assert [m.seq for m in made] == list(range(1, len(made) + 1))
        assert [m.previous_status for m in made] == ["awaiting_notice"] + [m.status for m in made[:-1]]
        assert all(m.item_id == item_id and m.at.seconds > 0 for m in made)
    assert [m.status for m in moves[short]] == ["notified", "replied"]
    covered = {(m.previous_status, m.status) for made in moves.values() for m in made}
    assert covered == ALLOWED  # every move the table allows, each announced by the use case that makes it

    # The ledger's history has each of the item's statuses once, in order.
    history = pair.ledger.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=long), timeout=10).changes
    assert [c.new_value for c in history if c.field == "status"] == [m.status for m in moves[long]]


def test_a_status_set_around_the_move_is_refused(pair: Pair) -> None:
    pair.clock.set(dt.datetime(2026, 11, 26, 10, tzinfo=OFFICE_TZ))
    item_id = pair.register().id
    pair.assignment(item_id)
    with pair.app.core.uow() as tx:
        assignment = tx.session.get(Assignment, item_id)
        assert assignment is not None
        with pytest.raises(RuntimeError, match="outside moving.move"):
            assignment.status = "notified"


def test_announce_statuses_brings_a_copy_left_behind_by_the_upgrade(pair: Pair) -> None:
    pair.clock.set(dt.datetime(2026, 11, 26, 10, tzinfo=OFFICE_TZ))
    item_id = pair.register().id
    pair.assignment(item_id)
    _notice(pair, item_id)
    _reply(pair, item_id)
    assert _same_status(pair, item_id) == "replied"
    # What the ledger's migration leaves of an item that had been replied to: "assigned" mapped, seq 0.
    assert pair.ledger_app is not None
    with pair.ledger_app.core.uow() as tx:
        row = tx.session.get(Item, item_id)
        assert row is not None and row.status_seq == 2
        row.status, row.status_seq = "notified", 0
        tx.commit()
    assert jobs.announce_statuses(pair.app.core) >= 1
    pair.ledger_item(item_id, lambda i: i.status == "replied")
    with pair.ledger_app.core.uow() as tx:
        row = tx.session.get(Item, item_id)
        assert row is not None and row.status_seq == 2  # the count tracking has, not one more
