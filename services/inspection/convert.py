"""Rows to proto messages (API answers, event payloads). No rules, except derived fields through domain."""

from __future__ import annotations

import datetime as dt
import json

from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.inspection.v1 import inspection_pb2
from libs.common.actor import snapshot_proto
from services.inspection import domain
from services.inspection.orm import (
    Escalation,
    Finding,
    InspectionReport,
    KnownItem,
    Photo,
    Plan,
    RectificationRound,
    ReportFeedback,
    Visit,
)


def ts(moment: dt.datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def plan_to_proto(plan: Plan, items: dict[str, KnownItem], brief: bool = False,
                  visits: list[Visit] | None = None, findings: int = 0, open_rectifications: int = 0) -> inspection_pb2.Plan:
    message = inspection_pb2.Plan(
        id=plan.id, plan_no=plan.plan_no, title=plan.title, kind=plan.kind, status=plan.status,
        starts_on=_day(plan.starts_on), ends_on=_day(plan.ends_on), preparation=plan.preparation,
        training=json.loads(plan.training or "[]"), drafted_by=snapshot_proto(plan.drafted_by),
        approved_at=ts(plan.approved_at), approved_by=snapshot_proto(plan.approved_by), version=plan.version,
        findings=findings, open_rectifications=open_rectifications)
    for link in plan.items:
        item = items.get(link.item_id)
        entry = message.items.add(item_id=link.item_id)
        if item is not None:
            entry.item_no, entry.title, entry.lead_unit_id = item.item_no, item.title, item.lead_unit_id
            entry.responsible_leader.id, entry.responsible_leader.name = item.leader_id, item.leader_name
    for stop in plan.stops:
        message.stops.add(unit_id=stop.unit_id, unit_name=stop.unit_name, place=stop.place,
                          scheduled_on=_day(stop.scheduled_on),
                          visit_id=next((v.id for v in visits or () if v.unit_id == stop.unit_id), ""))
    for m in plan.members:
        message.members.add(
            person=common_pb2.PersonSnapshot(id=m.person_id, name=m.name, unit_id=m.unit_id, unit_name=m.unit_name),
            role=m.role, seconded_from_unit_id=m.seconded_from_unit_id,
            seconded_from_unit_name=m.seconded_from_unit_name, training_confirmed_at=ts(m.training_confirmed_at))
    if brief:
        return message
    for lead in plan.leads:
        message.leads.add(unit_id=lead.unit_id, item_id=lead.item_id, text=lead.text, source=lead.source)
    for change in plan.changes:
        message.changes.add(at=ts(change.at), by=snapshot_proto(change.by), reason=change.reason, summary=change.summary)
    message.visits.extend(visit_to_proto(v) for v in visits or ())
    return message


def visit_to_proto(visit: Visit) -> inspection_pb2.Visit:
    return inspection_pb2.Visit(
        id=visit.id, plan_id=visit.plan_id, unit_id=visit.unit_id, unit_name=visit.unit_name, place=visit.place,
        visited_at=ts(visit.visited_at), recorded_by=snapshot_proto(visit.recorded_by), ledger_kept=visit.ledger_kept,
        ledger_current=visit.ledger_current, ledger_note=visit.ledger_note, summary=visit.summary,
        checks=[inspection_pb2.ItemCheck(item_id=c.item_id, item_no=c.item_no, title=c.title, process=c.process,
                                         result=c.result, note=c.note) for c in visit.checks])


def photo_to_proto(photo: Photo) -> inspection_pb2.Photo:
    message = inspection_pb2.Photo(
        id=photo.id, filename=photo.filename, content_type=photo.content_type, size=photo.size, width=photo.width,
        height=photo.height, sha256=photo.sha256, taken_at=photo.taken_at)
    if photo.exif_latitude is not None and photo.exif_longitude is not None:
        message.exif_position.CopyFrom(inspection_pb2.GeoPosition(
            latitude=photo.exif_latitude, longitude=photo.exif_longitude, datum="WGS-84"))
    return message


def _evidence(text: str, photos: list[Photo]) -> inspection_pb2.Evidence:
    return inspection_pb2.Evidence(text=text, photos=[photo_to_proto(p) for p in photos])


def rounds_of(finding: Finding) -> tuple[domain.Round, ...]:
    return tuple(domain.Round(r.due_date or dt.date.min, r.reported_at is not None, r.verdict) for r in finding.rounds)


def _round(finding: Finding, r: RectificationRound, today: dt.date) -> inspection_pb2.RectificationRound:
    photos = [p for p in finding.photos if p.round == r.number]
    return inspection_pb2.RectificationRound(
        number=r.number, due_date=_day(r.due_date), ordered_at=ts(r.ordered_at), ordered_by=snapshot_proto(r.ordered_by),
        requirement=r.requirement, reported_at=ts(r.reported_at), reported_by=snapshot_proto(r.reported_by),
        report=_evidence(r.report_text, [p for p in photos if p.stage == "report"]),
        verified_at=ts(r.verified_at), verified_by=snapshot_proto(r.verified_by), verdict=r.verdict,
        verification=_evidence(r.verification_text, [p for p in photos if p.stage == "verification"]),
        overdue=r.due_date is not None and r.reported_at is None and not r.verdict and today > r.due_date)


def finding_to_proto(finding: Finding, plan_title: str, today: dt.date) -> inspection_pb2.Finding:
    message = inspection_pb2.Finding(
        id=finding.id, plan_id=finding.plan_id, plan_title=plan_title, visit_id=finding.visit_id,
        unit_id=finding.unit_id, unit_name=finding.unit_name, item_id=finding.item_id, item_no=finding.item_no,
        item_title=finding.item_title, text=finding.text, category=finding.category, severity=finding.severity,
        place=finding.place, device_time=ts(finding.device_time), recorded_at=ts(finding.recorded_at),
        recorded_by=snapshot_proto(finding.recorded_by),
        photos=[photo_to_proto(p) for p in finding.photos if p.stage == "finding"],
        registered_item_id=finding.registered_item_id, registered_item_no=finding.registered_item_no,
        escalation_id=finding.escalation_id, version=finding.version)
    if finding.latitude is not None and finding.longitude is not None:
        message.position.CopyFrom(inspection_pb2.GeoPosition(
            latitude=finding.latitude, longitude=finding.longitude, accuracy_m=finding.accuracy_m or 0.0,
            datum="WGS-84"))
    if finding.rect_mode:
        rounds = rounds_of(finding)
        on_spot = finding.rounds[0] if finding.rect_mode == domain.ON_SPOT and finding.rounds else None
        message.rectification.CopyFrom(inspection_pb2.Rectification(
            mode=finding.rect_mode, status=domain.rectification_status(finding.rect_mode, rounds, today),
            rounds=[] if on_spot else [_round(finding, r, today) for r in finding.rounds],
            relapses=domain.relapses(rounds),
            on_spot=_evidence(on_spot.report_text, [p for p in finding.photos if p.stage == "on_spot"])
            if on_spot else None))
    return message


def escalation_to_proto(escalation: Escalation) -> inspection_pb2.Escalation:
    return inspection_pb2.Escalation(
        id=escalation.id, plan_id=escalation.plan_id, finding_id=escalation.finding_id, item_id=escalation.item_id,
        item_no=escalation.item_no, unit_id=escalation.unit_id, unit_name=escalation.unit_name, text=escalation.text,
        raised_at=ts(escalation.raised_at), raised_by=snapshot_proto(escalation.raised_by),
        recipients=[inspection_pb2.Recipient(
            person=common_pb2.PersonSnapshot(id=r.person_id, name=r.name, unit_id=r.unit_id), why=r.why,
            acknowledged_at=ts(r.acknowledged_at)) for r in escalation.recipients],
        acknowledged=all(r.acknowledged_at is not None for r in escalation.recipients))


def feedback_to_proto(part: ReportFeedback) -> inspection_pb2.Feedback:
    return inspection_pb2.Feedback(
        unit_id=part.unit_id, unit_name=part.unit_name, findings=part.findings, answer_by=_day(part.answer_by),
        acknowledged_at=ts(part.acknowledged_at), acknowledged_by=snapshot_proto(part.acknowledged_by),
        answer=part.answer, answered_at=ts(part.answered_at), answered_by=snapshot_proto(part.answered_by))


def report_to_proto(report: InspectionReport, plan_title: str, draft_analysis: str, draft_recommendations: str,
                    counts: inspection_pb2.ReportCounts, unit_id: str = "") -> inspection_pb2.Report:
    """The report; with `unit_id` (a unit reading), only that unit's feedback part."""
    return inspection_pb2.Report(
        id=report.id, plan_id=report.plan_id, plan_title=plan_title, kind=report.kind, title=report.title,
        report_no=report.report_no, status=report.status, analysis=report.analysis,
        recommendations=report.recommendations, draft_analysis=draft_analysis,
        draft_recommendations=draft_recommendations, counts=counts, issued_at=ts(report.issued_at),
        issued_by=snapshot_proto(report.issued_by), version=report.version,
        feedback=[feedback_to_proto(f) for f in report.feedback if not unit_id or f.unit_id == unit_id])
