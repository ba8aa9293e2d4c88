"""问题 pages: the finding form made for a tablet on site (camera, position, device time, a key of its own
so a double tap records once), the list with filters, and the finding with its photos, position and the
course of its rectification, with the form for whoever may act now (order and 回头看: the team; the
report: the finding's unit; registering it as a ledger item: the office)."""

from __future__ import annotations

import uuid

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.inspection.v1 import inspection_pb2
from libs.common import vocabulary
from libs.common.errors import DomainError, NotFound
from services.gateway import inspection_writes, roles
from services.gateway.api.inspection import photo_file
from services.gateway.auth import require
from services.gateway.calls import current_actor, directory, inspection
from services.gateway.idempotency import FORM_ONLY
from services.gateway.inspection_reads import may_inspect, visible_finding, visible_plan
from services.gateway.pages import bp
from services.gateway.present import photo_upload
from services.gateway.problems import status_of

DONE = {"finding": "问题已记录", "duplicate": "该问题已记录过（同一次提交），未重复记录", "order": "整改要求已下达",
        "report": "整改情况已报送，等待回头看", "verification": "回头看结果已记录", "ledger_item": "已登记为督查事项"}
FINDING_ACTS = ("order", "report", "verification", "ledger_item")
RECTIFICATION_FILTERS = {"": "全部", "none": "未下达整改", **vocabulary.RECTIFICATION_STATUSES}


def _finding_form(plan: inspection_pb2.Plan, errors: dict[str, str], status: int) -> ResponseReturnValue:
    # A new key on every render: a refused post stored nothing, and its corrected form is another finding.
    return render_template("inspection/finding_form.html", plan=plan, errors=errors, form=request.form,
                           client_key=str(uuid.uuid4()), vocabulary=vocabulary,
                           unit_id=request.values.get("unit_id", ""), visit_id=request.values.get("visit_id", ""),
                           max_photos=inspection_writes.MAX_PHOTOS), status


@bp.route("/inspection/plans/<plan_id>/findings/new", methods=["GET", "POST"])
@require("inspection.inspect")
@photo_upload
def inspection_finding_new(plan_id: str) -> ResponseReturnValue:
    plan = visible_plan(plan_id)
    if not may_inspect(plan):
        abort(403)
    if request.method == "POST":
        try:
            reply = inspection_writes.send("finding", plan.id, request.form.to_dict(), ignore=FORM_ONLY)
        except DomainError as exc:
            return _finding_form(plan, exc.field_errors or {"form": exc.message}, status_of(exc))
        g.audit_target = reply.finding.id
        return redirect(url_for("pages.inspection_finding", finding_id=reply.finding.id,
                                done="duplicate" if reply.duplicate else "finding"))
    return _finding_form(plan, {}, 200)


@bp.get("/inspection/findings")
@require("inspection.read")
def inspection_findings() -> str:
    wanted = request.args.get("rectification_status", "")
    wanted = wanted if wanted in RECTIFICATION_FILTERS else ""
    reply = inspection().call("ListFindings", inspection_pb2.ListFindingsRequest(
        plan_id=request.args.get("plan_id", "")[:36], rectification_status=wanted, page_size=100,
        page_token=request.args.get("page_token", "")[:500], actor=current_actor()))
    return render_template("inspection/findings.html", findings=reply.findings, total=reply.total_size,
                           next_page_token=reply.next_page_token, wanted=wanted, filters=RECTIFICATION_FILTERS,
                           plan_id=request.args.get("plan_id", "")[:36], vocabulary=vocabulary)


def _acts(finding: inspection_pb2.Finding) -> dict[str, bool]:
    """Which forms this user may use on the finding now."""
    user = g.user
    office = bool(set(user.roles) & roles.OFFICE_ROLES)
    try:
        team = roles.allowed(user.roles, "inspection.inspect") and may_inspect(visible_plan(finding.plan_id))
    except NotFound:
        team = False
    r = finding.rectification
    last = r.rounds[-1] if r.rounds else None
    awaiting_unit = r.mode == "ordered" and last is not None and not last.HasField("reported_at") and not last.verdict
    return {
        "order": team and not r.mode,
        "report": roles.allowed(user.roles, "inspection.rectify") and awaiting_unit
        and (office or user.unit_id == finding.unit_id),
        "verification": team and r.mode == "ordered" and last is not None and last.HasField("reported_at")
        and not last.verdict,
        "ledger_item": roles.allowed(user.roles, "inspection.register_item") and not finding.registered_item_id,
    }


def render_finding(finding_id: str, errors: dict[str, str] | None = None, failed: str = "",
                   suggestions: dict[str, str] | None = None) -> str:
    finding = visible_finding(finding_id)
    acts = _acts(finding)
    people = [p for p in directory()[1] if p.role == "leader"] if acts["ledger_item"] else []
    return render_template("inspection/finding.html", f=finding, acts=acts, errors=errors or {}, failed=failed,
                           form=request.form, leaders=people, vocabulary=vocabulary, suggestions=suggestions or {},
                           done=DONE.get(request.args.get("done", ""), ""),
                           today=current_app.extensions["clock"].today().isoformat())


@bp.get("/inspection/findings/<finding_id>")
@require("inspection.read")
def inspection_finding(finding_id: str) -> str:
    return render_finding(finding_id)


@bp.post("/inspection/findings/<finding_id>/act/<action>")
@require()
@photo_upload
def inspection_finding_act(finding_id: str, action: str) -> ResponseReturnValue:
    if action not in FINDING_ACTS:
        abort(404)
    if not roles.allowed(g.user.roles, inspection_writes.WRITES[action].permission):
        abort(403)
    # No read of the finding first: a refused write re-renders the page, which reads it as the user may see
    # it - out of reach, that is 404 whatever was sent; an accepted write was within reach.
    try:
        inspection_writes.send(action, finding_id, request.form.to_dict(), ignore=FORM_ONLY)
    except DomainError as exc:
        return render_finding(finding_id, exc.field_errors or {"form": exc.message}, action,
                              exc.suggestions), status_of(exc)
    g.audit_target = finding_id
    return redirect(url_for("pages.inspection_finding", finding_id=finding_id, done=action) + "#rectification")


@bp.get("/inspection/photos/<photo_id>")
@require("inspection.read")
def inspection_photo(photo_id: str) -> Response:
    return photo_file(photo_id, "photo")


@bp.get("/inspection/photos/<photo_id>/thumbnail")
@require("inspection.read")
def inspection_thumbnail(photo_id: str) -> Response:
    return photo_file(photo_id, "thumbnail")
