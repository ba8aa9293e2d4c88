"""我的待办 / 待我签批: what waits for a unit (notices to sign, reports and replies due, extensions pending)
and for a leader (extension requests and completion reports to sign), read as rows, the most urgent first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, select

from libs.common import todo, todo_entries, vocabulary
from libs.common.actor import Actor, snapshot_name
from libs.common.clock import OFFICE_TZ
from libs.common.todo_entries import Todo, todo_order, working_days_waited
from services.tracking import domain
from services.tracking.context import Tracking
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, Extension

ACTIVE = ("notified", "in_progress")  # the unit's turn: it signs, reports, asks for more time, replies


def todo_list(tracking: Tracking, caller: Actor | None, unit_ids: list[str], leader_id: str,
              kinds: list[str]) -> list[Todo]:
    """What waits for these units (their kinds) and this leader (theirs), the most urgent first. A person
    reads only their own unit's and their own signatures; nothing asked for, nothing answered."""
    wanted, asked = todo_entries.asked("tracking", caller, unit_ids, leader_id, kinds)
    answered = {k.name: k for k in todo.kinds_of("tracking")}
    entries: list[Todo] = []
    with tracking.uow.read() as tx:
        connection = tx.session.connection()
        for read, yields in _READERS:
            audience = answered[yields[0]].audience
            if wanted.intersection(yields) and asked[audience]:
                entries.extend(e for e in read(tracking, connection, asked[audience]) if e.kind in wanted)
    return sorted(entries, key=todo_order)


def _waited(tracking: Tracking, since: dt.datetime | None) -> int:
    return working_days_waited(tracking.calendar, since.astimezone(OFFICE_TZ).date(), tracking.today()) \
        if since else 0


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def _notices_to_sign(tracking: Tracking, connection: Any, units: list[str]) -> list[Todo]:
    rows = connection.execute(
        select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.notice_no,
               Assignment.notice_issued_at, AssignmentUnit.unit_id, AssignmentUnit.unit_name, AssignmentUnit.role,
               AssignmentUnit.ack_due_at)
        .join(AssignmentUnit, AssignmentUnit.item_id == Assignment.item_id)
        .where(AssignmentUnit.unit_id.in_(units), AssignmentUnit.acknowledged_at.is_(None),
               Assignment.status.in_(ACTIVE))).all()
    now = tracking.clock.now()
    return [Todo(
        "notice_to_sign", r.item_id, r.item_no, r.title, r.unit_id, r.unit_name,
        due_on=r.ack_due_at.astimezone(OFFICE_TZ).date() if r.ack_due_at else None, due_at=r.ack_due_at,
        late=bool(r.ack_due_at and now > r.ack_due_at), since=r.notice_issued_at,
        waited_working_days=_waited(tracking, r.notice_issued_at), ref_id=r.unit_id,
        summary=f"督办通知 {r.notice_no}（{vocabulary.UNIT_ROLES.get(r.role, r.role)}），请于 {_local(r.ack_due_at)} 前签收",
        details=(("督办通知", r.notice_no), ("发出时间", _local(r.notice_issued_at)), ("签收时限", _local(r.ack_due_at))),
    ) for r in rows]


def _reports(tracking: Tracking, connection: Any, units: list[str]) -> list[Todo]:
    today = tracking.today()
    # Past its deadline a unit files its reply (with the root cause) before any report: not listed then.
    rows = connection.execute(
        select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.lead_unit_name,
               Assignment.due_date, ExpectedReport.id, ExpectedReport.unit_id, ExpectedReport.period,
               ExpectedReport.period_start, ExpectedReport.due_on, ExpectedReport.status)
        .join(ExpectedReport, ExpectedReport.item_id == Assignment.item_id)
        .where(ExpectedReport.unit_id.in_(units), ExpectedReport.status != "filed", Assignment.status.in_(ACTIVE),
               Assignment.due_date >= today)).all()
    found = []
    for r, late in domain.reports_open_to_unit(rows, today):
        period = domain.PERIOD_LABELS[r.period]
        found.append(Todo(
            "report_late" if late else "report_due", r.item_id, r.item_no, r.title, r.unit_id, r.lead_unit_name,
            due_on=r.due_on, late=late, ref_id=r.id,
            summary=f"{period}（{r.period_start.isoformat()} 起），{'已于' if late else '请于'} {r.due_on.isoformat()} "
                    f"{'截止，尚未报送' if late else '前报送'}",
            details=(("类型", period), ("截止", r.due_on.isoformat()), ("完成时限", r.due_date.isoformat()))))
    return found


def _replies(tracking: Tracking, connection: Any, units: list[str]) -> list[Todo]:
    today = tracking.today()
    rows = connection.execute(
        select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.lead_unit_id,
               Assignment.lead_unit_name, Assignment.due_date, Assignment.notice_issued_at)
        .where(Assignment.lead_unit_id.in_(units), Assignment.status.in_(ACTIVE))).all()
    found = []
    for r in rows:
        late = domain.is_late(today, r.due_date)
        found.append(Todo(
            "reply_due", r.item_id, r.item_no, r.title, r.lead_unit_id, r.lead_unit_name, due_on=r.due_date, late=late,
            since=r.notice_issued_at, waited_working_days=_waited(tracking, r.notice_issued_at), ref_id=r.item_id,
            summary=(f"已超过完成时限 {r.due_date.isoformat()}：书面回复须剖析问题根源、提出整改措施" if late
                     else f"请于完成时限 {r.due_date.isoformat()} 前书面回复办理结果"),
            details=(("完成时限", r.due_date.isoformat()),)))
    return found


def _extension_rows(connection: Any, where: Any) -> list[Any]:
    rows: list[Any] = connection.execute(
        select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.due_date, Assignment.leader_name,
               Extension.id, Extension.unit_id, Extension.reason, Extension.progress, Extension.new_due_date,
               Extension.requested_at, Extension.requested_by, AssignmentUnit.unit_name)
        .join(Extension, Extension.item_id == Assignment.item_id)
        .outerjoin(AssignmentUnit, and_(AssignmentUnit.item_id == Extension.item_id,
                                        AssignmentUnit.unit_id == Extension.unit_id))
        .where(Extension.status == "pending", where)).all()
    return rows


def _extension_details(r: Any) -> tuple[tuple[str, str], ...]:
    return (("现完成时限", r.due_date.isoformat()), ("申请完成时限", r.new_due_date.isoformat()),
            ("转期理由", r.reason), *((("目前进展", r.progress),) if r.progress else ()))


def _extensions_pending(tracking: Tracking, connection: Any, units: list[str]) -> list[Todo]:
    return [Todo(
        "extension_pending", r.item_id, r.item_no, r.title, r.unit_id, r.unit_name or r.unit_id,
        since=r.requested_at, waited_working_days=_waited(tracking, r.requested_at), asked_by=r.requested_by,
        asked_by_unit=r.unit_name or "", ref_id=r.id,
        summary=f"申请转期至 {r.new_due_date.isoformat()}，待责任领导{r.leader_name or ''}审批",
        details=_extension_details(r),
    ) for r in _extension_rows(connection, Extension.unit_id.in_(units))]


def _extensions_to_sign(tracking: Tracking, connection: Any, leaders: list[str]) -> list[Todo]:
    return [Todo(
        "extension_to_sign", r.item_id, r.item_no, r.title, r.unit_id, r.unit_name or r.unit_id, due_on=r.due_date,
        late=domain.is_late(tracking.today(), r.due_date), since=r.requested_at,
        waited_working_days=_waited(tracking, r.requested_at), asked_by=r.requested_by,
        asked_by_unit=r.unit_name or "", ref_id=r.id,
        summary=f"{r.unit_name or r.unit_id} {snapshot_name(r.requested_by)}申请将完成时限由 {r.due_date.isoformat()} "
                f"延至 {r.new_due_date.isoformat()}",
        details=_extension_details(r),
    ) for r in _extension_rows(connection, Assignment.leader_id.in_(leaders))]


def _closures_to_sign(tracking: Tracking, connection: Any, leaders: list[str]) -> list[Todo]:
    rows = connection.execute(
        select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.lead_unit_id,
               Assignment.lead_unit_name, Assignment.completion_kind, Assignment.completion_summary,
               Assignment.completion_filled_at, Assignment.completion_filled_by, Assignment.replied_at,
               Assignment.replied_by)
        .where(Assignment.leader_id.in_(leaders), Assignment.status == "completion_filled")).all()
    return [Todo(
        "closure_to_sign", r.item_id, r.item_no, r.title, r.lead_unit_id, r.lead_unit_name,
        since=r.completion_filled_at, waited_working_days=_waited(tracking, r.completion_filled_at),
        asked_by=r.completion_filled_by, asked_by_unit=tracking.office_name, ref_id=r.item_id,
        summary=f"{tracking.office_name}{snapshot_name(r.completion_filled_by)}提请审核办结报告单（"
                f"{domain.REPORT_KINDS.get(r.completion_kind, r.completion_kind)}督查报告）",
        details=(("牵头单位", r.lead_unit_name),
                 ("书面回复", f"{snapshot_name(r.replied_by)} {_local(r.replied_at)}".strip()),
                 ("办理结果", r.completion_summary)),
    ) for r in rows]


# Each reader and the kinds it yields (of one audience); a kind of libs/common/todo.py that tracking
# answers is yielded by exactly one reader (tests/test_todo: every kind has its reader).
_READERS: tuple[tuple[Callable[[Tracking, Any, list[str]], list[Todo]], tuple[str, ...]], ...] = (
    (_notices_to_sign, ("notice_to_sign",)),
    (_reports, ("report_late", "report_due")),
    (_replies, ("reply_due",)),
    (_extensions_pending, ("extension_pending",)),
    (_extensions_to_sign, ("extension_to_sign",)),
    (_closures_to_sign, ("closure_to_sign",)),
)
