"""Inspection through the API (/api/v1/inspection): plans, visits, findings with photos, rectification and
回头看, escalations, photos - each on a plan or finding the caller may see, each by the role allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request, url_for

from duban.inspection.v1 import inspection_pb2
from libs.common import vocabulary
from libs.common.errors import InvalidInput, NotFound
from services.gateway import inspection_writes
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import current_actor, inspection
from services.gateway.idempotency import replayed
from services.gateway.inspection_reads import (
    escalations,
    missing,
    refusals_in_scope,
    visible_escalation,
    visible_finding,
    visible_plan,
)
from services.gateway.present import Reader, file_response, json_body, photo_upload, to_json


def body() -> dict[str, Any]:
    """A JSON object, or a multipart form (its files are read by the write's builder)."""
    return request.form.to_dict() if request.mimetype == "multipart/form-data" else json_body()


def act(action: str, target_id: str = "", source: dict[str, Any] | None = None) -> Any:
    """One of inspection's writes (services/gateway/inspection_writes.py); refused on a target out of the
    caller's reach, it is 404 whatever was sent (the body is read inside, so a bad one is too)."""
    with refusals_in_scope(inspection_writes.WRITES[action].target, target_id):
        return inspection_writes.send(action, target_id, body() if source is None else source)


def created(message: Any, location: str, fresh: bool = True) -> Response:
    """201 with the new resource, or 200 when it was there already (a replayed key, a repeated client_key)."""
    response = Response(status=201 if fresh and not replayed() else 200)
    response.set_data(current_app.json.dumps(to_json(message)))
    response.mimetype = "application/json"
    response.headers["Location"] = location
    return response


# -- plans
@bp.get("/inspection/plans")
@require("inspection.read")
def list_plans() -> dict[str, Any]:
    reader = Reader(request.args)
    status = reader.text("status", 20)
    size = reader.integer("page_size", 50, 1, 200)
    token = reader.text("page_token", 500)
    if status and status not in vocabulary.PLAN_STATUSES:
        reader.errors["status"] = "应为 " + "、".join(vocabulary.PLAN_STATUSES) + " 之一"
    reader.done()
    reply = inspection().call("ListPlans", inspection_pb2.ListPlansRequest(
        status=status, page_size=size, page_token=token, actor=current_actor()))
    return {"plans": [to_json(p) for p in reply.plans], "next_page_token": reply.next_page_token}


@bp.post("/inspection/plans")
@require("inspection.plan")
def create_plan() -> Response:
    plan = act("plan", "", json_body()).plan
    g.audit_target = plan.id
    return created(plan, url_for("api.get_plan", plan_id=plan.id))


@bp.get("/inspection/plans/<plan_id>")
@require("inspection.read")
def get_plan(plan_id: str) -> dict[str, Any]:
    return to_json(visible_plan(plan_id))


@bp.patch("/inspection/plans/<plan_id>")
@require("inspection.plan")
def update_plan(plan_id: str) -> dict[str, Any]:
    source = json_body()
    if_match = request.headers.get("If-Match", "").strip('"')
    if if_match and "expected_version" not in source:
        if not if_match.isdigit():
            raise InvalidInput(f"bad If-Match {if_match!r}", {"If-Match": "应为方案版本号"})
        source["expected_version"] = int(if_match)
    return to_json(act("plan_update", plan_id, source).plan)


def _plan_act(action: str) -> Callable[[str], dict[str, Any]]:
    def view(plan_id: str) -> dict[str, Any]:
        return to_json(act(action, plan_id, body() if request.content_length else {}).plan)

    return view


for _action, _path, _name in (("approval", "approval", "approve_plan"), ("start", "start", "start_plan"),
                              ("finish", "finish", "finish_plan"),
                              ("training", "training-confirmation", "confirm_training")):
    _view = _plan_act(_action)
    _view.__name__ = _name
    bp.post(f"/inspection/plans/<plan_id>/{_path}")(require(inspection_writes.WRITES[_action].permission)(_view))


@bp.post("/inspection/plans/<plan_id>/visits")
@require("inspection.inspect")
def record_visit(plan_id: str) -> Response:
    reply = act("visit", plan_id, json_body())
    return created(reply.visit, url_for("api.get_plan", plan_id=plan_id), fresh=not reply.duplicate)


@bp.post("/inspection/plans/<plan_id>/escalations")
@require("inspection.inspect")
def raise_escalation(plan_id: str) -> Response:
    escalation = act("escalation", plan_id, json_body()).escalation
    return created(escalation, url_for("api.get_escalation", escalation_id=escalation.id))


# -- findings
@bp.post("/inspection/plans/<plan_id>/findings")
@require("inspection.inspect")
@photo_upload
def record_finding(plan_id: str) -> Response:
    with refusals_in_scope("plan", plan_id):  # out of reach is 404 whatever was sent
        if request.mimetype != "multipart/form-data":
            raise InvalidInput("a finding is sent as multipart/form-data", {"body": "问题须以 multipart/form-data 提交（含照片）"})
    reply = act("finding", plan_id, request.form.to_dict())
    g.audit_target = reply.finding.id
    return created(reply.finding, url_for("api.get_finding", finding_id=reply.finding.id), fresh=not reply.duplicate)


@bp.get("/inspection/findings")
@require("inspection.read")
def list_findings() -> dict[str, Any]:
    reader = Reader(request.args)
    ask = inspection_pb2.ListFindingsRequest(
        plan_id=reader.text("plan_id", 36), unit_id=reader.text("unit_id", 40), item_id=reader.text("item_id", 40),
        rectification_status=reader.text("rectification_status", 20), page_size=reader.integer("page_size", 50, 1, 200),
        page_token=reader.text("page_token", 500), actor=current_actor())
    if ask.rectification_status not in ("", "none", *vocabulary.RECTIFICATION_STATUSES):
        reader.errors["rectification_status"] = "应为 none、" + "、".join(vocabulary.RECTIFICATION_STATUSES) + " 之一"
    reader.done()
    reply = inspection().call("ListFindings", ask)
    return {"findings": [to_json(f) for f in reply.findings], "next_page_token": reply.next_page_token,
            "total_size": reply.total_size}


@bp.get("/inspection/findings/<finding_id>")
@require("inspection.read")
def get_finding(finding_id: str) -> dict[str, Any]:
    return to_json(visible_finding(finding_id))


def _finding_act(action: str) -> Callable[[str], dict[str, Any]]:
    def view(finding_id: str) -> dict[str, Any]:
        return to_json(act(action, finding_id).finding)

    return view


for _action, _path, _name in (("order", "rectification", "order_rectification"),
                              ("report", "rectification/report", "report_rectification"),
                              ("verification", "rectification/verification", "verify_rectification"),
                              ("ledger_item", "ledger-item", "register_finding_as_item")):
    _view = _finding_act(_action)
    _view.__name__ = _name
    if _action != "ledger_item":
        _view = photo_upload(_view)
    bp.post(f"/inspection/findings/<finding_id>/{_path}")(require(inspection_writes.WRITES[_action].permission)(_view))


def photo_file(photo_id: str, kind: str) -> Response:
    """A photo (or its thumbnail) of a finding the caller sees; shown in the browser, not downloaded."""
    try:
        return file_response(inspection().stream("GetDocument", inspection_pb2.GetDocumentRequest(
            kind=kind, id=photo_id, actor=current_actor())), inline=True)
    except NotFound:
        raise missing("photo", photo_id) from None


@bp.get("/inspection/photos/<photo_id>")
@require("inspection.read")
def get_photo(photo_id: str) -> Response:
    return photo_file(photo_id, "photo")


@bp.get("/inspection/photos/<photo_id>/thumbnail")
@require("inspection.read")
def get_thumbnail(photo_id: str) -> Response:
    return photo_file(photo_id, "thumbnail")


# -- escalations
@bp.get("/inspection/escalations")
@require("inspection.read")
def list_escalations() -> dict[str, Any]:
    reader = Reader(request.args)
    plan_id = reader.text("plan_id", 36)
    open_only = reader.flag("open_only")
    reader.done()
    return {"escalations": [to_json(e) for e in escalations(plan_id, bool(open_only))]}


@bp.get("/inspection/escalations/<escalation_id>")
@require("inspection.read")
def get_escalation(escalation_id: str) -> dict[str, Any]:
    return to_json(visible_escalation(escalation_id))


@bp.post("/inspection/escalations/<escalation_id>/acknowledgement")
@require("inspection.acknowledge")
def acknowledge_escalation(escalation_id: str) -> dict[str, Any]:
    return to_json(act("acknowledgement", escalation_id, body() if request.content_length else {}).escalation)
