"""The tablet's day (带走今天的督查): one call returns everything an inspector needs on site without a
signal - the plan, its units with their items' ledger rows, leads and the training checklist, the plan's
findings (for 回头看), the words of the forms and the photo limits - and the bound tablets (设备令牌):
binding one from the web session, listing them with their last sync, revoking one in a click."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.typing import ResponseReturnValue

from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import vocabulary
from libs.common.photos import PhotoLimits
from services.gateway import accounts, devices, metrics, roles
from services.gateway.api import bp
from services.gateway.auth import db, now, require
from services.gateway.calls import current_actor, inspection, ledger
from services.gateway.inspection_reads import missing, on_team, visible_plan
from services.gateway.inspection_writes import MAX_PHOTOS
from services.gateway.present import Reader, json_body, to_json
from services.gateway.problems import problem
from services.gateway.scope import scoped_filter

FINDINGS_MAX = 1000  # a plan's findings the tablet takes along (pages of 200)
# The tablet shrinks photos to this longer side before queueing (well inside the service's pixel limit,
# and a day's 200 photos fit a tablet's storage).
PHOTO_LONG_SIDE = 2048


def ledger_row(item: ledger_pb2.Item) -> dict[str, Any]:
    """The item as the unit's ledger (台账) shows it, for checking on site."""
    return {
        "id": item.id, "item_no": item.item_no, "title": item.title, "content": item.content,
        "category": item.category, "status": item.status,
        "status_label": vocabulary.STATUSES.get(vocabulary.FORMER_STATUSES.get(item.status, item.status), item.status),
        "units": [{"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role} for u in item.units],
        "responsible_leader": item.responsible_leader.name, "responsible_person": item.responsible_person.name,
        "assigned_on": item.assigned_on, "due_date": item.due_date, "supervision_status": item.supervision_status,
        "result": item.result, "extension_reason": item.extension_reason, "light": item.light,
        "light_reason": item.light_reason,
    }


def _unit_rows(unit_id: str) -> list[dict[str, Any]]:
    reply = ledger().call("ListItems", ledger_pb2.ListItemsRequest(
        filter=scoped_filter(g.user, ledger_pb2.ItemFilter(unit_id=unit_id)), page_size=200))
    return [ledger_row(i) for i in reply.items if i.status != "archived"]


def _findings(plan_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = ""
    while len(found) < FINDINGS_MAX:
        reply = inspection().call("ListFindings", inspection_pb2.ListFindingsRequest(
            plan_id=plan_id, page_size=200, page_token=token, actor=current_actor()))
        found.extend(to_json(f) for f in reply.findings)
        token = reply.next_page_token
        if not token:
            break
    return found


@bp.get("/inspection/plans/<plan_id>/bundle")
@require("inspection.inspect")
def field_bundle(plan_id: str) -> dict[str, Any]:
    """The plan's day for the tablet: only the plan's team and the office (anyone else: as missing)."""
    plan = visible_plan(plan_id)
    if not (on_team(plan) or set(g.user.roles) & roles.OFFICE_ROLES):
        raise missing("plan", plan_id)
    units = [{"unit_id": s.unit_id, "unit_name": s.unit_name, "place": s.place, "scheduled_on": s.scheduled_on,
              "visit_id": s.visit_id, "items": _unit_rows(s.unit_id),
              "leads": [to_json(x) for x in plan.leads if x.unit_id == s.unit_id]} for s in plan.stops]
    limits = PhotoLimits()
    upload = current_app.extensions["settings"].photo_upload_max_bytes
    metrics.FIELD_BUNDLES.labels(g.via).inc()
    return {
        "plan": to_json(plan), "units": units, "findings": _findings(plan.id),
        "leads": [to_json(x) for x in plan.leads], "checklist": list(plan.training),
        "vocabulary": {"categories": vocabulary.FINDING_CATEGORIES, "severities": vocabulary.FINDING_SEVERITIES,
                       "checks": vocabulary.CHECK_VERDICTS, "rectification": vocabulary.RECTIFICATION_STATUSES,
                       "plan_statuses": vocabulary.PLAN_STATUSES},
        "photo_limits": {"max_photos": MAX_PHOTOS, "max_bytes": min(limits.max_bytes, upload // MAX_PHOTOS),
                         "max_pixels": limits.max_pixels, "long_side": PHOTO_LONG_SIDE},
        "taken_at": now().isoformat(),
        "inspector": {"id": g.user.user_id, "display_name": g.user.display_name, "person_id": g.user.person_id},
    }


# -- device tokens
@bp.post("/devices")
@require("inspection.inspect")
def bind_device() -> ResponseReturnValue:
    """Bind this tablet (from the web session only): the token is in this answer, once."""
    if g.via != "session":
        return problem(403, "只能在网页登录后绑定平板")
    reader = Reader(json_body())
    name = reader.text("name", devices.NAME_MAX).strip()
    if not name:
        reader.errors["name"] = "请填写平板名称（如：督查一组平板）"
    reader.done()
    user = accounts.get_user(db(), g.user.user_id)
    raw, token = devices.issue(db(), user, name, now(), current_app.extensions["settings"].device_token_days)
    db().commit()
    g.audit_target = str(token.id)
    listed = devices.Listed(token, user.username, user.display_name)
    return devices.as_json(listed) | {"token": raw}, 201


@bp.get("/devices")
@require("inspection.inspect")
def list_devices() -> dict[str, Any]:
    """The office: every bound tablet; an inspector: their own."""
    everyone = roles.allowed(g.user.roles, "inspection.devices")
    rows = devices.listed(db(), None if everyone else g.user.user_id)
    return {"devices": [devices.as_json(row) for row in rows]}


@bp.delete("/devices/<int:device_id>")
@require("inspection.inspect")
def revoke_device(device_id: int) -> ResponseReturnValue:
    """Revoke a tablet: the office any, an inspector their own (another's is answered as missing)."""
    token = devices.find(db(), device_id)
    if token is None or not (roles.allowed(g.user.roles, "inspection.devices") or token.user_id == g.user.user_id):
        return problem(404, "设备不存在", {"device_id": "设备不存在"})
    devices.revoke(db(), token, g.user.display_name, now())
    return "", 204
