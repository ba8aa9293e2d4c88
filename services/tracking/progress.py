"""跟踪了解: progress reports against the expected-report schedule, with attachments."""

from __future__ import annotations

import uuid

from duban.tracking.v1 import events_pb2
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.storage import sha256
from services.tracking import domain, events, metrics
from services.tracking.assigning import mark_acknowledged
from services.tracking.context import Tracking, acting_unit
from services.tracking.convert import to_proto
from services.tracking.orm import Assignment, Attachment, ProgressReport
from services.tracking.repository import get_assignment

ACTIVE = ("notified", "in_progress")


def store_attachments(
    tracking: Tracking, tx: UnitOfWork, assignment: Assignment, owner: str, uploads: list
) -> list[Attachment]:
    stored = []
    for upload in uploads:
        if not upload.filename.strip() or len(upload.data) == 0:
            raise InvalidInput("empty attachment", {"attachments": "附件不能为空"})
        if len(upload.data) > tracking.attachment_max_bytes:
            raise InvalidInput("attachment too large",
                               {"attachments": f"附件 {upload.filename} 超过 {tracking.attachment_max_bytes // 1048576} MB"})
        attachment_id = str(uuid.uuid4())
        key = tracking.storage.put(f"tracking/{assignment.item_id}/attachments/{attachment_id}", upload.data)
        row = Attachment(id=attachment_id, item_id=assignment.item_id, owner=owner, filename=upload.filename[:200],
                         content_type=upload.content_type or "application/octet-stream", size=len(upload.data),
                         sha256=sha256(upload.data), storage_key=key)
        assignment.attachments.append(row)
        stored.append(row)
    return stored


def refuse_while_failure_analysis_missing(tracking: Tracking, assignment: Assignment) -> None:
    """Art. 6.5: once past the deadline, nothing else is accepted before the root-cause analysis."""
    if domain.needs_failure_analysis(tracking.today(), assignment.due_date, bool(assignment.reply_root_cause)):
        raise FailedPrecondition(
            f"{assignment.item_no} is past its deadline without a failure analysis",
            {"root_cause": "事项已超过完成时限，须先书面回复并剖析问题根源、提出整改措施"},
        )


def file_report(
    tracking: Tracking, item_id: str, unit_id: str, expected_id: str, text: str, uploads: list, actor: Actor
) -> Assignment:
    if not text.strip():
        raise InvalidInput("empty report", {"text": "请填写进展情况"})
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        unit_id = acting_unit(actor, assignment, unit_id)
        if assignment.status not in ACTIVE:
            raise FailedPrecondition(f"no reports in {assignment.status}", {"status": "当前状态不能报送进展"})
        refuse_while_failure_analysis_missing(tracking, assignment)
        unit = next((u for u in assignment.units if u.unit_id == unit_id), None)
        if unit is None:
            raise InvalidInput(f"{unit_id} is not an undertaking unit", {"unit_id": "该单位不是承办单位"})
        expected = None
        if expected_id:
            expected = next((e for e in assignment.expected if e.id == expected_id), None)
            if expected is None or expected.status == "filed":
                raise InvalidInput("unknown or filed expected report", {"expected_report_id": "该期汇报不存在或已报送"})
        else:
            expected = next((e for e in assignment.expected if e.unit_id == unit_id and e.status != "filed"), None)
        now = tracking.clock.now()
        report = ProgressReport(id=str(uuid.uuid4()), item_id=item_id, unit_id=unit_id,
                                period=expected.period if expected else "", expected_report_id=expected.id if expected else "",
                                text=text.strip(), filed_at=now, filed_by=actor.snapshot())
        assignment.reports.append(report)
        if expected is not None:
            expected.status, expected.report_id = "filed", report.id
        store_attachments(tracking, tx, assignment, f"report:{report.id}", uploads)
        if unit.acknowledged_at is None:  # a report shows the notice arrived: never ask twice
            mark_acknowledged(tracking, tx, assignment, unit, actor)
        assignment.version += 1
        assignment.updated_at = now
        tx.session.flush()
        proto = to_proto(tracking, assignment, with_timeline=False)
        tx.publish(events.event(events.PROGRESS_REPORTED, item_id, events_pb2.ProgressReported(
            item_id=item_id, report=next(r for r in proto.reports if r.id == report.id)), now))
        if expected is not None:  # one obligation less
            tx.publish(events.raisers_changed(assignment, now))
        tx.commit()
        metrics.REPORTS_FILED.labels(report.period or "ad_hoc").inc()
        return assignment


def last_report_text(assignment: Assignment, unit_id: str) -> str:
    """Prefill the next report from the last one (enter once, reuse)."""
    mine = [r for r in assignment.reports if r.unit_id == unit_id]
    return mine[-1].text if mine else ""


