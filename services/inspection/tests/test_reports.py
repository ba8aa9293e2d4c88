"""The supervision report through the real service: drafted by the system from a plan's visit and
findings (counts, photos), edited, issued with a number and stored as issued; each unit's part reaches its
to-do, is acknowledged and answered (report.issued, feedback.* on the broker)."""

from __future__ import annotations

import io

import grpc
from docx import Document

from duban.common.v1 import todo_pb2
from duban.inspection.v1 import inspection_pb2
from libs.common import photo_samples, topics
from libs.common.testing import EventReader, code_of
from services.inspection.tests.conftest import FGJ, INSPECTOR, JYJ, OFFICE, Trio


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _document(trio: Trio, kind: str, report_id: str, actor, unit_id: str = "") -> bytes:
    return b"".join(c.data for c in trio.inspection.GetDocument(inspection_pb2.GetDocumentRequest(
        kind=kind, id=report_id, unit_id=unit_id, actor=actor), timeout=60))


def test_a_report_is_drafted_from_the_findings_issued_once_and_each_unit_answers_its_part(trio: Trio) -> None:
    item = trio.register()
    plan = trio.approved_plan([item.id])
    trio.inspection.RecordVisit(inspection_pb2.RecordVisitRequest(
        plan_id=plan.id, unit_id="fgj", ledger_kept=True, ledger_current=False, ledger_note="10月以后未更新",
        checks=[inspection_pb2.ItemCheck(item_id=item.id, process="verified", result="discrepancy", note="进度虚报")],
        actor=INSPECTOR), timeout=10)
    for unit, text in (("fgj", "台账10月以后未更新"), ("jyj", "学位统计数据与实际不符")):
        trio.inspection.RecordFinding(inspection_pb2.RecordFindingRequest(
            plan_id=plan.id, unit_id=unit, text=text, category="perfunctory", severity="general", actor=INSPECTOR,
            photos=[inspection_pb2.Photo(filename="p.jpg", data=photo_samples.jpeg(640, 480))]), timeout=20)
    draft = trio.inspection.DraftReport(inspection_pb2.DraftReportRequest(plan_id=plan.id, actor=OFFICE),
                                        timeout=30).report
    assert draft.status == "draft" and draft.counts.findings == 2 and draft.counts.discrepancies == 1
    assert draft.draft_analysis and draft.draft_recommendations and not draft.report_no
    draft_text = _docx_text(_document(trio, "report", draft.id, OFFICE))
    assert "送审稿" in draft_text and "台账10月以后未更新" in draft_text and "区教育局" in draft_text
    # Units see no report before it is issued, and never the whole report.
    assert code_of(lambda: trio.inspection.GetReport(inspection_pb2.GetReportRequest(
        report_id=draft.id, actor=FGJ), timeout=10)) == grpc.StatusCode.NOT_FOUND
    edited = trio.inspection.UpdateReport(inspection_pb2.UpdateReportRequest(
        report_id=draft.id, analysis="两个单位台账管理薄弱。", recommendations="", actor=OFFICE), timeout=30).report
    reader = EventReader(trio.app.settings.kafka_bootstrap, topics.INSPECTION_EVENTS)
    issued = trio.inspection.IssueReport(inspection_pb2.IssueReportRequest(report_id=edited.id, actor=OFFICE),
                                         timeout=60).report
    assert issued.status == "issued" and issued.report_no.startswith("督查报告〔2026〕")
    assert issued.analysis == "两个单位台账管理薄弱。" and issued.recommendations == edited.draft_recommendations
    assert [f.unit_name for f in issued.feedback] == ["区发展和改革局", "区教育局"]
    again = trio.inspection.IssueReport(inspection_pb2.IssueReportRequest(report_id=edited.id, actor=OFFICE),
                                        timeout=60).report
    assert again.report_no == issued.report_no  # issued once
    text = _docx_text(_document(trio, "report", issued.id, OFFICE))
    assert issued.report_no in text and "两个单位台账管理薄弱" in text and "送审稿" not in text
    # 区发展和改革局 reads its own part only, acknowledges it and answers.
    part = _docx_text(_document(trio, "feedback", issued.id, FGJ))
    assert "台账10月以后未更新" in part and "学位统计数据" not in part
    assert code_of(lambda: _document(trio, "report", issued.id, FGJ)) == grpc.StatusCode.PERMISSION_DENIED
    mine = trio.inspection.GetReport(inspection_pb2.GetReportRequest(report_id=issued.id, actor=FGJ),
                                     timeout=10).report
    assert [f.unit_id for f in mine.feedback] == ["fgj"]
    todo = trio.inspection.ListTodo(todo_pb2.ListTodoRequest(unit_ids=["fgj"], kinds=["feedback_to_answer"]),
                                    timeout=10).entries
    assert [e.ref_id for e in todo if e.ref_id == issued.id] == [issued.id]
    assert code_of(lambda: trio.inspection.AnswerFeedback(inspection_pb2.AnswerFeedbackRequest(
        report_id=issued.id, unit_id="fgj", answer="x", actor=JYJ), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    trio.inspection.AcknowledgeFeedback(inspection_pb2.FeedbackActRequest(report_id=issued.id, actor=FGJ), timeout=10)
    answered = trio.inspection.AnswerFeedback(inspection_pb2.AnswerFeedbackRequest(
        report_id=issued.id, answer="已完成台账更新，建立月度核对制度。", actor=FGJ), timeout=10).report
    assert answered.feedback[0].answer.startswith("已完成台账更新") and answered.feedback[0].HasField("acknowledged_at")
    left = trio.inspection.ListTodo(todo_pb2.ListTodoRequest(unit_ids=["fgj"], kinds=["feedback_to_answer"]),
                                    timeout=10).entries
    assert all(e.ref_id != issued.id for e in left)
    wanted = {"report.issued", "feedback.acknowledged", "feedback.answered"}
    # Keyed by report and by unit: the events may lie on different partitions, read until all are there.
    # The topic also holds other runs' reports (the SQLite run's, on the same broker): this report's only.
    events = reader.poll_until(lambda es: wanted <= {e.type for e in es if issued.id in e.data.decode()})
    ours = [e.type for e in events if e.type.startswith(("report.", "feedback.")) and issued.id in e.data.decode()]
    assert sorted(ours) == sorted(wanted)
    reader.close()
