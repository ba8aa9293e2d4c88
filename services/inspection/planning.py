"""督查工作方案 (Art. 6.4): the office drafts a plan (items, units and places, schedule, team with people
seconded from other units, gathered information and problem leads, a training checklist), the office
head approves it, the team confirms its training, carries it out and finishes it. A change after
approval is recorded with who made it and why: the approved plan is what the team is held to.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import cast

from sqlalchemy import Table, select, update

from duban.inspection.v1 import inspection_pb2
from libs.common.actor import Actor
from libs.common.db import UnitOfWork, next_in_sequence
from libs.common.errors import Conflict, FailedPrecondition, InvalidInput, PermissionDenied
from services.inspection import domain, events, metrics
from services.inspection.context import Inspection, on_team, require, require_plan_view
from services.inspection.convert import plan_to_proto
from services.inspection.orm import KnownItem, Plan, PlanChange, PlanItem, PlanLead, PlanMember, PlanSequence, PlanStop
from services.inspection.repository import PlanBrief, get

MAX_TRAINING_LINES, MAX_LEADS = 30, 200


def _date(text: str, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"bad {field} {text!r}", {field: "日期格式应为YYYY-MM-DD"}) from None


def _check(draft: inspection_pb2.PlanDraft, approving: bool = False) -> domain.PlanCheck:
    check = domain.PlanCheck(
        title=draft.title.strip(), kind=draft.kind, starts_on=_date(draft.starts_on, "starts_on"),
        ends_on=_date(draft.ends_on, "ends_on"), item_count=len(draft.item_ids),
        stop_units=tuple(s.unit_id for s in draft.stops), leader_id=draft.leader_id,
        member_ids=tuple(m.person.id for m in draft.members))
    errors = domain.approval_errors(check) if approving else domain.draft_errors(check)
    if len(draft.training) > MAX_TRAINING_LINES:
        errors["training"] = f"培训要点最多{MAX_TRAINING_LINES}条"
    if len(draft.leads) > MAX_LEADS:
        errors["leads"] = f"问题线索最多{MAX_LEADS}条"
    if errors:
        raise InvalidInput("invalid plan: " + ", ".join(sorted(errors)), errors)
    return check


def _fill(inspection: Inspection, tx: UnitOfWork, plan: Plan, draft: inspection_pb2.PlanDraft, check: domain.PlanCheck) -> None:
    """Write the draft's fields onto the plan, naming units and people from the directory."""
    session = tx.session
    directory = inspection.directory
    plan.title, plan.kind, plan.starts_on, plan.ends_on = check.title, check.kind, check.starts_on, check.ends_on
    plan.preparation = draft.preparation.strip()
    plan.training = json.dumps([line.strip() for line in draft.training if line.strip()], ensure_ascii=False)
    items = []
    for position, item_id in enumerate(dict.fromkeys(draft.item_ids)):
        if session.get(KnownItem, item_id) is None:
            raise InvalidInput(f"no item {item_id}", {"item_ids": "所选督查事项不存在"})
        items.append(PlanItem(item_id=item_id, position=position))
    plan.items = items
    plan.stops = [PlanStop(unit_id=s.unit_id, unit_name=directory.unit(s.unit_id, "stops").name,
                           place=s.place.strip()[:200], scheduled_on=_date(s.scheduled_on, "stops"), position=n)
                  for n, s in enumerate(draft.stops)]
    members = []
    people = ([(draft.leader_id, domain.TEAM_LEADER, "")] if draft.leader_id else []) + [
        (m.person.id, domain.MEMBER, m.seconded_from_unit_id) for m in draft.members]
    confirmed = {m.person_id: m.training_confirmed_at for m in plan.members}
    for position, (person_id, role, seconded) in enumerate(people):
        person = directory.person(person_id, "leader_id" if role == domain.TEAM_LEADER else "members")
        from_unit = directory.unit(seconded, "members") if seconded else None
        members.append(PlanMember(
            person_id=person.id, name=person.name, unit_id=person.unit_id, unit_name=directory.unit_name(person.unit_id),
            role=role, seconded_from_unit_id=from_unit.id if from_unit else "",
            seconded_from_unit_name=from_unit.name if from_unit else "",
            training_confirmed_at=confirmed.get(person.id), position=position))
    plan.members = members
    plan.leads = [PlanLead(unit_id=lead.unit_id, item_id=lead.item_id, text=lead.text.strip()[:domain.NOTE_MAX],
                           source=lead.source.strip()[:100], position=n)
                  for n, lead in enumerate(draft.leads) if lead.text.strip()]


def create_plan(inspection: Inspection, draft: inspection_pb2.PlanDraft, actor: Actor) -> Plan:
    require(actor, "inspection.plan", "只有督查室可以拟定督查工作方案")
    check = _check(draft)
    now = inspection.clock.now()
    with inspection.uow() as tx:
        plan = Plan(id=str(uuid.uuid4()), status=domain.DRAFT, drafted_by=actor.snapshot(), version=1,
                    created_at=now, updated_at=now, title="", kind="")
        _fill(inspection, tx, plan, draft, check)
        tx.session.add(plan)
        tx.commit()
    metrics.PLANS.labels(domain.DRAFT).inc()
    return plan


def _summary(before: inspection_pb2.Plan, after: inspection_pb2.Plan) -> str:
    """What changed, in words (the record of a change after approval)."""
    parts = []
    for field, label in (("title", "名称"), ("starts_on", "开始日期"), ("ends_on", "结束日期"), ("preparation", "前期准备")):
        if getattr(before, field) != getattr(after, field):
            parts.append(f"{label}：{getattr(before, field) or '（空）'}→{getattr(after, field) or '（空）'}")
    for field, label, key in (("items", "督查事项", "item_no"), ("stops", "督查单位", "unit_name")):
        old = {getattr(x, key) for x in getattr(before, field)}
        new = {getattr(x, key) for x in getattr(after, field)}
        if old - new:
            parts.append(f"删除{label}：{'、'.join(sorted(old - new))}")
        if new - old:
            parts.append(f"增加{label}：{'、'.join(sorted(new - old))}")
    old_team = {m.person.name for m in before.members}
    new_team = {m.person.name for m in after.members}
    if old_team != new_team:
        parts.append(f"督查组成员：{'、'.join(sorted(old_team))}→{'、'.join(sorted(new_team))}")
    if list(before.training) != list(after.training):
        parts.append("培训要点已修改")
    if len(before.leads) != len(after.leads) or any(a.text != b.text for a, b in zip(before.leads, after.leads, strict=False)):
        parts.append("问题线索已修改")
    return "；".join(parts) or "无实质变更"


def update_plan(inspection: Inspection, plan_id: str, draft: inspection_pb2.PlanDraft, reason: str,
                expected_version: int, actor: Actor) -> Plan:
    require(actor, "inspection.plan", "只有督查室可以修改督查工作方案")
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id, lock=True)
        if expected_version and plan.version != expected_version:
            raise Conflict(f"plan {plan_id} is at version {plan.version}", {"version": "方案已被他人修改，请刷新后再改"})
        if plan.status == domain.DONE:
            raise FailedPrecondition("a finished plan is not changed", {"status": "已完成的方案不能再修改"})
        approved = plan.status != domain.DRAFT
        check = _check(draft, approving=approved)
        if approved and not reason.strip():
            raise InvalidInput("a change after approval needs a reason", {"reason": "方案批准后修改，须说明理由"})
        items = {i.item_id: i for i in tx.session.scalars(select(KnownItem).where(
            KnownItem.item_id.in_([*draft.item_ids, *(i.item_id for i in plan.items)])))}
        before = plan_to_proto(plan, items) if approved else None
        _fill(inspection, tx, plan, draft, check)
        now = inspection.clock.now()
        if before is not None:
            tx.session.flush()
            plan.changes.append(PlanChange(at=now, by=actor.snapshot(), reason=reason.strip()[:domain.NOTE_MAX],
                                           summary=_summary(before, plan_to_proto(plan, items))))
        plan.version += 1
        plan.updated_at = now
        tx.commit()
    return plan


def approve_plan(inspection: Inspection, plan_id: str, comment: str, actor: Actor) -> Plan:
    """The office head approves: the plan gets its number and the team may set out."""
    require(actor, "inspection.approve", "只有督查室主任可以批准督查工作方案")
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id, lock=True)
        domain.check_move(plan.status, domain.APPROVED)
        draft = inspection_pb2.PlanDraft(
            title=plan.title, kind=plan.kind, starts_on=plan.starts_on.isoformat() if plan.starts_on else "",
            ends_on=plan.ends_on.isoformat() if plan.ends_on else "", item_ids=[i.item_id for i in plan.items],
            stops=[inspection_pb2.PlanStop(unit_id=s.unit_id) for s in plan.stops],
            leader_id=next((m.person_id for m in plan.members if m.role == domain.TEAM_LEADER), ""))
        _check(draft, approving=True)
        now = inspection.clock.now()
        year = inspection.local_now().year
        seq = next_in_sequence(tx.session, cast(Table, PlanSequence.__table__), year)
        plan.plan_no = inspection.plan_no_pattern.format(year=year, seq=seq)
        plan.status, plan.approved_at, plan.approved_by = domain.APPROVED, now, actor.snapshot()
        plan.approver_person_id = actor.person_id
        if comment.strip():
            plan.changes.append(PlanChange(at=now, by=actor.snapshot(), reason=comment.strip()[:domain.NOTE_MAX],
                                           summary="批准方案"))
        plan.version += 1
        plan.updated_at = now
        tx.publish(events.plan_approved(plan, now))
        tx.commit()
    metrics.PLANS.labels(domain.APPROVED).inc()
    return plan


def start(tx: UnitOfWork, plan: Plan, now: dt.datetime) -> None:
    """Under way: by the office's act, or by itself with the first visit or finding."""
    if plan.status == domain.APPROVED:
        plan.status = domain.UNDER_WAY
        plan.updated_at = now
        metrics.PLANS.labels(domain.UNDER_WAY).inc()
    elif plan.status != domain.UNDER_WAY:
        raise FailedPrecondition(f"plan {plan.id} is {plan.status}", {
            "plan_id": "方案尚未批准，不能开展督查" if plan.status == domain.DRAFT else "方案已完成，不能再记录"})


def start_brief(tx: UnitOfWork, plan: PlanBrief, now: dt.datetime) -> None:
    """`start` for a plan read as a PlanBrief: one UPDATE when it is still only approved."""
    if plan.status == domain.APPROVED:
        moved = tx.session.execute(update(Plan).where(Plan.id == plan.id, Plan.status == domain.APPROVED)
                                   .values(status=domain.UNDER_WAY, updated_at=now))
        if moved.rowcount:  # type: ignore[attr-defined]
            metrics.PLANS.labels(domain.UNDER_WAY).inc()
    elif plan.status != domain.UNDER_WAY:
        raise FailedPrecondition(f"plan {plan.id} is {plan.status}", {
            "plan_id": "方案尚未批准，不能开展督查" if plan.status == domain.DRAFT else "方案已完成，不能再记录"})


def move_plan(inspection: Inspection, plan_id: str, wanted: str, actor: Actor) -> Plan:
    require(actor, "inspection.plan", "只有督查室可以办理此操作")
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id, lock=True)
        domain.check_move(plan.status, wanted)
        now = inspection.clock.now()
        if wanted == domain.UNDER_WAY:
            start(tx, plan, now)
        else:
            plan.status, plan.updated_at = wanted, now
            metrics.PLANS.labels(wanted).inc()
        plan.version += 1
        tx.commit()
    return plan


def confirm_training(inspection: Inspection, plan_id: str, actor: Actor) -> Plan:
    """督查人员培训: each member confirms they went through the checklist; confirming twice keeps the first time."""
    with inspection.uow() as tx:
        plan = get(tx, Plan, plan_id, lock=True)
        require_plan_view(actor, plan)
        if not on_team(actor, plan):
            raise PermissionDenied(f"{actor.user_id} is not on plan {plan_id}", {"plan_id": "您不是该督查组的成员"})
        member = next(m for m in plan.members if m.person_id == actor.person_id)
        if member.training_confirmed_at is None:
            member.training_confirmed_at = inspection.clock.now()
            plan.version += 1
        tx.commit()
    return plan

