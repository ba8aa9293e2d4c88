"""Tracking pages: the item's 督办跟踪 panel and its forms, the office desk, the leader's phone queue."""

from __future__ import annotations

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.tracking.v1 import tracking_pb2
from libs.common import vocabulary
from libs.common.errors import DomainError
from services.gateway import roles, tracking_writes
from services.gateway.api.tracking import document_response, read_lights_query, scoped_list_request
from services.gateway.auth import require
from services.gateway.calls import tracking, visible
from services.gateway.idempotency import FORM_ONLY
from services.gateway.pages import bp
from services.gateway.pages.item_page import render_item
from services.gateway.problems import status_of
from services.gateway.scope import scoped_tracking_request


@bp.post("/items/<item_id>/tracking/<action>")
@require()
def tracking_action(item_id: str, action: str) -> ResponseReturnValue:
    from flask import abort

    if action not in tracking_writes.WRITES:
        abort(404)
    if not roles.allowed(g.user.roles, tracking_writes.WRITES[action].permission):
        abort(403)
    item_id = visible(item_id)
    try:
        tracking_writes.send(action, item_id, request.form, ignore=FORM_ONLY)
    except DomainError as exc:
        errors = exc.field_errors or {"form": exc.message}
        return render_item(item_id, errors=errors, failed_action=action), status_of(exc)
    g.audit_target = item_id
    return redirect(url_for("pages.item_detail", item_id=item_id, done=action) + "#tracking")


@bp.get("/items/<item_id>/documents/<kind>")
@require("tracking.read")
def item_document(item_id: str, kind: str) -> Response:
    return document_response(item_id, kind, request.args.get("attachment_id", ""))


@bp.get("/desk")
@require("tracking.notice")
def office_desk() -> str:
    views = {}
    notice_days = current_app.extensions["settings"].policy.notice_working_days
    for view, title in (("notices_due", f"待发督办通知（立项后{notice_days}个工作日内发出）"), ("unacknowledged", "未签收的督办通知"),
                        ("overdue", "逾期事项"), ("urged_today", "今日已催办（系统催办与督查室电话、书面督办）")):
        views[view] = (title, tracking().call("ListAssignments", scoped_list_request(g.user, view, 100, "")))
    return render_template("tracking/desk.html", views=views, vocabulary=vocabulary,
                           today=current_app.extensions["clock"].today().isoformat())


@bp.get("/lights")
@require("tracking.read")
def lights() -> str:
    """红黄绿灯: the board per lead unit, and the items behind a chosen cell (200 a page)."""
    query = read_lights_query({"page_size": "200", **request.args.to_dict()})
    board = tracking().call("LightBoard", scoped_tracking_request(g.user, tracking_pb2.LightBoardRequest()))
    reply = tracking().call("ListLights", query)
    unit = next((r.unit_name for r in board.rows if r.unit_id == query.lead_unit_id), "") if query.lead_unit_id else ""
    heading = f"{unit or '全部单位'} · {vocabulary.LIGHTS[query.light] if query.light else '全部灯色'}"
    return render_template("tracking/lights.html", board=board, items=reply.items, total=reply.total_size,
                           next_page_token=reply.next_page_token, light=query.light,
                           lead_unit_id=query.lead_unit_id, heading=heading, vocabulary=vocabulary)


@bp.get("/queue")
@require("tracking.sign")
def leader_queue() -> str:
    reply = tracking().call("LeaderQueue", tracking_pb2.LeaderQueueRequest(leader_id=g.user.person_id))
    return render_template("tracking/queue.html", queue=reply)
