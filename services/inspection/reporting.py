"""专项 / 综合督查报告 (Art. 6.5) and 反馈 (Art. 6.6): the system drafts the report from the plan's visits,
findings, photos and rectification state (counts, analysis, recommendations); the office edits it and
issues it with a number; each visited or found unit then receives its part, acknowledges it and answers
it in writing by a day in working days. The issued document is stored as issued (what was sent stays)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import cast

from sqlalchemy import Table, select

from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ
from libs.common.db import UnitOfWork, next_in_sequence
from libs.common.deadline_text import chinese_date
from libs.common.errors import Conflict, FailedPrecondition, InvalidInput, PermissionDenied
from libs.common.vocabulary import FINDING_CATEGORIES, FINDING_SEVERITIES, REPORT_KINDS
from services.inspection import convert, domain, events, report_content, report_document, report_text
from services.inspection.context import Inspection, is_office, may_see_plan, require
from services.inspection.orm import (
    Finding,
    InspectionReport,
    KnownItem,
    Plan,
    ReportFeedback,
    ReportSequence,
    Visit,
)
from services.inspection.repository import get

DRAFT, ISSUED = "draft", "issued"
ANSWER_WORKING_DAYS = 10  # units answer their part within this many working days unless the office says
REPORT_NO_PATTERN = "督查报告〔{year}〕{seq}号"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _words(finding: Finding, today: dt.date) -> str:
    """The rectification state as the report says it (report_document reads the stage from the opening)."""
    if not finding.rect_mode:
        return "待下达整改要求"
    rounds = finding.rounds
    status = domain.rectification_status(finding.rect_mode, convert.rounds_of(finding), today)
    if finding.rect_mode == domain.ON_SPOT:
        return "当场整改"
    last = rounds[-1]
    due = chinese_date(last.due_date) if last.due_date else ""
    if status == domain.RECTIFIED:
        when = chinese_date(last.verified_at.astimezone(OFFICE_TZ).date()) if last.verified_at else ""
        return f"已整改（{when}回头看通过）" + (f"，此前回头看{finding.relapses}次未通过" if finding.relapses else "")
    if status == domain.OVERDUE:
        return f"已逾期未整改（整改期限{due}）"
    if finding.relapses:
        return f"回头看未通过，已重新限期至{due}（第{finding.relapses + 1}次）"
    if status == domain.REPORTED:
        return f"限时整改中，单位已报整改情况，待回头看（整改期限{due}）"
    return f"限时整改中，整改期限{due}"


def _member_name(name: str, seconded: str) -> str:
    return f"{name}（{seconded}抽调）" if seconded else name


def report_data(inspection: Inspection, tx: UnitOfWork, plan: Plan, report: InspectionReport,
                with_photos: bool = True, unit_id: str = "") -> report_content.SupervisionReportData:
    """The report's content from the database (and the photos from storage), per unit in the plan's order."""
    today = inspection.today()
    visits, findings = _rows(tx, plan)
    names = dict(units_of(plan, visits, findings))
    units = [u for u in names if not unit_id or u == unit_id]
    number = 0
    parts = []
    for unit in units:
        visit = next((v for v in reversed(visits) if v.unit_id == unit), None)
        found = []
        for f in (f for f in findings if f.unit_id == unit):
            number += 1
            local = f.recorded_at.astimezone(inspection.local_now().tzinfo)
            photos = tuple(
                report_content.ReportPhoto(
                    caption=f"问题{number}（{names[unit]}，{local:%Y年%m月%d日 %H:%M}拍摄）",
                    jpeg=inspection.storage.get(p.storage_key), width=p.width, height=p.height)
                for p in f.photos if p.stage == "finding") if with_photos else ()
            found.append(report_content.ReportFinding(
                number=number, text=f.text, category_label=FINDING_CATEGORIES.get(f.category, f.category),
                severity_label=FINDING_SEVERITIES.get(f.severity, f.severity), item_no=f.item_no,
                item_title=f.item_title, found_at=local.replace(tzinfo=None), place=f.place,
                rectification=_words(f, today), photos=photos))
        parts.append(report_content.ReportUnitPart(
            unit_name=names[unit], visited_on=visit.visited_at.date() if visit else None,
            ledger_kept=visit.ledger_kept if visit else None, ledger_current=visit.ledger_current if visit else None,
            ledger_note=visit.ledger_note if visit else "",
            verifications=tuple(report_content.ReportVerification(
                item_no=c.item_no, item_title=c.title, process_verified=c.process == "verified",
                result_verified=c.result == "verified", note=c.note) for c in visit.checks) if visit else (),
            findings=tuple(found)))
    items = {i.item_id: i for i in tx.session.scalars(select(KnownItem).where(
        KnownItem.item_id.in_([i.item_id for i in plan.items])))}
    team = [m for m in plan.members]
    leader = next((m.name for m in team if m.role == domain.TEAM_LEADER), "")
    return report_content.SupervisionReportData(
        kind=report.kind, title=report.title, report_no=report.report_no,
        org_name="海东市平安区政府系统", office_name=inspection.office_name, plan_title=plan.title,
        period_start=plan.starts_on or today, period_end=plan.ends_on or today, team_leader=leader,
        team_members=tuple(_member_name(m.name, m.seconded_from_unit_name) for m in team
                           if m.role == domain.MEMBER),
        items=tuple((items[i.item_id].item_no, items[i.item_id].title) for i in plan.items if i.item_id in items),
        units=tuple(parts), analysis=report.analysis, recommendations=report.recommendations,
        issued_on=report.issued_at.astimezone(inspection.local_now().tzinfo).date() if report.issued_at else None)


def units_of(plan: Plan, visits: list[Visit], findings: list[Finding]) -> list[tuple[str, str]]:
    """The report's units in order: the plan's stops, then units visited or found at beyond them."""
    names: dict[str, str] = {}
    for unit_id, name in ([(s.unit_id, s.unit_name) for s in plan.stops] + [(v.unit_id, v.unit_name) for v in visits]
                          + [(f.unit_id, f.unit_name) for f in findings]):
        names.setdefault(unit_id, name)
    return list(names.items())


def _title(plan: Plan) -> str:
    kind = REPORT_KINDS.get(plan.kind, "")
    return f"关于{plan.title}情况的{kind}督查报告"[:domain.TITLE_MAX]


def draft_report(inspection: Inspection, plan_id: str, actor: Actor) -> InspectionReport:
    """The plan's report (made on first call; drafts follow the findings until it is issued)."""
    require(actor, "inspection.plan", "只有督查室可以起草督查报告")
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id, lock=True)
        if plan.status == domain.DRAFT:
            raise FailedPrecondition("a draft plan has no report", {"plan_id": "方案尚未批准，不能起草督查报告"})
        report = tx.session.scalars(select(InspectionReport).where(InspectionReport.plan_id == plan_id)).first()
        if report is None:
            now = inspection.clock.now()
            report = InspectionReport(id=str(uuid.uuid4()), plan_id=plan_id, kind=plan.kind, title=_title(plan),
                                      status=DRAFT, version=1, created_at=now, updated_at=now)
            tx.session.add(report)
        tx.commit()
    return report


def update_report(inspection: Inspection, report_id: str, title: str, analysis: str, recommendations: str,
                  expected_version: int, actor: Actor) -> InspectionReport:
    require(actor, "inspection.plan", "只有督查室可以修改督查报告")
    if len(analysis) > 20000 or len(recommendations) > 20000:
        raise InvalidInput("report text too long", {"analysis": "分析和建议各不能超过20000字"})
    with inspection.uow() as tx:
        report = get(tx, InspectionReport, report_id, lock=True)
        if report.status == ISSUED:
            raise FailedPrecondition("an issued report is not changed", {"status": "报告已印发，不能再修改"})
        if expected_version and report.version != expected_version:
            raise Conflict(f"report at version {report.version}", {"version": "报告已被他人修改，请刷新后再改"})
        report.title = title.strip()[:domain.TITLE_MAX] or report.title
        report.analysis, report.recommendations = analysis.strip(), recommendations.strip()
        report.version += 1
        report.updated_at = inspection.clock.now()
        tx.commit()
    return report


def issue_report(inspection: Inspection, report_id: str, answer_working_days: int, actor: Actor) -> InspectionReport:
    """Number it, store the document as issued and each unit's part, open the units' feedback."""
    require(actor, "inspection.plan", "只有督查室可以印发督查报告")
    days = answer_working_days or ANSWER_WORKING_DAYS
    if not 1 <= days <= domain.MAX_WORKING_DAYS:
        raise InvalidInput("answer days out of range", {"answer_working_days": f"答复期限应为1至{domain.MAX_WORKING_DAYS}个工作日"})
    with inspection.uow() as tx:
        report = get(tx, InspectionReport, report_id, lock=True)
        if report.status == ISSUED:
            return report  # issued once
        plan = get(tx, Plan, report.plan_id)
        now = inspection.clock.now()
        year = inspection.local_now().year
        report.report_no = REPORT_NO_PATTERN.format(year=year, seq=next_in_sequence(
            tx.session, cast(Table, ReportSequence.__table__), year))
        report.status, report.issued_at, report.issued_by = ISSUED, now, actor.snapshot()
        if not report.analysis or not report.recommendations:  # what the system drafted is what is issued
            draft = report_data(inspection, tx, plan, report, with_photos=False)
            report.analysis = report.analysis or report_text.draft_analysis(draft)
            report.recommendations = report.recommendations or report_text.draft_recommendations(draft)
        data = report_data(inspection, tx, plan, report)
        report.docx_key = inspection.storage.put(f"inspection/reports/{report.id}/{report.report_no}.docx",
                                                 report_document.render_supervision_report_docx(data))
        answer_by = domain.deadline(inspection.calendar, inspection.today(), days, None)
        for position, ((unit_id, _), part) in enumerate(zip(units_of(plan, *_rows(tx, plan)), data.units, strict=True)):
            key = inspection.storage.put(
                f"inspection/reports/{report.id}/{unit_id}.docx",
                report_document.render_unit_feedback_docx(data, part.unit_name, answer_by))
            report.feedback.append(ReportFeedback(
                report_id=report.id, unit_id=unit_id, unit_name=part.unit_name, findings=len(part.findings),
                answer_by=answer_by, docx_key=key, position=position))
        report.version += 1
        report.updated_at = now
        tx.publish(events.report_issued(report, plan, now))
        tx.commit()
    return report


def _rows(tx: UnitOfWork, plan: Plan) -> tuple[list[Visit], list[Finding]]:
    return (list(tx.session.scalars(select(Visit).where(Visit.plan_id == plan.id).order_by(Visit.visited_at))),
            list(tx.session.scalars(select(Finding).where(Finding.plan_id == plan.id)
                                    .order_by(Finding.recorded_at, Finding.id))))


def _feedback_of(report: InspectionReport, actor: Actor, unit_id: str) -> ReportFeedback:
    unit = unit_id or actor.unit_id
    if not is_office(actor) and unit != actor.unit_id:
        raise PermissionDenied(f"{actor.unit_id} acts for {unit}", {"unit_id": "只能办理本单位的反馈"})
    part = next((f for f in report.feedback if f.unit_id == unit), None)
    if part is None:
        raise FailedPrecondition(f"no feedback for {unit}", {"unit_id": "该报告没有发给本单位的反馈意见"})
    return part


def acknowledge_feedback(inspection: Inspection, report_id: str, unit_id: str, actor: Actor) -> InspectionReport:
    require(actor, "inspection.rectify", "只有被督查单位可以签收反馈意见")
    with inspection.uow() as tx:
        report = get(tx, InspectionReport, report_id, lock=True)
        part = _feedback_of(report, actor, unit_id)
        if part.acknowledged_at is None:
            now = inspection.clock.now()
            part.acknowledged_at, part.acknowledged_by = now, actor.snapshot()
            report.version += 1
            tx.publish(events.feedback_changed(events.FEEDBACK_ACKNOWLEDGED, report, part, now))
        tx.commit()
    return report


def answer_feedback(inspection: Inspection, report_id: str, unit_id: str, answer: str, actor: Actor) -> InspectionReport:
    require(actor, "inspection.rectify", "只有被督查单位可以答复反馈意见")
    if not answer.strip():
        raise InvalidInput("empty answer", {"answer": "请填写整改落实情况的书面答复"})
    if len(answer) > domain.TEXT_MAX:
        raise InvalidInput("answer too long", {"answer": f"答复不能超过{domain.TEXT_MAX}字"})
    with inspection.uow() as tx:
        report = get(tx, InspectionReport, report_id, lock=True)
        part = _feedback_of(report, actor, unit_id)
        if part.answered_at is not None:
            raise FailedPrecondition("answered already", {"answer": "本单位已答复该反馈意见"})
        now = inspection.clock.now()
        if part.acknowledged_at is None:  # answering is also receiving it
            part.acknowledged_at, part.acknowledged_by = now, actor.snapshot()
            tx.publish(events.feedback_changed(events.FEEDBACK_ACKNOWLEDGED, report, part, now))
        part.answer, part.answered_at, part.answered_by = answer.strip(), now, actor.snapshot()
        report.version += 1
        tx.publish(events.feedback_changed(events.FEEDBACK_ANSWERED, report, part, now))
        tx.commit()
    return report


def get_report(inspection: Inspection, report_id: str, plan_id: str, actor: Actor) -> tuple[
        InspectionReport, Plan, report_content.SupervisionReportData]:
    """The report for the office and the plan's team; a unit reads its own feedback part only (the
    report itself through its part's document)."""
    with inspection.uow.read() as tx:
        if report_id:
            report = get(tx, InspectionReport, report_id)
        else:
            found = tx.session.scalars(select(InspectionReport).where(InspectionReport.plan_id == plan_id)).first()
            if found is None:
                get(tx, InspectionReport, "-")  # NotFound
            report = cast(InspectionReport, found)
        plan = get(tx, Plan, report.plan_id)
        mine = any(f.unit_id == actor.unit_id for f in report.feedback) and bool(actor.unit_id)
        if not may_see_plan(actor, plan) and not mine:
            get(tx, InspectionReport, "-")  # not found to whoever may not see it
        data = report_data(inspection, tx, plan, report, with_photos=False)
    return report, plan, data


def document(inspection: Inspection, report_id: str, unit_id: str, feedback: bool, actor: Actor) -> tuple[str, bytes]:
    """(file name, DOCX): the report (issued as stored; a draft rendered now) or a unit's part."""
    report, plan, _ = get_report(inspection, report_id, "", actor)
    if feedback:
        part = _feedback_of(report, actor, unit_id) if not may_see_plan(actor, plan) else next(
            (f for f in report.feedback if f.unit_id == (unit_id or actor.unit_id)), None)
        if part is None:
            raise FailedPrecondition("no feedback part", {"unit_id": "该报告没有发给该单位的反馈意见"})
        return f"督查反馈意见_{part.unit_name}.docx", inspection.storage.get(part.docx_key)
    if not may_see_plan(actor, plan):
        raise PermissionDenied("the report is the office's", {"kind": "单位只能查看本单位的反馈意见"})
    if report.docx_key:
        return f"{report.report_no}.docx", inspection.storage.get(report.docx_key)
    with inspection.uow.read() as tx:
        data = report_data(inspection, tx, get(tx, Plan, report.plan_id), report)
    return f"{report.title}（送审稿）.docx", report_document.render_supervision_report_docx(data)

