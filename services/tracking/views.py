"""Assignments as messages, with the light and the plain-Chinese timeline that explains it."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from duban.tracking.v1 import tracking_pb2
from libs.common.clock import OFFICE_TZ
from services.tracking import domain
from services.tracking.orm import Assignment


def _ts(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return ts


def _snap(text: str):  # type: ignore[no-untyped-def]
    from services.tracking.service import snapshot_proto

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


def missed_reports(assignment: Assignment, today: dt.date) -> int:
    return sum(1 for e in assignment.expected if e.status != "filed" and e.due_on < today)


def timeline(tracking, assignment: Assignment) -> list[tracking_pb2.TimelineEntry]:  # type: ignore[no-untyped-def]
    """Why the item stands where it stands: registration, notice, holidays counted, extensions, reports."""
    entries: list[tuple[dt.date, str]] = [
        (assignment.registered_on, f"立项（{assignment.item_no}），{'复杂' if assignment.category == 'complex' else '一般'}事项"),
        (assignment.notice_due_on, "督办通知应发出的最后一天（立项后2个工作日）"),
    ]
    if assignment.notice_issued_at:
        day = assignment.notice_issued_at.astimezone(OFFICE_TZ).date()
        late = "（逾期发出）" if day > assignment.notice_due_on else ""
        entries.append((day, f"发出督办通知 {assignment.notice_no}{late}"))
    day = assignment.registered_on
    end = max(assignment.due_date, assignment.original_due_date)
    while day < end:
        day += dt.timedelta(days=1)
        if tracking.calendar.has_year(day.year):
            name = tracking.calendar.day_name(day)
            if name:
                kind = "调休上班，计入工作日" if tracking.calendar.is_working_day(day) else "法定节假日，不计工作日"
                entries.append((day, f"{name}：{kind}"))
        else:
            entries.append((day, f"{day.year}年节假日安排未载入，暂按周一至周五计算"))
            break
    for ext in assignment.extensions:
        requested = ext.requested_at.astimezone(OFFICE_TZ).date()
        entries.append((requested, f"申请转期至 {ext.new_due_date.isoformat()}：{ext.reason}"))
        if ext.decided_at:
            verdict = "同意" if ext.status == "approved" else "不同意"
            entries.append((ext.decided_at.astimezone(OFFICE_TZ).date(), f"责任领导{verdict}转期"))
    for expected in assignment.expected:
        state = {"filed": "已报送", "missed": "未按时报送", "expected": "待报送"}[expected.status]
        entries.append((expected.due_on, f"{domain.PERIOD_LABELS[expected.period]}截止（{state}）"))
    if assignment.original_due_date != assignment.due_date:
        entries.append((assignment.original_due_date, "原完成时限（保留，考核以此为准，除非转期已批准）"))
    entries.append((assignment.due_date, "完成时限"))
    if assignment.replied_at:
        entries.append((assignment.replied_at.astimezone(OFFICE_TZ).date(), "承办单位书面回复办理结果"))
    if assignment.closed_at:
        entries.append((assignment.closed_at.astimezone(OFFICE_TZ).date(), "责任领导签字，销号"))
    entries.sort(key=lambda e: e[0])
    return [tracking_pb2.TimelineEntry(day=d.isoformat(), text=t) for d, t in entries]


def to_proto(tracking, assignment: Assignment, with_timeline: bool = True, brief: bool = False) -> tracking_pb2.Assignment:  # type: ignore[no-untyped-def]
    """The full assignment; `brief` (lists) leaves out reports and extensions, which lists don't show."""
    today = tracking.today()
    closed = assignment.status in domain.CLOSED_STATUSES
    light = domain.item_light(tracking.calendar, tracking.policy, assignment.due_date, today, closed,
                              missed_reports(assignment, today))
    message = tracking_pb2.Assignment(
        item_id=assignment.item_id, item_no=assignment.item_no, title=assignment.title, content=assignment.content,
        category=assignment.category, key_tracking=assignment.key_tracking,
        registered_on=assignment.registered_on.isoformat(), notice_due_on=assignment.notice_due_on.isoformat(),
        notice_no=assignment.notice_no, notice_issued_at=_ts(assignment.notice_issued_at),
        original_due_date=assignment.original_due_date.isoformat(), due_date=assignment.due_date.isoformat(),
        status=assignment.status, units=unit_duties(assignment), light=light.colour, light_reason=light.reason,
        needs_failure_analysis=(not closed and today > assignment.due_date and not assignment.reply_root_cause),
        version=assignment.version, closed_at=_ts(assignment.closed_at), archived_at=_ts(assignment.archived_at),
    )
    message.responsible_leader.id, message.responsible_leader.name = assignment.leader_id, assignment.leader_name
    for e in assignment.expected:
        message.expected_reports.append(tracking_pb2.ExpectedReport(
            id=e.id, unit_id=e.unit_id, period=e.period, period_start=e.period_start.isoformat(),
            due_on=e.due_on.isoformat(), status=e.status, report_id=e.report_id, urged=e.urged,
            light=domain.report_light(e.due_on, today, e.status == "filed")))
    if brief:
        return message
    for r in assignment.reports:
        message.reports.append(tracking_pb2.ProgressReport(
            id=r.id, unit_id=r.unit_id, period=r.period, expected_report_id=r.expected_report_id, text=r.text,
            filed_at=_ts(r.filed_at), filed_by=_snap(r.filed_by)))
    for x in assignment.extensions:
        message.extensions.append(tracking_pb2.Extension(
            id=x.id, unit_id=x.unit_id, reason=x.reason, progress=x.progress, old_due_date=x.old_due_date.isoformat(),
            new_due_date=x.new_due_date.isoformat(), status=x.status, requested_at=_ts(x.requested_at),
            requested_by=_snap(x.requested_by), decided_at=_ts(x.decided_at), decided_by=_snap(x.decided_by),
            comment=x.comment))
    for u in assignment.office_urges:
        message.office_urges.append(tracking_pb2.OfficeUrge(
            unit_id=u.unit_id, unit_name=u.unit_name, method=u.method, text=u.text, by=_snap(u.by), at=_ts(u.at)))
    if assignment.replied_at:
        message.reply.CopyFrom(tracking_pb2.Reply(
            result=assignment.reply_result, root_cause=assignment.reply_root_cause, measures=assignment.reply_measures,
            filed_at=_ts(assignment.replied_at), filed_by=_snap(assignment.replied_by), late=assignment.reply_late))
    if assignment.completion_filled_at:
        message.completion.CopyFrom(tracking_pb2.CompletionReport(
            report_kind=assignment.completion_kind, result_summary=assignment.completion_summary,
            completed_within_time=assignment.completion_within_time, filled_at=_ts(assignment.completion_filled_at),
            filled_by=_snap(assignment.completion_filled_by), opinion=assignment.signature_opinion,
            signed_at=_ts(assignment.signed_at), signed_by=_snap(assignment.signed_by),
            approved=assignment.signature_approved, follow_up=assignment.follow_up))
    if with_timeline:
        message.timeline.extend(timeline(tracking, assignment))
    return message
