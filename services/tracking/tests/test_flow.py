"""The tracking lifecycle against real servers: notice, signing, reports, urging, extension, reply,
completion report, signature, closure and dossier - with the ledger's columns following by events."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import grpc
import pytest

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common import topics
from libs.common.clock import OFFICE_TZ
from libs.common.testing import EventReader
from services.tracking.dossier import verify_dossier
from services.tracking.tests.conftest import FGJ, JYJ, LEADER_LI, LEADER_ZHAO, OFFICE, Pair


def at(pair: Pair, day: str, hour: int = 10) -> None:
    pair.clock.set(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=OFFICE_TZ))


def denied(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code()


def sweep(pair: Pair) -> tracking_pb2.RunSweepsResponse:
    return pair.tracking.RunSweeps(tracking_pb2.RunSweepsRequest(), timeout=30)


def document(pair: Pair, item_id: str, kind: str) -> bytes:
    chunks = list(pair.tracking.GetDocument(tracking_pb2.GetDocumentRequest(item_id=item_id, kind=kind), timeout=10))
    return b"".join(c.data for c in chunks)


@pytest.mark.slow
def test_whole_lifecycle(pair: Pair, broker) -> None:
    at(pair, "2026-11-26", 9)
    item = pair.register()
    a = pair.assignment(item.id)
    assert (a.status, a.notice_due_on, a.due_date) == ("awaiting_notice", "2026-11-30", "2026-12-07")

    # 交办: only the office issues the notice; it is a DOCX; the units get 4 working hours to sign.
    assert denied(lambda: pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(
        item_id=item.id, contact_name="王芳", actor=FGJ), timeout=10).assignment) == grpc.StatusCode.PERMISSION_DENIED
    a = pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(
        item_id=item.id, requirements=["每周五前报送进展"], contact_name="王芳", contact_phone="0972-1234567",
        actor=OFFICE), timeout=10).assignment
    assert a.status == "notified" and a.notice_no.startswith("督通〔2026〕")
    assert [(e.period, e.due_on, e.unit_id) for e in a.expected_reports] == [
        ("weekly", "2026-11-27", "fgj"), ("weekly", "2026-12-04", "fgj")]
    assert document(pair, item.id, "notice")[:2] == b"PK"
    assert pair.ledger_item(item.id, lambda i: i.assigned_on == "2026-11-26" and i.status == "notified")

    # 签收: the co unit signs; the lead unit doesn't and is urged once that day, not twice.
    assert denied(lambda: pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(
        item_id=item.id, unit_id="fgj", actor=JYJ), timeout=10).assignment) == grpc.StatusCode.PERMISSION_DENIED
    pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=item.id, actor=JYJ), timeout=10)
    at(pair, "2026-11-26", 14)
    first = sweep(pair)
    assert first.urged >= 1 and sweep(pair).urged == 0

    # 电话督办: the office calls the lead unit as often as it takes; each call is recorded on the item.
    def urge(actor, unit_id="fgj", method="phone", text="请今日内签收督办通知"):
        return pair.tracking.UrgeUnit(tracking_pb2.UrgeUnitRequest(
            item_id=item.id, unit_id=unit_id, method=method, text=text, actor=actor), timeout=10).assignment
    assert denied(lambda: urge(FGJ)) == grpc.StatusCode.PERMISSION_DENIED
    assert denied(lambda: urge(OFFICE, unit_id="czj")) == grpc.StatusCode.INVALID_ARGUMENT  # not its unit
    assert denied(lambda: urge(OFFICE, method="fax")) == grpc.StatusCode.INVALID_ARGUMENT
    assert denied(lambda: urge(OFFICE, text="  ")) == grpc.StatusCode.INVALID_ARGUMENT
    def urged_today() -> list[str]:
        listed = pair.tracking.ListAssignments(tracking_pb2.ListAssignmentsRequest(view="urged_today", page_size=500),
                                               timeout=10)
        return [x.item_id for x in listed.assignments]
    assert item.id in urged_today()  # the sweep's urge of the unsigned notice
    urge(OFFICE)
    a = urge(OFFICE, method="written", text="已发书面督办函，要求明日报送方案")
    assert [(u.unit_name, u.method, u.by.name) for u in a.office_urges] == [
        ("区发展和改革局", "phone", "王芳"), ("区发展和改革局", "written", "王芳")]
    at(pair, "2026-11-27", 9)  # a new day, no sweep yet: only the office's own call lists it
    assert item.id not in urged_today()
    urge(OFFICE, text="请按时报送本周进展")
    assert item.id in urged_today()

    # A weekly report not filed by Friday is missed on Saturday: urged, and the item turns yellow.
    at(pair, "2026-11-28")
    assert sweep(pair).reports_missed >= 1
    a = pair.assignment(item.id)
    assert a.expected_reports[0].status == "missed" and a.expected_reports[0].urged == 1
    assert a.light == "yellow" and "未按时报送" in a.light_reason
    a = pair.tracking.FileReport(tracking_pb2.FileReportRequest(
        item_id=item.id, text="已完成方案初稿", actor=FGJ,
        attachments=[tracking_pb2.Attachment(filename="方案.txt", content_type="text/plain", data="初稿".encode())]),
        timeout=10).assignment
    assert a.expected_reports[0].status == "filed" and a.status == "in_progress"  # the report signed for fgj too

    # 转期: asked by the lead unit before the deadline; only this item's leader signs.
    assert denied(lambda: pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
        item_id=item.id, reason="x", new_due_date="2026-12-14", actor=JYJ), timeout=10).assignment) == grpc.StatusCode.PERMISSION_DENIED
    a = pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
        item_id=item.id, reason="需等待上级批复", new_due_date="2026-12-14", progress="方案已报审", actor=FGJ), timeout=10).assignment
    ext = a.extensions[0]
    for outsider in (FGJ, LEADER_ZHAO):
        assert denied(lambda o=outsider: pair.tracking.DecideExtension(tracking_pb2.DecideExtensionRequest(
            item_id=item.id, extension_id=ext.id, approve=True, actor=o), timeout=10).assignment) == grpc.StatusCode.PERMISSION_DENIED
    a = pair.tracking.DecideExtension(tracking_pb2.DecideExtensionRequest(
        item_id=item.id, extension_id=ext.id, approve=True, comment="同意", actor=LEADER_LI), timeout=10).assignment
    assert (a.due_date, a.original_due_date) == ("2026-12-14", "2026-12-07")
    assert a.extensions[0].status == "approved" and a.extensions[0].decided_by.name == "李明"
    assert "2026-12-11" in [e.due_on for e in a.expected_reports]  # the schedule grew with the deadline
    row = pair.ledger_item(item.id, lambda i: bool(i.extension_signature))
    assert row.extension_reason == "需等待上级批复" and row.extension_signature == "李明 2026-11-28"
    assert row.due_date == "2026-12-14"

    # Past the (new) deadline: item.overdue once a day; nothing but a failure analysis is accepted.
    at(pair, "2026-12-15")
    # (Other test modules share the broker, so their items may be overdue too: count this one by its events.)
    assert sweep(pair).overdue_published >= 1 and sweep(pair).overdue_published == 0
    assert denied(lambda: pair.tracking.FileReport(tracking_pb2.FileReportRequest(
        item_id=item.id, text="继续推进", actor=FGJ), timeout=10).assignment) == grpc.StatusCode.FAILED_PRECONDITION
    assert pair.assignment(item.id).needs_failure_analysis
    assert denied(lambda: pair.tracking.FileReply(tracking_pb2.FileReplyRequest(
        item_id=item.id, result="已完成", actor=FGJ), timeout=10).assignment) == grpc.StatusCode.INVALID_ARGUMENT
    a = pair.tracking.FileReply(tracking_pb2.FileReplyRequest(
        item_id=item.id, result="改造方案已批复并开工", root_cause="审批环节多", measures="建立周调度", actor=FGJ),
        timeout=10).assignment
    assert a.status == "replied" and a.reply.late

    # 办结销号: the office fills attachment 2, the leader signs, the item closes and is archived.
    a = pair.tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
        item_id=item.id, report_kind="special", actor=OFFICE), timeout=10).assignment
    assert a.status == "completion_filled" and not a.completion.completed_within_time
    assert denied(lambda: pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, actor=LEADER_ZHAO), timeout=10).assignment) == grpc.StatusCode.PERMISSION_DENIED
    assert denied(lambda: pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=False, opinion="补充材料", follow_up="再议", actor=LEADER_LI),
        timeout=10).assignment) == grpc.StatusCode.INVALID_ARGUMENT  # a new instruction comes with a signature
    instruction = "请发改局会同教育局于年底前完成二期改造方案"
    a = pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, opinion="同意销号", follow_up=instruction, actor=LEADER_LI), timeout=10).assignment
    assert a.status == "archived" and a.completion.signed_by.name == "李明" and a.completion.follow_up == instruction
    zipped = document(pair, item.id, "dossier")
    assert verify_dossier(zipped) == []
    names = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    record = zipfile.ZipFile(io.BytesIO(zipped)).read("00_事项记录/事项记录.json").decode()
    assert "已发书面督办函，要求明日报送方案" in record  # the office's 催办 are part of the dossier
    assert "01_交办/督办通知.docx" in names and "05_办结/督查事项办结报告单.docx" in names
    assert any("方案.txt" in n for n in names) and "manifest.json" in names and "SHA256SUMS" in names
    row = pair.ledger_item(item.id, lambda i: i.status == "archived")
    assert row.result == "改造方案已批复并开工" and row.closure_signature == "李明 2026-12-15"

    # 续办: the new instruction is an item of its own, linked both ways, and tracking takes it up.
    history = pair.ledger.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=10).changes
    follow_up_no = next(c.new_value for c in history if c.field == "follow_up")
    follow_up = pair.ledger.GetItem(ledger_pb2.GetItemRequest(id=follow_up_no), timeout=10).item
    assert (follow_up.follow_up_of, follow_up.follow_up_of_no) == (item.id, item.item_no)
    assert follow_up.content == instruction and follow_up.source == "leader_instruction"
    assert follow_up.title == f"{item.title}（续办）" and follow_up.registered_on == "2026-12-15"
    assert follow_up.responsible_leader.id == "ld-li" and follow_up.category == item.category
    assert [(u.unit_id, u.role) for u in follow_up.units] == [(u.unit_id, u.role) for u in item.units]
    assert pair.assignment(follow_up.id).status == "awaiting_notice"

    # No urging on a closed item, and no light: the board watches open items only.
    at(pair, "2026-12-16")
    assert denied(lambda: urge(OFFICE)) == grpc.StatusCode.FAILED_PRECONDITION
    sweep(pair)
    lights = pair.tracking.ListLights(tracking_pb2.ListLightsRequest(page_size=5000), timeout=10)
    assert item.id not in [i.item_id for i in lights.items]
    reader = EventReader(broker.bootstrap, topics.TRACKING_EVENTS)
    try:
        events = reader.poll_until(lambda evs: any(e.subject == item.id and e.type == "item.archived" for e in evs))
    finally:
        reader.close()
    mine = [e for e in events if e.subject == item.id]
    kinds = [e.type for e in mine if e.type != "item.status_changed"]
    assert kinds[0] == "item.assigned" and kinds[-2:] == ["item.closed", "item.archived"]
    moves = [e.decode(events_pb2.ItemStatusChanged()) for e in mine if e.type == "item.status_changed"]
    assert [(m.status, m.seq) for m in moves] == [(s, n) for n, s in enumerate(
        ["notified", "in_progress", "replied", "completion_filled", "closed", "archived"], start=1)]
    assert kinds.count("item.overdue") == 1
    assert {"item.acknowledged", "progress.reported", "extension.requested", "extension.approved",
            "item.replied", "item.urged"} <= set(kinds)
    office_urges = [e.decode(events_pb2.ItemUrged()) for e in mine if e.type == "item.urged"]
    assert [u.text for u in office_urges if u.reason == "office"] == [
        "电话督办：请今日内签收督办通知", "书面督办：已发书面督办函，要求明日报送方案", "电话督办：请按时报送本周进展"]
    last_urge = max(e.time for e in mine if e.type == "item.urged")
    assert last_urge < dt.datetime(2026, 12, 16, tzinfo=OFFICE_TZ)


def test_extension_after_the_deadline_is_refused(pair: Pair) -> None:
    at(pair, "2026-11-26", 9)
    item = pair.register()
    pair.assignment(item.id)
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    at(pair, "2026-12-08")
    code = denied(lambda: pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
        item_id=item.id, reason="来不及", new_due_date="2026-12-20", actor=FGJ), timeout=10).assignment)
    assert code == grpc.StatusCode.FAILED_PRECONDITION  # late: the failure analysis comes first


def test_leader_queue_and_office_views(pair: Pair) -> None:
    at(pair, "2026-11-26", 9)
    item = pair.register(responsible_leader_id="ld-zhao")
    pair.assignment(item.id)
    at(pair, "2026-11-30")
    due = pair.tracking.ListAssignments(tracking_pb2.ListAssignmentsRequest(view="notices_due", page_size=500,
                                                                          responsible_leader_id="ld-zhao"), timeout=10)
    assert item.id in [a.item_id for a in due.assignments]
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    a = pair.tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
        item_id=item.id, reason="天气原因", new_due_date="2026-12-18", actor=FGJ), timeout=10).assignment
    queue = pair.tracking.LeaderQueue(tracking_pb2.LeaderQueueRequest(leader_id="ld-zhao"), timeout=10)
    assert [x.item_id for x in queue.extensions_pending] == [item.id]
    assert pair.tracking.LeaderQueue(tracking_pb2.LeaderQueueRequest(leader_id="ld-li"), timeout=10).extensions_pending == []
    a = pair.tracking.DecideExtension(tracking_pb2.DecideExtensionRequest(
        item_id=item.id, extension_id=a.extensions[0].id, approve=False, comment="请按期完成", actor=LEADER_ZHAO),
        timeout=10).assignment
    assert a.due_date == a.original_due_date and a.extensions[0].status == "rejected"
    scoped = pair.tracking.ListAssignments(tracking_pb2.ListAssignmentsRequest(unit_ids=["zjj"]), timeout=10)
    assert item.id not in [x.item_id for x in scoped.assignments]


def test_timeline_explains_holidays(pair: Pair) -> None:
    at(pair, "2026-09-28", 9)
    item = pair.register(registered_on="2026-09-28", category="complex")
    a = pair.assignment(item.id)
    texts = [t.text for t in a.timeline]
    assert any("国庆节" in t and "不计工作日" in t for t in texts)
    assert any("调休上班" in t for t in texts)  # 10 Oct, the make-up Saturday
