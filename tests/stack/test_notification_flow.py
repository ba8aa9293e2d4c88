"""Bulletins in the session's stack (real processes, PostgreSQL): the demo's published bulletin and the one
awaiting the principal leader; and the notification process killed (SIGKILL) while it publishes - after
the restart and a retried publish there is one bulletin, published once, and one set of source-7 items."""

from __future__ import annotations

import threading
import time
import uuid

import grpc
import pytest

from duban.common.v1 import todo_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.notification.v1 import notification_pb2 as pb
from duban.notification.v1 import notification_pb2_grpc
from libs.common import topics
from libs.common.clock import SystemClock
from libs.common.testing import EventReader
from scripts import demo_notification
from scripts.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

OFFICE = demo_notification.OFFICE
PRINCIPAL = demo_notification.PRINCIPAL
UNITS = ("fgj", "jyj", "zjj", "wjj", "shz")
PROBLEMS = 20


def _stub(stack: Stack) -> tuple[grpc.Channel, notification_pb2_grpc.NotificationServiceStub]:
    channel = stack.channel("notification")
    return channel, notification_pb2_grpc.NotificationServiceStub(channel)


def _made_of(stack: Stack, bulletin_id: str) -> list[ledger_pb2.Item]:
    with stack.channel("ledger") as channel:
        items = ledger_pb2_grpc.LedgerServiceStub(channel).ListItems(ledger_pb2.ListItemsRequest(
            filter=ledger_pb2.ItemFilter(source="bulletin_rectification"), page_size=500), timeout=10).items
    return [i for i in items if i.origin_bulletin_id == bulletin_id]


def test_the_demo_has_a_published_bulletin_and_one_awaiting_the_leader(stack: Stack) -> None:
    channel, stub = _stub(stack)
    with channel:
        listed = stub.ListBulletins(pb.ListBulletinsRequest(kind="special", page_size=100, actor=OFFICE), timeout=10)
        by_title = {b.title: b for b in listed.bulletins}
        published = by_title[demo_notification.PUBLISHED_TITLE]
        awaiting = by_title[demo_notification.AWAITING_TITLE]
        assert published.status == "published" and awaiting.status == "submitted"
        assert published.approved_by.name == "赵强" and published.document_no
        todo = stub.ListTodo(todo_pb2.ListTodoRequest(leader_id="ld-zhao", kinds=["bulletin_to_approve"]), timeout=10)
        assert awaiting.id in {e.ref_id for e in todo.entries}
    made = _made_of(stack, published.id)
    assert len(made) == 1 and made[0].units[0].unit_id == "shz"


def test_notification_killed_while_publishing_registers_one_set_of_items(stack: Stack) -> None:
    today = SystemClock().today()
    channel, stub = _stub(stack)
    with channel:
        b = stub.GenerateBulletin(pb.GenerateBulletinRequest(
            kind="special", title=f"关于重启中印发的专项通报{uuid.uuid4().hex[:6]}", starts_on=f"{today.year}-01-01",
            ends_on=today.isoformat(), actor=OFFICE), timeout=60).bulletin
        in_scope = {u.unit_id for u in b.facts.units}
        units = [u for u in UNITS if u in in_scope]
        assert units, b.facts.units
        stub.EditBulletin(pb.EditBulletinRequest(bulletin_id=b.id, replace_requirements=True, requirements=[
            pb.Requirement(unit_id=units[n % len(units)], text=f"第{n + 1}项问题限期整改", working_days=10,
                           responsible_leader_id="ld-li") for n in range(PROBLEMS)], actor=OFFICE), timeout=30)
        sub = stub.SubmitBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=300).bulletin
        stub.ApproveBulletin(pb.ApproveBulletinRequest(bulletin_id=b.id, docx_sha256=sub.docx_sha256,
                                                       pdf_sha256=sub.pdf_sha256, actor=PRINCIPAL), timeout=30)

    outcome: list[object] = []

    def publish() -> None:
        c, s = _stub(stack)
        with c:
            try:
                outcome.append(s.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=120))
            except grpc.RpcError as exc:
                outcome.append(exc.code())

    publishing = threading.Thread(target=publish)
    publishing.start()
    deadline = time.monotonic() + 60
    while not _made_of(stack, b.id):  # the first problem is in the ledger: publishing is under way
        assert time.monotonic() < deadline, "publishing registered nothing"
        time.sleep(0.02)
    stack.processes["notification"].kill()  # SIGKILL mid-publication: no grace, nothing handed back
    publishing.join(30)
    partial = len(_made_of(stack, b.id))
    stack.start_service("notification")
    assert outcome and isinstance(outcome[0], grpc.StatusCode), f"publish finished before the kill: {outcome}"
    assert 1 <= partial < PROBLEMS

    channel, stub = _stub(stack)
    with channel:
        before = stub.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=OFFICE), timeout=10).bulletin
        assert before.status == "approved"  # the crash left it unpublished
        published = stub.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=120).bulletin
        again = stub.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=120).bulletin
    assert published.status == again.status == "published"
    ids = [r.registered_item_id for r in published.requirements]
    assert len(set(ids)) == PROBLEMS and ids == [r.registered_item_id for r in again.requirements]
    made = _made_of(stack, b.id)
    assert sorted(i.id for i in made) == sorted(ids)  # one set: the one in flight at the kill was replayed

    assert stack.broker is not None
    reader = EventReader(stack.broker.bootstrap, topics.NOTIFICATION_EVENTS)
    try:
        events = reader.poll_until(lambda es: any(e.type == "bulletin.published" and b.id in e.data.decode()
                                                  for e in es), timeout=30)
    finally:
        reader.close()
    assert len({e.id for e in events if e.type == "bulletin.published" and b.id in e.data.decode()}) == 1
