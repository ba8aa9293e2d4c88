"""Tracking pages: the item's 督办跟踪 panel and its forms, the office desk, a unit's 我的待办, the leader's
phone queue (待我签批), and the counts of the last two in the navigation."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.notification.v1 import notification_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import permissions, todo, vocabulary
from libs.common.errors import DomainError
from services.gateway import roles, todos, tracking_writes
from services.gateway.api.tracking import document_response, read_lights_query, scoped_list_request
from services.gateway.auth import require
from services.gateway.calls import current_actor, notification, tracking, visible
from services.gateway.clients import ServiceFailed, ServiceUnavailable
from services.gateway.idempotency import FORM_ONLY
from services.gateway.pages import bp
from services.gateway.pages.item_page import render_item
from services.gateway.problems import status_of
from services.gateway.scope import scoped_tracking_request

logger = logging.getLogger(__name__)


@bp.post("/items/<item_id>/tracking/<action>")
@require()
def tracking_action(item_id: str, action: str) -> ResponseReturnValue:
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
    return render_template("tracking/desk.html", views=views, vocabulary=vocabulary, bulletins=bulletin_desk(),
                           today=current_app.extensions["clock"].today().isoformat())


# The office's bulletin work on its desk: returned by the principal leader, approved and not yet published,
# drafts not yet submitted - in that order (what waits longest on the office first).
BULLETIN_DESK = (("returned", "主要领导退回修改的通报"), ("approved", "已批准待印发的通报"),
                 ("draft", "待修改、报批的通报草稿"), ("edited", "已修改、待报批的通报"))


def bulletin_desk() -> list[tuple[str, str, list[notification_pb2.Bulletin]]] | None:
    """(status, heading, bulletins) for the desk; None when the notification service cannot say just now
    (the desk still shows tracking's work)."""
    try:
        return [(status, title, list(notification().call("ListBulletins", notification_pb2.ListBulletinsRequest(
            status=status, page_size=50, actor=current_actor())).bulletins)) for status, title in BULLETIN_DESK]
    except (ServiceUnavailable, ServiceFailed) as exc:
        logger.warning("bulletins unavailable for the desk: %s", exc)
        return None


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


@bp.get("/todo")
@require("todo.read")
def my_todo() -> str:
    """我的待办: everything waiting for the user's unit (and their signatures), each with where it is done."""
    found = todos.todo_list(g.user)
    audiences = permissions.todo_audiences(g.user.roles)
    groups = [group for audience in (todo.UNIT, todo.LEADER) if audience in audiences for group in found.grouped(audience)]
    return render_template("tracking/todo.html", groups=groups, total=len(found.entries), today=found.today,
                           todos=todos)


@bp.get("/queue")
@require("todo.read")
def leader_queue() -> str:
    """待我签批: each request with who asked (unit and person), when, and how long it has waited - a
    leader's signatures, and for them and the office head inspection's reports to read and plans to approve."""
    if todo.LEADER not in permissions.todo_audiences(g.user.roles):
        abort(403)
    found = todos.todo_list(g.user)
    return render_template("tracking/queue.html", groups=found.grouped(todo.LEADER), total=len(found.of(todo.LEADER)),
                           todos=todos)


@bp.app_context_processor
def _todo_navigation() -> dict[str, Any]:
    """For the navigation: `has_todo(audience)` (the user's roles have that to-do) and `todo_count(audience)`,
    the length of the very list the link opens, or None when the services cannot say (the page still renders)."""

    def has_todo(audience: str) -> bool:
        user = g.get("user")
        return user is not None and audience in permissions.todo_audiences(user.roles)

    def todo_count(audience: str) -> int | None:
        if not has_todo(audience):
            return None
        try:
            return len(todos.todo_list(g.user).of(audience))
        except (ServiceUnavailable, ServiceFailed, DomainError) as exc:
            logger.warning("to-do counts unavailable: %s", exc)
            return None

    return {"has_todo": has_todo, "todo_count": todo_count}
