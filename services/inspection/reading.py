"""Reading plans, findings and photos, each within the reader's scope (context.py says who sees what)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import InvalidInput, NotFound
from services.inspection import domain
from services.inspection.context import (
    Inspection,
    is_office,
    require_finding_view,
    require_plan_view,
)
from services.inspection.orm import Finding, KnownItem, Photo, Plan, PlanMember, Visit
from services.inspection.repository import after_finding, before_plan, finding_token, get, plan_token

PAGE_MAX = 200
OPEN = (domain.ORDERED, domain.REPORTED, domain.OVERDUE)


def _page_size(size: int) -> int:
    if size < 0 or size > PAGE_MAX:
        raise InvalidInput(f"page_size {size}", {"page_size": f"每页最多{PAGE_MAX}条"})
    return size or 50


def items_of(session: object, item_ids: list[str]) -> dict[str, KnownItem]:
    if not item_ids:
        return {}
    rows = session.scalars(select(KnownItem).where(KnownItem.item_id.in_(item_ids)))  # type: ignore[attr-defined]
    return {i.item_id: i for i in rows}


def get_plan(inspection: Inspection, plan_id: str, actor: Actor) -> tuple[Plan, dict[str, KnownItem], list[Visit], int, int]:
    with inspection.uow.read() as tx:
        plan = get(tx, Plan, plan_id)
        require_plan_view(actor, plan)
        items = items_of(tx.session, [i.item_id for i in plan.items])
        visits = list(tx.session.scalars(select(Visit).where(Visit.plan_id == plan_id).order_by(Visit.visited_at)))
        findings, open_ = _counts(tx.session, [plan_id]).get(plan_id, (0, 0))
    return plan, items, visits, findings, open_


def _counts(session: object, plan_ids: list[str]) -> dict[str, tuple[int, int]]:
    rows = session.execute(  # type: ignore[attr-defined]
        select(Finding.plan_id, func.count(), func.sum(case((Finding.rect_status.in_(OPEN), 1), else_=0)))
        .where(Finding.plan_id.in_(plan_ids)).group_by(Finding.plan_id))
    return {plan_id: (total, int(open_ or 0)) for plan_id, total, open_ in rows}


def list_plans(inspection: Inspection, status: str, page_size: int, page_token: str,
               actor: Actor) -> tuple[list[Plan], dict[str, KnownItem], dict[str, tuple[int, int]], str]:
    """Newest first. Inspectors see the plans they are on; units and leaders none (their part comes
    through findings and escalations)."""
    size = _page_size(page_size)
    stmt = select(Plan).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(size + 1)
    if status:
        stmt = stmt.where(Plan.status == status)
    if page_token:
        stmt = stmt.where(before_plan(page_token))
    if not is_office(actor) and permissions.ASSESSMENT not in actor.roles:
        if permissions.INSPECTOR not in actor.roles or not actor.person_id:
            return [], {}, {}, ""
        stmt = stmt.where(Plan.id.in_(select(PlanMember.plan_id).where(PlanMember.person_id == actor.person_id)))
    with inspection.uow.read() as tx:
        plans = list(tx.session.scalars(stmt))
        more = len(plans) > size
        plans = plans[:size]
        items = items_of(tx.session, [i.item_id for p in plans for i in p.items])
        counts = _counts(tx.session, [p.id for p in plans])
    return plans, items, counts, plan_token(plans[-1]) if more else ""


def get_finding(inspection: Inspection, finding_id: str, actor: Actor) -> tuple[Finding, str]:
    with inspection.uow.read() as tx:
        finding = get(tx, Finding, finding_id)
        plan = get(tx, Plan, finding.plan_id)
        item = tx.session.get(KnownItem, finding.item_id) if finding.item_id else None
        require_finding_view(actor, finding, plan, item)
    return finding, plan.title


def list_findings(inspection: Inspection, plan_id: str, unit_id: str, item_id: str, rectification_status: str,
                  page_size: int, page_token: str, actor: Actor) -> tuple[list[Finding], dict[str, str], str, int]:
    """Findings in recorded order, within the reader's scope: the office all, an inspector their plans',
    a unit its own, a leader those of their items. (findings, plan titles, next token, total)."""
    size = _page_size(page_size)
    stmt = select(Finding)
    if plan_id:
        stmt = stmt.where(Finding.plan_id == plan_id)
    if unit_id:
        stmt = stmt.where(Finding.unit_id == unit_id)
    if item_id:
        stmt = stmt.where(Finding.item_id == item_id)
    if rectification_status == "none":
        stmt = stmt.where(Finding.rect_mode == "")
    elif rectification_status:
        stmt = stmt.where(Finding.rect_status == rectification_status)
    roles = set(actor.roles)
    if not is_office(actor) and permissions.ASSESSMENT not in roles:
        scope: list[Any] = []
        if permissions.INSPECTOR in roles and actor.person_id:
            scope.append(Finding.plan_id.in_(select(PlanMember.plan_id).where(PlanMember.person_id == actor.person_id)))
        if roles & {permissions.UNIT_STAFF, permissions.DEPT_SUPERVISOR} and actor.unit_id:
            scope.append(Finding.unit_id == actor.unit_id)
        if roles & {permissions.LEADER, permissions.PRINCIPAL_LEADER} and actor.person_id:
            scope.append(Finding.item_id.in_(select(KnownItem.item_id).where(KnownItem.leader_id == actor.person_id)))
        if not scope:
            return [], {}, "", 0
        stmt = stmt.where(or_(*scope))
    with inspection.uow.read() as tx:
        total = tx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        paged = stmt.order_by(Finding.recorded_at, Finding.id).limit(size + 1)
        if page_token:
            paged = paged.where(after_finding(page_token))
        rows = list(tx.session.scalars(paged))
        more = len(rows) > size
        rows = rows[:size]
        titles = dict(tx.session.execute(select(Plan.id, Plan.title).where(Plan.id.in_({r.plan_id for r in rows}))).all())
    return rows, {str(k): str(v) for k, v in titles.items()}, finding_token(rows[-1]) if more else "", int(total)


def photo_file(inspection: Inspection, photo_id: str, thumbnail: bool, actor: Actor) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a stored photo or its thumbnail, for whoever may see its finding."""
    with inspection.uow.read() as tx:
        photo = tx.session.get(Photo, photo_id)
        if photo is None:
            raise NotFound(f"no photo {photo_id}", {"id": "照片不存在"})
        finding = get(tx, Finding, photo.finding_id)
        plan = get(tx, Plan, finding.plan_id)
        item = tx.session.get(KnownItem, finding.item_id) if finding.item_id else None
        require_finding_view(actor, finding, plan, item)
    key = photo.thumbnail_key if thumbnail else photo.storage_key
    name = (photo.filename.rsplit(".", 1)[0] or photo.id) + (".thumb.jpg" if thumbnail else "." + key.rsplit(".", 1)[-1])
    return name, "image/jpeg" if thumbnail else photo.content_type, inspection.storage.get(key)

