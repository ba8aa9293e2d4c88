"""重大问题报告: a major finding, or a special situation an inspector reports without one, goes at once to
the item's responsible leader and the office head who approved the plan; it stays in their to-do until
each has read it (escalation.raised carries what the notification service needs to reach them)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, PermissionDenied
from services.inspection import domain, events, metrics
from services.inspection.context import Inspection, is_office, may_see_plan, require, require_inspector
from services.inspection.orm import Escalation, EscalationRecipient, Finding, KnownItem, Plan
from services.inspection.repository import get, known_item

RESPONSIBLE_LEADER, OFFICE_HEAD = "responsible_leader", "office_head"


def recipients(plan: Plan, item: KnownItem | None) -> list[EscalationRecipient]:
    found: list[EscalationRecipient] = []
    if item is not None and item.leader_id:
        found.append(EscalationRecipient(person_id=item.leader_id, name=item.leader_name, why=RESPONSIBLE_LEADER))
    if plan.approver_person_id and plan.approver_person_id not in {r.person_id for r in found}:
        approver = json.loads(plan.approved_by or "{}")
        found.append(EscalationRecipient(person_id=plan.approver_person_id, name=approver.get("name", ""),
                                         unit_id=approver.get("unit_id", ""), why=OFFICE_HEAD))
    for position, r in enumerate(found):
        r.position = position
    return found


def raise_in(inspection: Inspection, tx: UnitOfWork, plan: Plan, text: str, actor: Actor, unit_id: str,
             unit_name: str, item: KnownItem | None, finding: Finding | None = None) -> Escalation:
    """Record and announce one escalation in the caller's transaction."""
    now = inspection.clock.now()
    escalation = Escalation(
        id=str(uuid.uuid4()), plan_id=plan.id, finding_id=finding.id if finding else "",
        item_id=item.item_id if item else "", item_no=item.item_no if item else "", unit_id=unit_id,
        unit_name=unit_name, text=text, raised_at=now, raised_by=actor.snapshot(), recipients=recipients(plan, item))
    tx.session.add(escalation)
    if finding is not None:
        finding.escalation_id = escalation.id
    tx.publish(events.escalation_changed(events.ESCALATION_RAISED, escalation, now))
    metrics.ESCALATIONS.labels("raised").inc()
    return escalation


def raise_escalation(inspection: Inspection, plan_id: str, finding_id: str, unit_id: str, item_id: str, text: str,
                     actor: Actor) -> Escalation:
    text = text.strip()
    if not text:
        raise InvalidInput("empty escalation", {"text": "请写明需要报告的重大问题或特殊情况"})
    if len(text) > domain.TEXT_MAX:
        raise InvalidInput("escalation too long", {"text": f"报告内容不能超过{domain.TEXT_MAX}字"})
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id)
        require_inspector(actor, plan)
        finding = get(tx, Finding, finding_id, lock=True) if finding_id else None
        if finding is not None:
            if finding.plan_id != plan_id:
                raise InvalidInput("finding of another plan", {"finding_id": "该问题不属于本方案"})
            if finding.escalation_id:
                return get(tx, Escalation, finding.escalation_id)  # reported once is enough
            unit_id, item_id = finding.unit_id, finding.item_id
        item = known_item(tx, item_id) if item_id else None
        unit_name = inspection.directory.unit(unit_id).name if unit_id else ""
        if not unit_id and item is None:
            raise InvalidInput("escalation without unit or item", {"unit_id": "请选择涉及的单位或事项"})
        escalation = raise_in(inspection, tx, plan, text, actor, unit_id, unit_name, item, finding)
        tx.commit()
    return escalation


def acknowledge(inspection: Inspection, escalation_id: str, actor: Actor) -> Escalation:
    """A recipient has read it (阅知); reading twice keeps the first time."""
    require(actor, "inspection.acknowledge", "只有收到报告的领导可以阅知")
    with inspection.uow() as tx:
        escalation = get(tx, Escalation, escalation_id, lock=True)
        mine = next((r for r in escalation.recipients if r.person_id and r.person_id == actor.person_id), None)
        if mine is None:
            raise PermissionDenied(f"{actor.user_id} is no recipient of {escalation_id}",
                                   {"escalation_id": "该报告不是报送给您的"})
        if mine.acknowledged_at is None:
            now = inspection.clock.now()
            mine.acknowledged_at = now
            tx.publish(events.escalation_changed(events.ESCALATION_ACKNOWLEDGED, escalation, now, actor))
            metrics.ESCALATIONS.labels("acknowledged").inc()
        tx.commit()
    return escalation


def may_see(actor: Actor, escalation: Escalation, plan: Plan) -> bool:
    return may_see_plan(actor, plan) or any(r.person_id == actor.person_id for r in escalation.recipients
                                            if actor.person_id)


def list_escalations(inspection: Inspection, plan_id: str, open_only: bool, actor: Actor) -> list[Escalation]:
    """The office and the plan's team: a plan's (or all); a leader: those addressed to them."""
    with inspection.uow.read() as tx:
        stmt = select(Escalation).order_by(Escalation.raised_at.desc()).limit(500)
        if plan_id:
            stmt = stmt.where(Escalation.plan_id == plan_id)
        if not is_office(actor) and permissions.ASSESSMENT not in actor.roles:
            if permissions.INSPECTOR in actor.roles and plan_id:
                require_inspector(actor, get(tx, Plan, plan_id))
            else:
                stmt = stmt.join(EscalationRecipient).where(EscalationRecipient.person_id == (actor.person_id or "-"))
        found = list(tx.session.scalars(stmt).unique())
        for e in found:
            _ = e.recipients  # loaded before the session closes
        if open_only:
            found = [e for e in found if any(r.acknowledged_at is None for r in e.recipients)]
    return found
