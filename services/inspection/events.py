"""Inspection's outgoing events, staged in the outbox (topic duban.inspection.events.v1; key = the item
id, or the unit id for what concerns no item)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message

from duban.common.v1 import common_pb2
from duban.inspection.v1 import events_pb2
from libs.common import topics
from libs.common.actor import Actor, snapshot_proto
from libs.common.cloudevents import new_event
from libs.common.lights import RECTIFICATIONS
from libs.common.outbox import OutboxEvent
from services.inspection import convert, domain
from services.inspection.orm import Escalation, Finding, InspectionReport, Plan, ReportFeedback, Visit

SOURCE = topics.event_source("inspection")
PLAN_APPROVED = "plan.approved"
VISIT_RECORDED = "visit.recorded"
FINDING_RECORDED = "finding.recorded"
RECTIFICATION_ORDERED = "rectification.ordered"
RECTIFICATION_REPORTED = "rectification.reported"
RECTIFICATION_VERIFIED = "rectification.verified"
RECTIFICATION_OVERDUE = "rectification.overdue"
ESCALATION_RAISED = "escalation.raised"
ESCALATION_ACKNOWLEDGED = "escalation.acknowledged"
REPORT_ISSUED = "report.issued"
FEEDBACK_ACKNOWLEDGED = "feedback.acknowledged"
FEEDBACK_ANSWERED = "feedback.answered"
RAISERS_CHANGED = "item.raisers_changed"


def event(type_: str, key: str, message: Message, now: dt.datetime) -> OutboxEvent:
    return OutboxEvent(topics.INSPECTION_EVENTS, key, new_event(type_, SOURCE, key, message, now))


def plan_approved(plan: Plan, now: dt.datetime) -> OutboxEvent:
    return event(PLAN_APPROVED, plan.id, events_pb2.PlanApproved(
        plan_id=plan.id, plan_no=plan.plan_no, title=plan.title, kind=plan.kind,
        item_ids=[i.item_id for i in plan.items], unit_ids=[s.unit_id for s in plan.stops],
        starts_on=plan.starts_on.isoformat() if plan.starts_on else "",
        ends_on=plan.ends_on.isoformat() if plan.ends_on else "",
        approved_by=snapshot_proto(plan.approved_by)), now)


def visit_recorded(visit: Visit, now: dt.datetime) -> OutboxEvent:
    discrepancies = sum(1 for c in visit.checks if "discrepancy" in (c.process, c.result))
    return event(VISIT_RECORDED, visit.unit_id, events_pb2.VisitRecorded(
        visit=convert.visit_to_proto(visit), discrepancies=discrepancies), now)


def _key(finding: Finding) -> str:
    return finding.item_id or finding.unit_id


def finding_recorded(finding: Finding, plan_title: str, today: dt.date, now: dt.datetime) -> OutboxEvent:
    return event(FINDING_RECORDED, _key(finding), events_pb2.FindingRecorded(
        finding=convert.finding_to_proto(finding, plan_title, today)), now)


def rectification_changed(type_: str, finding: Finding, today: dt.date, now: dt.datetime, actor: Actor,
                          verdict: str = "") -> OutboxEvent:
    rounds = convert.rounds_of(finding)
    last = finding.rounds[-1]
    by = snapshot_proto(actor.snapshot())
    return event(type_, _key(finding), events_pb2.RectificationChanged(
        finding_id=finding.id, item_id=finding.item_id, unit_id=finding.unit_id, unit_name=finding.unit_name,
        mode=finding.rect_mode, round=last.number, due_date=last.due_date.isoformat() if last.due_date else "",
        status=domain.rectification_status(finding.rect_mode, rounds, today), verdict=verdict,
        relapses=domain.relapses(rounds), category=finding.category, severity=finding.severity,
        at=convert.ts(now), by=by), now)


def raisers_changed(item_id: str, open_rounds: list[tuple[str, dt.date]], now: dt.datetime) -> OutboxEvent:
    """The item's rectifications awaiting the unit (finding id, its deadline): what turns its light red
    once the day has passed. The whole set each time it changes; empty when none is open."""
    message = common_pb2.LightRaisersChanged(item_id=item_id, source=RECTIFICATIONS, open=[
        common_pb2.LightRaiser(ref_id=ref, due_on=due.isoformat()) for ref, due in sorted(open_rounds)])
    return event(RAISERS_CHANGED, item_id, message, now)


def escalation_changed(type_: str, escalation: Escalation, now: dt.datetime,
                       acknowledged_by: Actor | None = None) -> OutboxEvent:
    where = escalation.unit_name or escalation.item_no
    message = events_pb2.EscalationChanged(
        escalation=convert.escalation_to_proto(escalation),
        title=f"重大问题：{where}{('（' + escalation.item_no + '）') if escalation.item_no and where != escalation.item_no else ''}"
              f" {escalation.text[:60]}",
        link=f"/inspection/escalations/{escalation.id}")
    if acknowledged_by is not None:
        message.acknowledged_by.CopyFrom(snapshot_proto(acknowledged_by.snapshot()))
    return event(type_, escalation.item_id or escalation.unit_id or escalation.id, message, now)


def report_issued(report: InspectionReport, plan: Plan, now: dt.datetime) -> OutboxEvent:
    return event(REPORT_ISSUED, report.id, events_pb2.ReportIssued(
        report_id=report.id, plan_id=plan.id, report_no=report.report_no, kind=report.kind, title=report.title,
        item_ids=[i.item_id for i in plan.items], feedback=[convert.feedback_to_proto(f) for f in report.feedback],
        issued_at=convert.ts(now)), now)


def feedback_changed(type_: str, report: InspectionReport, part: ReportFeedback, now: dt.datetime) -> OutboxEvent:
    return event(type_, part.unit_id, events_pb2.FeedbackChanged(
        report_id=report.id, report_no=report.report_no, feedback=convert.feedback_to_proto(part)), now)
