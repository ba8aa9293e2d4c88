"""What every inspection use case needs (wired by bootstrap.py), and who may see and act on what.

Who sees what (issue: roles and scope): the office everything; an inspector the plans they are on (and
those plans' findings); a unit its own findings, orders and report parts; a leader the escalations and
findings of the items they are responsible for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ, Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.directory_client import DirectoryClient
from libs.common.errors import NotFound, PermissionDenied
from libs.common.photos import PhotoLimits
from libs.common.storage import Storage
from services.inspection.orm import Finding, KnownItem, Plan
from services.inspection.repository import PlanBrief


@dataclass
class Inspection:
    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    storage: Storage
    directory: DirectoryClient
    ledger: Callable[[], object]  # () -> LedgerServiceStub signed as the inspection service
    photo_limits: PhotoLimits = PhotoLimits()
    office_name: str = "区委区政府督查室"
    plan_no_pattern: str = "督查方案〔{year}〕{seq}号"
    rectification_working_days: int = 5

    def today(self) -> dt.date:
        return self.clock.today()

    def local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(OFFICE_TZ)


def require(actor: Actor, permission: str, message: str) -> None:
    if not permissions.allowed(actor.roles, permission):
        raise PermissionDenied(f"{permission} not allowed for {actor.roles}", {"role": message})


def is_office(actor: Actor) -> bool:
    return bool(permissions.OFFICE_ROLES.intersection(actor.roles)) or permissions.SYSTEM in actor.roles


def on_team(actor: Actor, plan: Plan | PlanBrief) -> bool:
    return bool(actor.person_id) and any(m.person_id == actor.person_id for m in plan.members)


def may_see_plan(actor: Actor, plan: Plan) -> bool:
    """The office and assessment all plans; inspectors the plans they are on. Units and leaders see
    their part through findings and escalations, not the plan's preparation (its leads name units)."""
    roles = set(actor.roles)
    if is_office(actor) or permissions.ASSESSMENT in roles:
        return True
    return permissions.INSPECTOR in roles and on_team(actor, plan)


def require_plan_view(actor: Actor, plan: Plan) -> None:
    if not may_see_plan(actor, plan):
        # Not found, not forbidden: whether a plan exists is itself not for everyone to know.
        raise NotFound(f"plan {plan.id} not visible to {actor.user_id}", {"plan_id": "督查方案不存在"})


def require_inspector(actor: Actor, plan: Plan | PlanBrief) -> None:
    """Visits, findings, orders and re-inspections: the plan's team (the office may record for it)."""
    require(actor, "inspection.inspect", "只有督查组成员可以记录督查情况")
    if not is_office(actor) and not on_team(actor, plan):
        raise PermissionDenied(f"{actor.user_id} is not on plan {plan.id}", {"plan_id": "您不是该督查组的成员"})


def may_see_finding(actor: Actor, finding: Finding, plan: Plan, item: KnownItem | None) -> bool:
    roles = set(actor.roles)
    if may_see_plan(actor, plan):
        return True
    if roles & {permissions.UNIT_STAFF, permissions.DEPT_SUPERVISOR} and actor.unit_id == finding.unit_id:
        return True
    return bool(roles & {permissions.LEADER, permissions.PRINCIPAL_LEADER}) and item is not None \
        and bool(actor.person_id) and item.leader_id == actor.person_id


def require_finding_view(actor: Actor, finding: Finding, plan: Plan, item: KnownItem | None) -> None:
    if not may_see_finding(actor, finding, plan, item):
        raise NotFound(f"finding {finding.id} not visible to {actor.user_id}", {"finding_id": "问题不存在"})
