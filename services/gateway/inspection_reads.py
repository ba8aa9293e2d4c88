"""Reading inspection as the signed-in user: the service decides who sees what (services/inspection/
context.py) and answers an invisible plan or finding as a missing one. A write refused on a target out of
the user's reach is answered the same way (refusals_in_scope), so a refusal tells nothing the user may not
know. Pages and the API both use this."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g

from duban.inspection.v1 import inspection_pb2
from libs.common.errors import DomainError, NotFound, PermissionDenied
from services.gateway import roles
from services.gateway.calls import current_actor, inspection

# What a missing (or invisible) one is answered with, the same words either way: the service's English
# message says which it was ("no Plan x" or "plan x not visible to 7"), and that is for its logs only.
MISSING = {"plan": ("plan_id", "督查方案不存在"), "finding": ("finding_id", "问题不存在"),
           "escalation": ("escalation_id", "报告不存在"), "photo": ("id", "照片不存在")}


def missing(kind: str, object_id: str) -> NotFound:
    field, words = MISSING[kind]
    return NotFound(f"{kind} {object_id} not found", {field: words})


def visible_plan(plan_id: str) -> inspection_pb2.Plan:
    try:
        return inspection().call("GetPlan", inspection_pb2.GetPlanRequest(plan_id=plan_id, actor=current_actor())).plan
    except NotFound:
        raise missing("plan", plan_id) from None


def visible_finding(finding_id: str) -> inspection_pb2.Finding:
    try:
        return inspection().call("GetFinding", inspection_pb2.GetFindingRequest(
            finding_id=finding_id, actor=current_actor())).finding
    except NotFound:
        raise missing("finding", finding_id) from None


def escalations(plan_id: str = "", open_only: bool = False) -> list[inspection_pb2.Escalation]:
    """The office and assessment: all (or a plan's); the plan's team: its plan's; a leader or the office
    head: those addressed to them."""
    return list(inspection().call("ListEscalations", inspection_pb2.ListEscalationsRequest(
        plan_id=plan_id, open_only=open_only, actor=current_actor())).escalations)


def visible_escalation(escalation_id: str, plan_id: str = "") -> inspection_pb2.Escalation:
    """An escalation the user may see: among their list (the service has no single read of one); the
    plan's team finds its plan's by the plan (`plan_id`), the others among those addressed to them."""
    try:
        found = next((e for e in escalations(plan_id) if e.id == escalation_id), None)
    except PermissionDenied:  # not on the plan named: as if there were no such report
        found = None
    if found is None:
        raise missing("escalation", escalation_id)
    return found


def check_target(target: str, target_id: str) -> None:
    """Before a write: the plan, finding or escalation it names must be one the user sees (else 404)."""
    if target == "plan":
        visible_plan(target_id)
    elif target == "finding":
        visible_finding(target_id)
    elif target == "escalation":
        visible_escalation(target_id)


@contextmanager
def refusals_in_scope(target: str, target_id: str) -> Iterator[None]:
    """Around a write on a plan, finding or escalation: if it is refused for any reason and the target is
    out of the user's reach, the answer is 404 as for a missing one, whatever was sent. The target is read
    only when the write is refused: a write the service accepts is one its rules let this user make, and
    those rules never reach past what the user may see - so an accepted write costs no read (before, every
    finding read its whole plan twice)."""
    try:
        yield
    except DomainError:
        check_target(target, target_id)  # the same 404 body as a missing one (the service's own differs)
        raise


def on_team(plan: inspection_pb2.Plan) -> bool:
    person = g.user.person_id
    return bool(person) and any(m.person.id == person for m in plan.members)


def may_inspect(plan: inspection_pb2.Plan) -> bool:
    """Visits, findings, orders, 回头看: the plan's team (the office may record for it) - what the pages
    offer; the service decides (services/inspection/context.py require_inspector)."""
    return roles.allowed(g.user.roles, "inspection.inspect") and (
        on_team(plan) or bool(set(g.user.roles) & roles.OFFICE_ROLES))
