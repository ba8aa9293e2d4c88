"""An item's inspection material for its dossier (整理建档, Art. 6.8): each finding about it with its
rectification course in words, every photo (of the finding, the fix, the unit's report, the 回头看), the
verifications of its process and result, and the parts of issued reports sent to its units; and the
issued reports that cover it, which its completion report names ("并形成专项督查报告", Art. 6.7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from libs.common import permissions
from libs.common.actor import Actor, snapshot_name
from libs.common.clock import OFFICE_TZ
from libs.common.errors import PermissionDenied
from libs.common.vocabulary import CHECK_VERDICTS, FINDING_CATEGORIES, FINDING_SEVERITIES, RECTIFICATION_MODES
from services.inspection import convert, domain
from services.inspection.context import Inspection
from services.inspection.orm import Finding, InspectionReport, ItemCheck, KnownItem, PlanItem, Visit

STAGES = {"finding": "现场", "on_spot": "当场整改", "report": "整改报告", "verification": "回头看"}


@dataclass(frozen=True)
class MaterialFile:
    path: str
    title: str
    kind: str
    data: bytes


def _require_service(actor: Actor) -> None:
    if permissions.SYSTEM not in actor.roles:
        raise PermissionDenied("item material is for services", {"role": "仅供系统调用"})


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def _finding_text(f: Finding, today: dt.date) -> str:
    lines = [f"问题：{f.text}", f"类别：{FINDING_CATEGORIES.get(f.category, f.category)}",
             f"性质：{FINDING_SEVERITIES.get(f.severity, f.severity)}", f"单位：{f.unit_name}", f"地点：{f.place}",
             f"记录：{snapshot_name(f.recorded_by)} {_local(f.recorded_at)}"]
    if f.latitude is not None and f.longitude is not None:
        lines.append(f"定位（WGS-84）：{f.latitude:.6f}, {f.longitude:.6f}，精度{f.accuracy_m or 0:.0f}米")
    if f.rect_mode:
        status = domain.rectification_status(f.rect_mode, convert.rounds_of(f), today)
        lines.append(f"整改方式：{RECTIFICATION_MODES.get(f.rect_mode, f.rect_mode)}")
        lines.append(f"整改状态：{domain.status_text(status, f.rounds[-1].due_date, f.relapses)}")
        for r in f.rounds:
            if f.rect_mode == domain.ON_SPOT:
                lines.append(f"当场整改情况：{r.report_text}（{snapshot_name(r.reported_by)} {_local(r.reported_at)}）")
                continue
            lines.append(f"第{r.number}次限期：整改期限{r.due_date}；要求：{r.requirement}")
            if r.reported_at:
                lines.append(f"  整改情况报告（{snapshot_name(r.reported_by)} {_local(r.reported_at)}）：{r.report_text}")
            if r.verdict:
                verdict = "通过" if r.verdict == domain.PASSED else "未通过"
                lines.append(f"  回头看{verdict}（{snapshot_name(r.verified_by)} {_local(r.verified_at)}）：{r.verification_text}")
    else:
        lines.append("整改：尚未下达整改要求")
    return "\n".join(lines) + "\n"


def item_material(inspection: Inspection, item_id: str, actor: Actor) -> Iterator[MaterialFile]:
    _require_service(actor)
    today = inspection.today()
    with inspection.uow.read() as tx:
        findings = list(tx.session.scalars(select(Finding).where(Finding.item_id == item_id)
                                           .order_by(Finding.recorded_at, Finding.id)))
        checks = list(tx.session.execute(select(ItemCheck, Visit).join(Visit, Visit.id == ItemCheck.visit_id)
                                         .where(ItemCheck.item_id == item_id).order_by(Visit.visited_at)))
        item = tx.session.get(KnownItem, item_id)
        units = {f.unit_id for f in findings} | {v.unit_id for _, v in checks} | set(
            item.unit_ids.split(",") if item and item.unit_ids else ())
        reports = list(tx.session.scalars(
            select(InspectionReport).where(InspectionReport.status == "issued", InspectionReport.plan_id.in_(
                select(PlanItem.plan_id).where(PlanItem.item_id == item_id)))))
    for n, f in enumerate(findings, start=1):
        yield MaterialFile(f"问题{n:02d}_{f.unit_name}.txt", f"督查发现问题{n}", "finding", _finding_text(f, today).encode())
        for k, photo in enumerate(f.photos, start=1):
            suffix = photo.storage_key.rsplit(".", 1)[-1]
            yield MaterialFile(f"照片/问题{n:02d}_{k:02d}_{STAGES.get(photo.stage, photo.stage)}.{suffix}",
                               f"问题{n}照片（{STAGES.get(photo.stage, photo.stage)}）", "photo",
                               inspection.storage.get(photo.storage_key))
    if checks:
        lines = [f"{_local(v.visited_at)} {v.unit_name}：办理过程{CHECK_VERDICTS.get(c.process, c.process)}，"
                 f"办理结果{CHECK_VERDICTS.get(c.result, c.result)}。{c.note}" for c, v in checks]
        yield MaterialFile("核实情况.txt", "核实办理过程和办理结果", "verification", ("\n".join(lines) + "\n").encode())
    for report in reports:
        for part in report.feedback:
            if part.unit_id in units:
                yield MaterialFile(f"督查报告/{report.report_no}_{part.unit_name}反馈意见.docx",
                                   f"{report.report_no}（{part.unit_name}部分）", "report_part",
                                   inspection.storage.get(part.docx_key))


def item_reports(inspection: Inspection, item_id: str, actor: Actor) -> list[InspectionReport]:
    _require_service(actor)
    with inspection.uow.read() as tx:
        return list(tx.session.scalars(
            select(InspectionReport).where(InspectionReport.status == "issued", InspectionReport.plan_id.in_(
                select(PlanItem.plan_id).where(PlanItem.item_id == item_id))).order_by(InspectionReport.issued_at)))

