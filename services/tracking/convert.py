"""Assignments as messages (API responses and event payloads): rows in, protos out, no rules."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common.actor import snapshot_proto
from services.tracking import domain
from services.tracking.context import Tracking
from services.tracking.orm import Assignment, Attachment, NoticeRevision


def _ts(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return ts


def _snap(text: str) -> common_pb2.PersonSnapshot:
    return snapshot_proto(text)


def unit_duties(assignment: Assignment) -> list[tracking_pb2.UnitDuty]:
    return [
        tracking_pb2.UnitDuty(
            unit_id=u.unit_id, unit_name=u.unit_name, role=u.role, duty=u.duty,
            acknowledged_at=_ts(u.acknowledged_at), acknowledged_by=_snap(u.acknowledged_by),
            ack_due_at=_ts(u.ack_due_at),
        )
        for u in assignment.units
    ]


def revision_proto(revision: NoticeRevision) -> tracking_pb2.NoticeRevision:
    return tracking_pb2.NoticeRevision(
        at=_ts(revision.at), old_due_date=revision.old_due_date.isoformat(),
        new_due_date=revision.new_due_date.isoformat(), reason=revision.reason,
        calendar_years=[int(y) for y in revision.calendar_years.split(",") if y])


def attachments_of(assignment: Assignment, owner: str, at: dt.datetime | None, by: str) -> list[tracking_pb2.Attachment]:
    """The files of one report ("report:<id>") or of the reply ("reply"), with their filer and time."""
    return [_attachment(a, at, by) for a in assignment.attachments if a.owner == owner]


def _attachment(a: Attachment, at: dt.datetime | None, by: str) -> tracking_pb2.Attachment:
    return tracking_pb2.Attachment(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size,
                                   sha256=a.sha256, uploaded_at=_ts(at), uploaded_by=_snap(by))


def to_proto(tracking: Tracking, assignment: Assignment, with_timeline: bool = True,
             brief: bool = False) -> tracking_pb2.Assignment:
    """The full assignment; `brief` (lists) leaves out reports and extensions, which lists don't show."""
    today = tracking.today()
    closed = assignment.status in domain.CLOSED_STATUSES
    light = domain.item_light(tracking.calendar, tracking.policy, assignment.due_date, today, closed,
                              domain.missed_reports(assignment.expected, today), assignment.due_date_provisional,
                              domain.raised_by_others(assignment.raisers, today))
    message = tracking_pb2.Assignment(
        item_id=assignment.item_id, item_no=assignment.item_no, title=assignment.title, content=assignment.content,
        category=assignment.category, key_tracking=assignment.key_tracking,
        registered_on=assignment.registered_on.isoformat(), notice_due_on=assignment.notice_due_on.isoformat(),
        notice_no=assignment.notice_no, notice_issued_at=_ts(assignment.notice_issued_at),
        original_due_date=assignment.original_due_date.isoformat(), due_date=assignment.due_date.isoformat(),
        due_date_provisional=assignment.due_date_provisional, status=assignment.status, units=unit_duties(assignment), light=light.colour, light_reason=light.reason,
        needs_failure_analysis=domain.needs_failure_analysis(today, assignment.due_date,
                                                             bool(assignment.reply_root_cause), closed),
        version=assignment.version, closed_at=_ts(assignment.closed_at), archived_at=_ts(assignment.archived_at),
    )
    message.responsible_leader.id, message.responsible_leader.name = assignment.leader_id, assignment.leader_name
    for e in assignment.expected:
        message.expected_reports.append(tracking_pb2.ExpectedReport(
            id=e.id, unit_id=e.unit_id, period=e.period, period_start=e.period_start.isoformat(),
            due_on=e.due_on.isoformat(), status=e.status, report_id=e.report_id, urged=e.urged,
            light=domain.report_light(e.due_on, today, e.status == "filed", e.status == "cancelled")))
    if brief:
        return message
    for r in assignment.reports:
        message.reports.append(tracking_pb2.ProgressReport(
            id=r.id, unit_id=r.unit_id, period=r.period, expected_report_id=r.expected_report_id, text=r.text,
            filed_at=_ts(r.filed_at), filed_by=_snap(r.filed_by),
            attachments=attachments_of(assignment, f"report:{r.id}", r.filed_at, r.filed_by)))
    for x in assignment.extensions:
        message.extensions.append(tracking_pb2.Extension(
            id=x.id, unit_id=x.unit_id, reason=x.reason, progress=x.progress, old_due_date=x.old_due_date.isoformat(),
            new_due_date=x.new_due_date.isoformat(), status=x.status, requested_at=_ts(x.requested_at),
            requested_by=_snap(x.requested_by), decided_at=_ts(x.decided_at), decided_by=_snap(x.decided_by),
            comment=x.comment))
    message.notice_revisions.extend(revision_proto(r) for r in assignment.notice_revisions)
    for u in assignment.office_urges:
        message.office_urges.append(tracking_pb2.OfficeUrge(
            unit_id=u.unit_id, unit_name=u.unit_name, method=u.method, text=u.text, by=_snap(u.by), at=_ts(u.at)))
    if assignment.replied_at:
        message.reply.CopyFrom(tracking_pb2.Reply(
            result=assignment.reply_result, root_cause=assignment.reply_root_cause, measures=assignment.reply_measures,
            filed_at=_ts(assignment.replied_at), filed_by=_snap(assignment.replied_by), late=assignment.reply_late,
            attachments=attachments_of(assignment, "reply", assignment.replied_at, assignment.replied_by)))
    if assignment.completion_filled_at:
        message.completion.CopyFrom(tracking_pb2.CompletionReport(
            report_kind=assignment.completion_kind, result_summary=assignment.completion_summary,
            completed_within_time=assignment.completion_within_time, filled_at=_ts(assignment.completion_filled_at),
            filled_by=_snap(assignment.completion_filled_by), opinion=assignment.signature_opinion,
            signed_at=_ts(assignment.signed_at), signed_by=_snap(assignment.signed_by),
            approved=assignment.signature_approved, follow_up=assignment.follow_up))
    if with_timeline:
        message.timeline.extend(tracking_pb2.TimelineEntry(day=day.isoformat(), text=text)
                                for day, text in domain.timeline(tracking.calendar, tracking.policy, assignment))
    return message
