"""交办: an assignment per registered item, the supervision notice (DOCX), and units signing for it."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table

from duban.common.v1 import common_pb2
from duban.ledger.v1 import events_pb2 as ledger_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2
from libs.common import vocabulary
from libs.common.actor import Actor
from libs.common.cloudevents import CloudEvent
from libs.common.db import UnitOfWork, insert_new, next_in_sequence
from libs.common.errors import FailedPrecondition, InvalidInput
from services.tracking import documents, domain, events, metrics, moving, revising
from services.tracking.context import Tracking, acting_unit, require_office
from services.tracking.convert import unit_duties
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, NoticeSequence
from services.tracking.repository import get_assignment, lead_unit

logger = logging.getLogger(__name__)


def on_item_registered(tracking: Tracking, tx: UnitOfWork, event: CloudEvent) -> None:
    """A new ledger item: open its assignment, with the notice due in 2 working days (Art. 6.2)."""
    item = event.decode(ledger_events.ItemRegistered()).item
    if tx.session.get(Assignment, item.id) is not None:
        return  # already known (a replayed event)
    registered_on = dt.date.fromisoformat(item.registered_on)
    due = dt.date.fromisoformat(item.due_date)
    now = tracking.clock.now()
    assignment = Assignment(
        item_id=item.id, item_no=item.item_no, title=item.title, content=item.content, source=item.source,
        category=item.category, key_tracking=item.key_tracking, registered_on=registered_on,
        notice_due_on=domain.notice_due_on(tracking.calendar, tracking.policy, registered_on),
        original_due_date=due, due_date=due, due_date_provisional=item.due_date_provisional,
        status="awaiting_notice", leader_id=item.responsible_leader.id,
        leader_name=item.responsible_leader.name, version=1, created_at=now, updated_at=now,
    )
    set_units(assignment, item.units)
    insert_new(tx.session, [assignment, *assignment.units])
    metrics.ASSIGNMENTS_CREATED.inc()


def on_item_updated(tracking: Tracking, tx: UnitOfWork, event: CloudEvent) -> None:
    """Keep the ledger's edits (title, leader, category...) in step; deadlines move only by extension."""
    message = event.decode(ledger_events.ItemUpdated())
    item = message.item
    assignment = tx.session.get(Assignment, item.id)
    if assignment is None:
        return
    assignment.title, assignment.content, assignment.category = item.title, item.content, item.category
    assignment.key_tracking = item.key_tracking
    assignment.leader_id, assignment.leader_name = item.responsible_leader.id, item.responsible_leader.name
    changed_due = {c.field for c in message.changes} & {"due_date"}
    if changed_due and message.calendar_years:  # recomputed on the published calendar: applies after the notice too
        revising.apply_recomputed_due_date(tracking, tx, assignment, item, tuple(message.calendar_years))
    elif changed_due and assignment.status == "awaiting_notice":
        assignment.due_date = assignment.original_due_date = dt.date.fromisoformat(item.due_date)
        assignment.due_date_provisional = item.due_date_provisional
    if assignment.status == "awaiting_notice":
        set_units(assignment, item.units)


def set_units(assignment: Assignment, units: Sequence[ledger_pb2.ItemUnit]) -> None:
    """The units in the ledger's order, and the lead unit copied onto the assignment for lists."""
    assignment.units = [
        AssignmentUnit(item_id=assignment.item_id, unit_id=u.unit_id, unit_name=u.unit_name, role=u.role,
                       duty=u.duty, position=i)
        for i, u in enumerate(units)
    ]
    lead = next((u for u in units if u.role == "lead"), None)
    assignment.lead_unit_id = lead.unit_id if lead else ""
    assignment.lead_unit_name = lead.unit_name if lead else ""


def issue_notice(
    tracking: Tracking, item_id: str, requirements: list[str], contact_name: str, contact_phone: str, actor: Actor
) -> Assignment:
    require_office(actor, "tracking.notice")
    errors = {}
    if not contact_name.strip():
        errors["contact_name"] = "请填写联系人"
    if len(requirements) > 20 or any(len(r) > 500 for r in requirements):
        errors["requirements"] = "办理要求最多20条，每条不超过500字"
    if errors:
        raise InvalidInput("invalid notice", errors)
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        if assignment.status != "awaiting_notice":
            raise FailedPrecondition(f"notice of {assignment.item_no} already issued",
                                     {"status": f"该事项已交办（{assignment.notice_no}）"})
        now = tracking.clock.now()
        local = tracking.local_now()
        today = local.date()
        # A declarative class with mapped_column()s is mapped to a Table (typed as any FromClause).
        seq = next_in_sequence(tx.session, cast(Table, NoticeSequence.__table__), today.year)
        assignment.notice_no = tracking.notice_no_pattern.format(year=today.year, seq=seq)
        assignment.notice_issued_at = now
        ack_due = domain.add_working_hours(tracking.calendar, tracking.policy, local, tracking.policy.ack_working_hours)
        for unit in assignment.units:
            unit.ack_due_at = ack_due
        lead = lead_unit(assignment)
        cadence = tracking.policy.cadence_for(assignment.category, assignment.key_tracking)
        for expected in domain.report_schedule(tracking.calendar, cadence, today, assignment.due_date):
            # Co units report to the lead unit, which consolidates (牵头部门负责报告): one expected report.
            assignment.expected.append(ExpectedReport(
                id=str(uuid.uuid4()), unit_id=lead, period=expected.period, period_start=expected.period_start,
                due_on=expected.due_on, status="expected",
            ))
        data = documents.NoticeData(
            item_no=assignment.item_no, title=assignment.title, content=assignment.content,
            source_label=vocabulary.SOURCES.get(assignment.source, assignment.source),
            category_label=vocabulary.CATEGORIES.get(assignment.category, assignment.category),
            key_tracking=assignment.key_tracking,
            lead_unit=next(((u.unit_name, u.duty) for u in assignment.units if u.role == "lead"), ("", "")),
            co_units=tuple((u.unit_name, u.duty) for u in assignment.units if u.role == "co"),
            registered_on=assignment.registered_on, issued_on=today, due_date=assignment.due_date,
            requirements=tuple(r.strip() for r in requirements if r.strip()),
            contact_name=contact_name.strip(), contact_phone=contact_phone.strip(), org_name=tracking.org_name,
            office_name=tracking.office_name, notice_no=assignment.notice_no,
            report_cadence_label="、".join(domain.PERIOD_LABELS[p] for p in cadence),
            due_date_provisional=assignment.due_date_provisional,
        )
        assignment.notice_fields = documents.notice_data_json(data)
        assignment.notice_key = tracking.storage.put(f"tracking/{item_id}/notice.docx",
                                                     documents.render_notice_docx(data))
        moving.move(tx, assignment, "notified", now)
        assignment.version += 1
        assignment.updated_at = now
        tx.session.flush()
        tx.publish(events.event(events.ITEM_ASSIGNED, item_id, events_pb2.ItemAssigned(
            item_id=item_id, item_no=assignment.item_no, notice_no=assignment.notice_no, assigned_on=today.isoformat(),
            due_date=assignment.due_date.isoformat(), units=unit_duties(assignment)), now))
        tx.publish(events.raisers_changed(assignment, now))
        tx.commit()
        metrics.NOTICES_ISSUED.labels("late" if today > assignment.notice_due_on else "on_time").inc()
        return assignment


def acknowledge(tracking: Tracking, item_id: str, unit_id: str, actor: Actor) -> Assignment:
    """签收. Signing twice is harmless: the first signature stands."""
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        unit_id = acting_unit(actor, assignment, unit_id)
        if assignment.status not in ("notified", "in_progress"):
            raise FailedPrecondition(f"cannot acknowledge in {assignment.status}",
                                     {"status": "尚未交办或已办结，无需签收"})
        unit = next((u for u in assignment.units if u.unit_id == unit_id), None)
        if unit is None:
            raise InvalidInput(f"{unit_id} is not an undertaking unit", {"unit_id": "该单位不是承办单位"})
        if unit.acknowledged_at is None:
            mark_acknowledged(tracking, tx, assignment, unit, actor)
            tx.commit()
        return assignment


def mark_acknowledged(tracking: Tracking, tx: UnitOfWork, assignment: Assignment, unit: AssignmentUnit,
                      actor: Actor) -> None:
    now = tracking.clock.now()
    unit.acknowledged_at, unit.acknowledged_by = now, actor.snapshot()
    if all(u.acknowledged_at for u in assignment.units) and assignment.status == "notified":
        moving.move(tx, assignment, "in_progress", now)
    assignment.version += 1
    assignment.updated_at = now
    tx.publish(events.event(events.ITEM_ACKNOWLEDGED, assignment.item_id, events_pb2.ItemAcknowledged(
        item_id=assignment.item_id, unit_id=unit.unit_id, by=snapshot_of(actor)), now))


def snapshot_of(actor: Actor) -> common_pb2.PersonSnapshot:
    from libs.common.actor import snapshot_proto

    return snapshot_proto(actor.snapshot())
