"""ListTodo: each unit's and each leader's own work (我的待办, 待我签批) through the item's course, on a real
gRPC server, read by the person the call's token names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest

from duban.common.v1 import todo_pb2
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import call_auth, todo
from libs.common.actor import Actor
from libs.common.testing import call_keys
from services.tracking.tests.conftest import FGJ, JYJ, LEADER_LI, OFFICE, Pair
from services.tracking.tests.test_flow import at, denied
from services.tracking.todo_list import _READERS

STAFF_FGJ, STAFF_JYJ = Actor.from_proto(FGJ), Actor.from_proto(JYJ)
LI, OFFICE_WANG = Actor.from_proto(LEADER_LI), Actor.from_proto(OFFICE)


@contextmanager
def as_person(pair: Pair, person: Actor) -> Iterator[tracking_pb2_grpc.TrackingServiceStub]:
    """A stub whose every call carries a token naming `person`, as the gateway signs it."""
    address = f"127.0.0.1:{pair.app.server.port}"  # type: ignore[union-attr]
    with call_auth.signed_channel(address, call_keys().signer("gateway"), "tracking", lambda request: person) as ch:
        yield tracking_pb2_grpc.TrackingServiceStub(ch)


def todo_of(pair: Pair, person: Actor, item_id: str, **request) -> list[todo_pb2.TodoEntry]:
    """The person's own to-do (their unit's, or their signatures), this item's entries only."""
    mine = {"unit_ids": [person.unit_id]} if person.role == "unit_staff" else {"leader_id": person.person_id}
    with as_person(pair, person) as stub:
        reply = stub.ListTodo(todo_pb2.ListTodoRequest(**(mine | request)), timeout=10)
    return [e for e in reply.entries if e.item_id == item_id]


def kinds(entries: list[todo_pb2.TodoEntry]) -> list[str]:
    return [e.kind for e in entries]


def test_every_kind_tracking_answers_has_one_reader() -> None:
    yielded = [kind for _, kinds_ in _READERS for kind in kinds_]
    assert sorted(yielded) == sorted(k.name for k in todo.kinds_of("tracking"))


@pytest.mark.slow
def test_each_unit_and_leader_sees_its_own_work_through_the_course(pair: Pair) -> None:
    at(pair, "2026-11-26", 9)
    item = pair.register()  # lead fgj, co jyj, leader 李明; due 2026-12-07, weekly reports 11-27 and 12-04
    pair.assignment(item.id)
    assert todo_of(pair, STAFF_FGJ, item.id) == []  # nothing to do before the notice is out

    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    fgj = todo_of(pair, STAFF_FGJ, item.id)
    assert kinds(fgj) == ["notice_to_sign", "report_due", "reply_due"]  # by day: today 13:00, 11-27, 12-07
    notice, report, reply = fgj
    assert (notice.unit_name, notice.due_on, notice.late, notice.title) == ("区发展和改革局", "2026-11-26", False, item.title)
    assert notice.due_at.ToDatetime().hour == 5  # 13:00 in the office's time: four office hours after 9:00
    assert "13:00 前签收" in notice.summary and "（主办）" in notice.summary
    assert (report.due_on, report.late, report.summary) == ("2026-11-27", False,
                                                           "周汇报（2026-11-23 起），请于 2026-11-27 前报送")
    assert (reply.due_on, reply.late, reply.ref_id) == ("2026-12-07", False, item.id)
    assert kinds(todo_of(pair, STAFF_JYJ, item.id)) == ["notice_to_sign"]  # a co unit signs; the lead reports
    assert todo_of(pair, LI, item.id) == []
    assert kinds(todo_of(pair, STAFF_FGJ, item.id, kinds=["reply_due"])) == ["reply_due"]

    at(pair, "2026-11-26", 14)  # past the four office hours: late, and the late come first
    assert [(e.kind, e.late) for e in todo_of(pair, STAFF_JYJ, item.id)] == [("notice_to_sign", True)]
    pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=item.id, actor=FGJ), timeout=10)
    assert "notice_to_sign" not in kinds(todo_of(pair, STAFF_FGJ, item.id))
    assert kinds(todo_of(pair, STAFF_JYJ, item.id)) == ["notice_to_sign"]  # the co unit's own signature

    at(pair, "2026-11-30")  # Friday's weekly report was not filed: late; the next one is due
    assert [(e.kind, e.due_on, e.late) for e in todo_of(pair, STAFF_FGJ, item.id)] == [
        ("report_late", "2026-11-27", True), ("report_due", "2026-12-04", False), ("reply_due", "2026-12-07", False)]
    pair.tracking.FileReport(tracking_pb2.FileReportRequest(item_id=item.id, text="方案初稿已完成", actor=FGJ), timeout=10)
    assert kinds(todo_of(pair, STAFF_FGJ, item.id)) == ["report_due", "reply_due"]

    # 转期: the unit sees it waiting; the leader sees who asked, for which unit, when, for how long.
    a = pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
        item_id=item.id, reason="需等待上级批复", new_due_date="2026-12-14", progress="方案已报审", actor=FGJ),
        timeout=10).assignment
    pending = [e for e in todo_of(pair, STAFF_FGJ, item.id) if e.kind == "extension_pending"]
    assert len(pending) == 1 and pending[0].summary == "申请转期至 2026-12-14，待责任领导李明审批"
    at(pair, "2026-12-02")
    [asked] = todo_of(pair, LI, item.id)
    assert (asked.kind, asked.ref_id, asked.unit_id, asked.unit_name) == (
        "extension_to_sign", a.extensions[0].id, "fgj", "区发展和改革局")
    assert (asked.asked_by.name, asked.asked_by.unit_id, asked.asked_by.unit_name) == ("陈静", "fgj", "区发展和改革局")
    assert asked.since == a.extensions[0].requested_at and asked.waited_working_days == 2  # Tue and Wed
    assert [(d.label, d.text) for d in asked.details] == [
        ("现完成时限", "2026-12-07"), ("申请完成时限", "2026-12-14"), ("转期理由", "需等待上级批复"), ("目前进展", "方案已报审")]
    assert "陈静申请将完成时限由 2026-12-07 延至 2026-12-14" in asked.summary
    pair.tracking.DecideExtension(tracking_pb2.DecideExtensionRequest(
        item_id=item.id, extension_id=asked.ref_id, approve=True, actor=LEADER_LI), timeout=10)
    assert todo_of(pair, LI, item.id) == []
    fgj = todo_of(pair, STAFF_FGJ, item.id)
    assert "extension_pending" not in kinds(fgj)
    assert [e.due_on for e in fgj if e.kind == "reply_due"] == ["2026-12-14"]  # the approved deadline

    # The reply ends the unit's work; the completion report waits for the leader, asked by the office.
    pair.tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item.id, result="方案已批复", actor=FGJ), timeout=10)
    assert todo_of(pair, STAFF_FGJ, item.id) == []
    at(pair, "2026-12-03")
    pair.tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
        item_id=item.id, report_kind="special", actor=OFFICE, confirm_unsigned=True), timeout=10)
    [closure] = todo_of(pair, LI, item.id)
    assert (closure.kind, closure.ref_id, closure.unit_name, closure.waited_working_days) == (
        "closure_to_sign", item.id, "区发展和改革局", 0)
    assert (closure.asked_by.name, closure.asked_by.unit_name) == ("王芳", "区委区政府督查室")
    assert ("办理结果", "方案已批复") in [(d.label, d.text) for d in closure.details]
    assert todo_of(pair, Actor(user_id="5", name="赵强", role="leader", unit_id="dcs", person_id="ld-zhao"),
                   item.id) == []  # another leader's item
    pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, opinion="同意销号", actor=LEADER_LI), timeout=10)
    assert todo_of(pair, LI, item.id) == []


def test_a_person_reads_only_their_own_to_do(pair: Pair) -> None:
    def code(person: Actor, **request) -> grpc.StatusCode:
        with as_person(pair, person) as stub:
            return denied(lambda: stub.ListTodo(todo_pb2.ListTodoRequest(**request), timeout=10))

    assert code(STAFF_FGJ, unit_ids=["jyj"]) == grpc.StatusCode.PERMISSION_DENIED  # another unit's
    assert code(STAFF_FGJ, unit_ids=["fgj", "jyj"]) == grpc.StatusCode.PERMISSION_DENIED
    assert code(LI, leader_id="ld-zhao") == grpc.StatusCode.PERMISSION_DENIED  # another leader's signatures
    assert code(OFFICE_WANG, unit_ids=["dcs"]) == grpc.StatusCode.PERMISSION_DENIED  # no to-do: the desk
    assert code(Actor(user_id="9", name="马骏", role="inspector", unit_id="dcs"),
                unit_ids=["dcs"]) == grpc.StatusCode.PERMISSION_DENIED  # a role with no entry
    assert code(STAFF_FGJ, unit_ids=["fgj"], kinds=["rectification"]) == grpc.StatusCode.INVALID_ARGUMENT
    with as_person(pair, STAFF_FGJ) as stub:
        assert list(stub.ListTodo(todo_pb2.ListTodoRequest(), timeout=10).entries) == []  # nothing asked
