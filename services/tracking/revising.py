"""修订督办通知: the State Council's table for a year arrived and the ledger recomputed a provisional
deadline (RecomputeProvisionalDueDates). Before the notice the assignment simply takes the new date;
after it, the notice is reprinted with the new date and the revision, the revision is kept on the item
(the panel, the units' to-do view, the dossier) and `notice.revised` tells the units.

The units' approved extension, if any, stays the working deadline: the recompute moves the original one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2
from libs.common import deadline_text
from libs.common.db import UnitOfWork
from services.tracking import documents, domain, events
from services.tracking.context import Tracking
from services.tracking.convert import revision_proto
from services.tracking.orm import Assignment, ExpectedReport, NoticeRevision
from services.tracking.repository import lead_unit


def apply_recomputed_due_date(tracking: Tracking, tx: UnitOfWork, assignment: Assignment, item: ledger_pb2.Item,
                              years: tuple[int, ...]) -> None:
    new = dt.date.fromisoformat(item.due_date)
    if any(not tracking.calendar.has_year(y) for y in years):
        tracking.reload_calendar()  # the same table the ledger now counts with (DUBAN_CALENDAR_DIR)
    assignment.due_date_provisional = item.due_date_provisional
    old = assignment.original_due_date
    extended = assignment.due_date != old
    if assignment.status == "awaiting_notice" or assignment.status in domain.CLOSED_STATUSES:
        # No notice out yet (it will print the new date), or nothing left to revise for anyone.
        assignment.original_due_date = new
        if not extended:
            assignment.due_date = new
        return
    if new == old:
        return  # confirmed: the notice's date stands, only its 暂定 is gone
    now = tracking.clock.now()
    assignment.original_due_date = new
    if not extended:
        assignment.due_date = new
        _reschedule(tracking, assignment, new)
    reason = deadline_text.recomputed_text(old, new, years)
    revision = NoticeRevision(item_id=assignment.item_id, at=now, old_due_date=old, new_due_date=new, reason=reason,
                              calendar_years=",".join(str(y) for y in years), previous_notice_key=assignment.notice_key)
    if assignment.notice_fields:  # notices issued before this was kept are not reprinted (the record still is)
        revised_on = tracking.local_now().date()
        data = dataclasses.replace(
            documents.notice_data_from_json(assignment.notice_fields), due_date=assignment.due_date,
            due_date_provisional=assignment.due_date_provisional,
            revision_note=f"本通知于{deadline_text.chinese_date(revised_on)}修订：{reason}。")
        revision.notice_key = tracking.storage.put(
            f"tracking/{assignment.item_id}/notice-revised-{uuid.uuid4().hex[:8]}.docx",
            documents.render_notice_docx(data))
        assignment.notice_key = revision.notice_key
        assignment.notice_fields = documents.notice_data_json(data)
    assignment.notice_revisions.append(revision)
    assignment.version += 1
    assignment.updated_at = now
    tx.session.flush()
    tx.publish(events.event(events.NOTICE_REVISED, assignment.item_id, events_pb2.NoticeRevised(
        item_id=assignment.item_id, item_no=assignment.item_no, notice_no=assignment.notice_no,
        revision=revision_proto(revision), unit_ids=[u.unit_id for u in assignment.units],
        due_date_provisional=assignment.due_date_provisional), now))
    tx.publish(events.raisers_changed(assignment, now))


def _reschedule(tracking: Tracking, assignment: Assignment, due: dt.date) -> None:
    """The reports still expected follow the new deadline: none on or after it, any new period added."""
    assignment.expected = [e for e in assignment.expected if e.status != "expected" or e.due_on < due]
    if not assignment.notice_issued_at:
        return
    cadence = tracking.policy.cadence_for(assignment.category, assignment.key_tracking)
    known = {(e.period, e.due_on) for e in assignment.expected}
    issued = assignment.notice_issued_at.astimezone(tracking.local_now().tzinfo).date()
    for expected in domain.report_schedule(tracking.calendar, cadence, issued, due):
        if (expected.period, expected.due_on) not in known:
            assignment.expected.append(ExpectedReport(
                id=str(uuid.uuid4()), unit_id=lead_unit(assignment), period=expected.period,
                period_start=expected.period_start, due_on=expected.due_on, status="expected"))
