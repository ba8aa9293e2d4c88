"""督查工作方案 pages: the list, new and edit (a change after approval with its reason), the plan with the
acts each person may take (approve: the office head; start and finish: the office; 培训确认: members),
and the visit form for one stop (the unit's items from the ledger, its own task ledger checked)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import vocabulary
from libs.common.errors import DomainError
from services.gateway import inspection_writes, roles
from services.gateway.auth import require
from services.gateway.calls import current_actor, directory, inspection, ledger
from services.gateway.idempotency import FORM_ONLY
from services.gateway.inspection_forms import draft_fields, visit_fields
from services.gateway.inspection_reads import escalations, may_inspect, on_team, visible_plan
from services.gateway.pages import bp
from services.gateway.problems import status_of
from services.gateway.scope import scoped_filter

# What the plan page says after an act succeeded (?done=<action>).
DONE = {"plan": "督查工作方案已保存（草拟），待督查室主任批准", "plan_update": "督查工作方案已修改",
        "approval": "方案已批准", "start": "方案已开始实施", "finish": "方案已办结", "training": "已确认完成培训",
        "visit": "督查记录已保存", "escalation": "重大问题已报告领导"}
PLAN_ACTS = ("approval", "start", "finish", "training", "escalation")
SPARE_ROWS = 3  # empty rows a plan form offers for more stops, members and leads


@bp.get("/inspection/plans")
@require("inspection.read")
def inspection_plans() -> str:
    status = request.args.get("status", "")
    status = status if status in vocabulary.PLAN_STATUSES else ""
    reply = inspection().call("ListPlans", inspection_pb2.ListPlansRequest(
        status=status, page_size=100, page_token=request.args.get("page_token", "")[:500], actor=current_actor()))
    return render_template("inspection/plans.html", plans=reply.plans, next_page_token=reply.next_page_token,
                           status=status, vocabulary=vocabulary)


@dataclass(frozen=True)
class ItemChoice:
    """One checkbox of the plan form's 督查事项."""

    id: str
    item_no: str
    title: str
    lead_unit: str
    closed: bool = False  # on the plan already, closed since: kept, so saving the form does not drop it


def _items(plan: inspection_pb2.Plan | None, unit_names: dict[str, str]) -> list[ItemChoice]:
    """The items a plan may take: the ledger's open ones, newest first (the office sees them all), and
    those the plan has already, open or not - a form that offered only open ones would drop the others."""
    reply = ledger().call("ListItems", ledger_pb2.ListItemsRequest(
        filter=scoped_filter(g.user, ledger_pb2.ItemFilter()), page_size=200))
    choices = [ItemChoice(i.id, i.item_no, i.title, next((u.unit_name for u in i.units if u.role == "lead"), ""))
               for i in reply.items if i.status not in ("closed", "archived")]
    offered = {c.id for c in choices}
    kept = [ItemChoice(i.item_id, i.item_no, i.title, unit_names.get(i.lead_unit_id, ""), closed=True)
            for i in (plan.items if plan else ()) if i.item_id not in offered]
    return kept + choices


def plan_values(plan: inspection_pb2.Plan | None) -> dict[str, Any]:
    """What the plan form shows: what was posted (a refused post keeps every entry), else the plan's."""
    if request.method == "POST":
        return draft_fields(request.form) | {"reason": request.form.get("reason", "")}
    if plan is None:
        return {"kind": "special", "stops": [], "members": [], "leads": [], "item_ids": []}
    leader = next((m.person.id for m in plan.members if m.role == "leader"), "")
    return {
        "title": plan.title, "kind": plan.kind, "starts_on": plan.starts_on, "ends_on": plan.ends_on,
        "leader_id": leader, "preparation": plan.preparation, "training": "\n".join(plan.training),
        "item_ids": [i.item_id for i in plan.items], "expected_version": plan.version,
        "stops": [{"unit_id": s.unit_id, "place": s.place, "scheduled_on": s.scheduled_on} for s in plan.stops],
        "members": [{"person_id": m.person.id, "seconded_from_unit_id": m.seconded_from_unit_id}
                    for m in plan.members if m.role != "leader"],
        "leads": [{"unit_id": x.unit_id, "item_id": x.item_id, "text": x.text, "source": x.source} for x in plan.leads],
    }


def _plan_form(plan: inspection_pb2.Plan | None, errors: dict[str, str], status: int) -> ResponseReturnValue:
    units, people = directory()
    return render_template("inspection/plan_form.html", plan=plan, errors=errors, v=plan_values(plan),
                           units=units, people=[p for p in people if p.active],
                           items=_items(plan, {u.id: u.name for u in units}),
                           vocabulary=vocabulary, spare=range(SPARE_ROWS)), status


@bp.route("/inspection/plans/new", methods=["GET", "POST"])
@require("inspection.plan")
def inspection_plan_new() -> ResponseReturnValue:
    if request.method == "POST":
        try:
            plan = inspection_writes.send("plan", "", draft_fields(request.form), ignore=FORM_ONLY).plan
        except DomainError as exc:
            return _plan_form(None, exc.field_errors or {"form": exc.message}, status_of(exc))
        g.audit_target = plan.id
        return redirect(url_for("pages.inspection_plan", plan_id=plan.id, done="plan"))
    return _plan_form(None, {}, 200)


@bp.route("/inspection/plans/<plan_id>/edit", methods=["GET", "POST"])
@require("inspection.plan")
def inspection_plan_edit(plan_id: str) -> ResponseReturnValue:
    plan = visible_plan(plan_id)
    if request.method == "POST":
        try:
            inspection_writes.send("plan_update", plan.id, draft_fields(request.form), ignore=FORM_ONLY)
        except DomainError as exc:
            return _plan_form(plan, exc.field_errors or {"form": exc.message}, status_of(exc))
        return redirect(url_for("pages.inspection_plan", plan_id=plan.id, done="plan_update"))
    return _plan_form(plan, {}, 200)


def render_plan(plan_id: str, errors: dict[str, str] | None = None, failed: str = "") -> str:
    plan = visible_plan(plan_id)
    findings = inspection().call("ListFindings", inspection_pb2.ListFindingsRequest(
        plan_id=plan.id, page_size=200, actor=current_actor()))
    raised = escalations(plan.id) if may_inspect(plan) or roles.allowed(g.user.roles, "inspection.plan") else []
    return render_template("inspection/plan.html", plan=plan, findings=findings.findings, total=findings.total_size,
                           escalations=raised, on_team=on_team(plan), may_inspect=may_inspect(plan),
                           errors=errors or {}, failed=failed, form=request.form, vocabulary=vocabulary,
                           done=DONE.get(request.args.get("done", ""), ""))


@bp.get("/inspection/plans/<plan_id>")
@require("inspection.read")
def inspection_plan(plan_id: str) -> str:
    return render_plan(plan_id)


@bp.post("/inspection/plans/<plan_id>/act/<action>")
@require()
def inspection_plan_act(plan_id: str, action: str) -> ResponseReturnValue:
    if action not in PLAN_ACTS:
        abort(404)
    if not roles.allowed(g.user.roles, inspection_writes.WRITES[action].permission):
        abort(403)
    # No read of the plan first: a refused write re-renders the page, which reads it as the user may see
    # it - out of reach, that is 404 whatever was sent; an accepted write was within reach.
    try:
        inspection_writes.send(action, plan_id, request.form, ignore=FORM_ONLY)
    except DomainError as exc:
        return render_plan(plan_id, exc.field_errors or {"form": exc.message}, action), status_of(exc)
    g.audit_target = plan_id
    return redirect(url_for("pages.inspection_plan", plan_id=plan_id, done=action))


def unit_items(unit_id: str) -> list[ledger_pb2.Item]:
    """The unit's items (lead or co unit), from the ledger: what a visit verifies there."""
    if not unit_id:
        return []
    reply = ledger().call("ListItems", ledger_pb2.ListItemsRequest(
        filter=scoped_filter(g.user, ledger_pb2.ItemFilter(unit_id=unit_id)), page_size=200))
    return [i for i in reply.items if i.status != "archived"]


@bp.route("/inspection/plans/<plan_id>/visits/new", methods=["GET", "POST"])
@require("inspection.inspect")
def inspection_visit_new(plan_id: str) -> ResponseReturnValue:
    plan = visible_plan(plan_id)
    unit_id = request.values.get("unit_id", "")[:40]
    stop = next((s for s in plan.stops if s.unit_id == unit_id), None)
    if stop is None:
        abort(404)
    items = unit_items(unit_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        fields: dict[str, Any] = visit_fields(request.form, [i.id for i in items])
        try:
            inspection_writes.send("visit", plan.id, fields, ignore=FORM_ONLY)
        except DomainError as exc:
            errors = exc.field_errors or {"form": exc.message}
        else:
            return redirect(url_for("pages.inspection_plan", plan_id=plan.id, done="visit") + "#visits")
    return render_template("inspection/visit_form.html", plan=plan, stop=stop, items=items, errors=errors,
                           form=request.form, vocabulary=vocabulary,
                           today=current_app.extensions["clock"].today().isoformat()), (422 if errors else 200)
