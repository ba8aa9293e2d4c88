"""我的待办 / 待我签批 from inspection: a unit's rectifications to report (the late first), a person's
escalations to read, and for the office head the plans awaiting approval."""

from __future__ import annotations

import json

from sqlalchemy import select

from libs.common import permissions, todo, todo_entries
from libs.common.actor import Actor
from libs.common.todo_entries import Todo, todo_order, working_days_waited
from services.inspection import domain
from services.inspection.context import Inspection
from services.inspection.orm import (
    Escalation,
    EscalationRecipient,
    Finding,
    InspectionReport,
    Plan,
    RectificationRound,
    ReportFeedback,
)

SUMMARY = 60


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY else text[:SUMMARY] + "…"


def todo_list(inspection: Inspection, caller: Actor | None, unit_ids: list[str], leader_id: str,
              kinds: list[str]) -> list[Todo]:
    wanted, asked = todo_entries.asked("inspection", caller, unit_ids, leader_id, kinds)
    today, now = inspection.today(), inspection.clock.now()
    entries: list[Todo] = []
    with inspection.uow.read() as tx:
        if "rectification_due" in wanted and asked[todo.UNIT]:
            rows = tx.session.execute(
                select(Finding, RectificationRound)
                .join(RectificationRound, RectificationRound.finding_id == Finding.id)
                .where(Finding.unit_id.in_(asked[todo.UNIT]), Finding.rect_mode == domain.ORDERED,
                       RectificationRound.reported_at.is_(None), RectificationRound.verdict == ""))
            for finding, round_ in rows:
                late = round_.due_date is not None and today > round_.due_date
                entries.append(Todo(
                    kind="rectification_due", item_id=finding.item_id, item_no=finding.item_no,
                    title=_short(finding.text), unit_id=finding.unit_id, unit_name=finding.unit_name,
                    due_on=round_.due_date, late=late, since=round_.ordered_at,
                    waited_working_days=working_days_waited(inspection.calendar, round_.ordered_at.date(), today),
                    ref_id=finding.id,
                    summary=domain.status_text(domain.OVERDUE if late else domain.ORDERED, round_.due_date,
                                               round_.number - 1),
                    details=(("整改要求", round_.requirement), ("问题", finding.text))))
        if "feedback_to_answer" in wanted and asked[todo.UNIT]:
            parts = tx.session.execute(
                select(ReportFeedback, InspectionReport.report_no, InspectionReport.title, InspectionReport.issued_at)
                .join(InspectionReport, InspectionReport.id == ReportFeedback.report_id)
                .where(ReportFeedback.unit_id.in_(asked[todo.UNIT]), ReportFeedback.answered_at.is_(None)))
            for part, report_no, title, issued_at in parts:
                entries.append(Todo(
                    kind="feedback_to_answer", item_id="", item_no=report_no, title=title, unit_id=part.unit_id,
                    unit_name=part.unit_name, due_on=part.answer_by, late=today > part.answer_by, since=issued_at,
                    waited_working_days=working_days_waited(inspection.calendar, (issued_at or now).date(), today),
                    ref_id=part.report_id,
                    summary=("已签收，" if part.acknowledged_at else "") + f"请于{part.answer_by:%Y年%m月%d日}前书面答复整改落实情况",
                    details=(("问题数", str(part.findings)),)))
        if "escalation_to_read" in wanted and asked[todo.LEADER]:
            found = tx.session.scalars(
                select(Escalation).join(EscalationRecipient)
                .where(EscalationRecipient.person_id.in_(asked[todo.LEADER]),
                       EscalationRecipient.acknowledged_at.is_(None))).unique()
            for e in found:
                entries.append(Todo(
                    kind="escalation_to_read", item_id=e.item_id, item_no=e.item_no, title=_short(e.text),
                    unit_id=e.unit_id, unit_name=e.unit_name, since=e.raised_at, late=True,
                    waited_working_days=working_days_waited(inspection.calendar, e.raised_at.date(), today),
                    asked_by=e.raised_by, ref_id=e.id, summary="督查中发现的重大问题，请阅知",
                    details=(("报告内容", e.text),)))
        roles = set(caller.roles) if caller else set()
        if "plan_to_approve" in wanted and asked[todo.LEADER] and roles & {permissions.OFFICE_HEAD, permissions.ADMIN}:
            for plan in tx.session.scalars(select(Plan).where(Plan.status == domain.DRAFT).order_by(Plan.created_at)):
                drafter = json.loads(plan.drafted_by or "{}")
                entries.append(Todo(
                    kind="plan_to_approve", item_id="", item_no="", title=plan.title, unit_id=drafter.get("unit_id", ""),
                    unit_name="", since=plan.created_at,
                    waited_working_days=working_days_waited(inspection.calendar, plan.created_at.date(), today),
                    asked_by=plan.drafted_by, ref_id=plan.id, summary="督查工作方案待批准",
                    details=(("督查时间", f"{plan.starts_on or ''}至{plan.ends_on or ''}"),)))
    return sorted(entries, key=todo_order)
