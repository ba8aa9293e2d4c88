"""Demo data of the evaluation service (考核评分): nothing is asked of it directly - it scores what the rest
of the demo did. So that its pages show both signs, two items of their own go the whole way to 销号 through
tracking's API: one within its time (+2 for 区发展和改革局, 陈静 and 李明 by the default rules), one registered
12 working days ago, so past its 7 (-1 a working day late for 区教育局, 刘洋 and 李明: 5 when loaded on a
working day, 4 on a weekend). The loader then waits until evaluation has scored both closures and says what
the year's totals are.

The other demo items stay open, so their pages keep every state they show. Idempotent: an item already
registered (same request id) or already closed is left as it is.
"""

from __future__ import annotations

import time

import grpc

from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.evaluation.v1 import evaluation_pb2_grpc
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import call_auth
from libs.common.calendar import WorkCalendar
from libs.common.clock import SystemClock

OFFICE = common_pb2.Actor(user_id="demo", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
LEADER = common_pb2.Actor(user_id="demo", name="李明", role="leader", unit_id="dcs", person_id="ld-li")
ASSESS = common_pb2.Actor(user_id="demo", name="考核办", role="assessment")
# title, lead unit, responsible person (and their name), working days ago registered (a general item has 7),
# the unit's reply: result, and for a late one the root cause and measures tracking asks for
CLOSED = [
    ("编制区级重点项目年度投资计划", "fgj", "st-chen", "陈静", 3, ("年度投资计划已编制并报区政府常务会审定", "", "")),
    ("完成中小学校舍安全隐患排查整改", "jyj", "st-liu2", "刘洋", 12,
     ("排查出的14处隐患已全部整改", "排查范围扩大后整改工程量超出预期", "建立隐患台账，每月复查一次")),
]


def load(ledger_addr: str, tracking_addr: str, evaluation_addr: str, signer: call_auth.Signer,
         calendar: WorkCalendar) -> None:
    from scripts.demo_data import working_days_back

    today = SystemClock().today()
    with (call_auth.signed_channel(ledger_addr, signer, "ledger") as lc,
          call_auth.signed_channel(tracking_addr, signer, "tracking") as tc,
          call_auth.signed_channel(evaluation_addr, signer, "evaluation") as ec):
        ledger = ledger_pb2_grpc.LedgerServiceStub(lc)
        tracking = tracking_pb2_grpc.TrackingServiceStub(tc)
        evaluation = evaluation_pb2_grpc.EvaluationServiceStub(ec)
        closed = []
        for title, unit, person, name, ago, reply in CLOSED:
            item = ledger.RegisterItem(ledger_pb2.RegisterItemRequest(
                title=title, source="leader_assignment", category="general", lead_unit_id=unit,
                responsible_leader_id="ld-li", responsible_person_id=person, supervisor_id="sv-wang",
                registered_on=working_days_back(calendar, today, ago).isoformat(), actor=OFFICE,
                request_id=f"demo-{title}"), timeout=10).item
            unit_actor = common_pb2.Actor(user_id="demo", name=name, role="unit_staff", unit_id=unit, person_id=person)
            _close(tracking, item.id, unit_actor, reply)
            closed.append(item)
        year = int(closed[0].registered_on[:4])
        deadline = time.monotonic() + 30
        while True:  # evaluation hears the closures through the broker
            scored = [evaluation.ListEntries(pb.ListEntriesRequest(year=year, item_id=i.id, actor=ASSESS),
                                             timeout=10).entries for i in closed]
            if all(scored) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        totals = evaluation.ListTotals(pb.ListTotalsRequest(year=year, kind="unit", actor=ASSESS), timeout=10).totals
    shown = "  ".join(f"{t.subject.name} {t.total:+g}" for t in totals)
    print(f"  demo scores {year}: {shown or 'none yet (evaluation has not scored the closures)'}")


def _close(tracking: tracking_pb2_grpc.TrackingServiceStub, item_id: str, unit: common_pb2.Actor,
           reply: tuple[str, str, str]) -> None:
    """Notice, signed for, replied, completion report filled and signed by the leader (销号): from wherever
    the item stands."""
    deadline = time.monotonic() + 30
    while True:  # the assignment arrives through the broker
        try:
            status = tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=5).assignment.status
            break
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    if status == "awaiting_notice":
        status = tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(
            item_id=item_id, requirements=["按期完成并报送办理结果"], contact_name="王芳", contact_phone="0972-8612345",
            actor=OFFICE), timeout=10).assignment.status
    if status == "notified":
        status = tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=item_id, actor=unit),
                                      timeout=10).assignment.status
    if status == "in_progress":
        status = tracking.FileReply(tracking_pb2.FileReplyRequest(
            item_id=item_id, result=reply[0], root_cause=reply[1], measures=reply[2], actor=unit),
            timeout=10).assignment.status
    if status == "replied":
        status = tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
            item_id=item_id, report_kind="comprehensive", result_summary=reply[0], actor=OFFICE),
            timeout=30).assignment.status
    if status == "completion_filled":
        tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
            item_id=item_id, approve=True, opinion="同意销号", actor=LEADER), timeout=60)
