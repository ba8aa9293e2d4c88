"""What closure ends, and what it asks first: the office confirms closing an item a co unit never signed
for (refused, naming the unit, until it does), the closure cancels every report still awaited (no longer
due, never counted as missed, no light), a closed item has no light but 已办结; and the files of reports
and of the reply are listed on the assignment with name, size, who and when."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from duban.tracking.v1 import tracking_pb2
from libs.common.clock import OFFICE_TZ
from services.tracking import jobs
from services.tracking.tests.conftest import FGJ, LEADER_LI, OFFICE, Pair


def _refusal(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_closure_asks_about_unsigned_co_units_and_ends_what_was_awaited(pair: Pair) -> None:
    item = pair.register(category="complex")  # weekly and monthly reports, fgj leads, jyj co-handles
    pair.assignment(item.id)
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    report = tracking_pb2.Attachment(filename="会议纪要.pdf", content_type="application/pdf", data=b"%PDF-1.4 minutes")
    a = pair.tracking.FileReport(tracking_pb2.FileReportRequest(item_id=item.id, text="已召开专题会", attachments=[report],
                                                                actor=FGJ), timeout=10).assignment
    filed = a.reports[0].attachments[0]
    assert (filed.filename, filed.size, filed.uploaded_by.name) == ("会议纪要.pdf", 16, "陈静")
    assert filed.uploaded_at == a.reports[0].filed_at and filed.id and not filed.data
    reply = tracking_pb2.Attachment(filename="验收报告.docx", data=b"ok")
    a = pair.tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item.id, result="已完成", attachments=[reply],
                                                              actor=FGJ), timeout=10).assignment
    assert [(f.filename, f.size, f.uploaded_by.name) for f in a.reply.attachments] == [("验收报告.docx", 2, "陈静")]
    assert any(e.status == "expected" for e in a.expected_reports)  # reports still awaited before closure

    # The co unit (jyj) never signed: refused, naming it, until the office confirms.
    fill = tracking_pb2.FillCompletionReportRequest(item_id=item.id, report_kind="special", actor=OFFICE)
    refused = _refusal(lambda: pair.tracking.FillCompletionReport(fill, timeout=10))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and "confirm_unsigned" in (refused.details() or "")
    assert pair.assignment(item.id).status == "replied"
    fill.confirm_unsigned = True
    assert pair.tracking.FillCompletionReport(fill, timeout=10).assignment.status == "completion_filled"

    a = pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, opinion="同意销号", actor=LEADER_LI), timeout=10).assignment
    assert a.status == "archived" and (a.light, a.light_reason) == ("", "已办结")
    statuses = {e.status for e in a.expected_reports}
    assert "expected" not in statuses and "cancelled" in statuses
    assert all(e.light == "" for e in a.expected_reports if e.status == "cancelled")

    # Weeks later the sweep finds nothing to mark missed on it, and nothing raises its light.
    later = dt.datetime.combine(dt.date.fromisoformat(a.due_date) + dt.timedelta(days=30), dt.time(10), OFFICE_TZ)
    jobs.run_sweeps(pair.app.core, later)
    after = pair.assignment(item.id)
    assert "missed" not in {e.status for e in after.expected_reports} - {e.status for e in a.expected_reports}
    assert [e.status for e in after.expected_reports] == [e.status for e in a.expected_reports]
