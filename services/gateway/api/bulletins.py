"""Bulletins (通报) and the year-end 清零 report through the API (/api/v1/bulletins, /api/v1/clearances):
the board, one bulletin with its facts, the office's draft (generate, edit, submit, publish), the principal
leader's approval over the exact bytes (or return with comments), the files and the chart's data, and the
assessment office's receipt (备案) - each on a bulletin the caller may see, each by the role allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g, request, url_for

from duban.notification.v1 import notification_pb2
from libs.common import vocabulary
from libs.common.errors import InvalidInput, NotFound
from services.gateway import bulletin_writes
from services.gateway.api import bp
from services.gateway.api.inspection import created
from services.gateway.auth import require
from services.gateway.bulletin_reads import chart_json, check_target, clearance_of, missing, visible_bulletin
from services.gateway.calls import current_actor, notification
from services.gateway.present import Reader, file_response, json_body, to_json


def act(action: str, target_id: str = "", source: dict[str, Any] | None = None) -> notification_pb2.BulletinResponse:
    """One of the bulletin writes (services/gateway/bulletin_writes.py), on a bulletin the caller sees."""
    check_target(bulletin_writes.WRITES[action].target, target_id)
    reply: notification_pb2.BulletinResponse = bulletin_writes.send(
        action, target_id, (json_body() if request.content_length else {}) if source is None else source)
    return reply


def list_request(reader: Reader) -> notification_pb2.ListBulletinsRequest:
    """The board's filters, checked (the pages read the same query)."""
    ask = notification_pb2.ListBulletinsRequest(
        kind=reader.text("kind", 20), status=reader.text("status", 20), year=reader.integer("year", 0, 0, 2999),
        named_unit_id=reader.text("named_unit_id", 40), scope_unit_id=reader.text("scope_unit_id", 40),
        page_size=reader.integer("page_size", 50, 1, 200), page_token=reader.text("page_token", 500),
        actor=current_actor())
    if ask.kind and ask.kind not in vocabulary.BULLETIN_KINDS:
        reader.errors["kind"] = "应为 " + "、".join(vocabulary.BULLETIN_KINDS) + " 之一"
    if ask.status and ask.status not in (*vocabulary.BULLETIN_STATUSES, vocabulary.BULLETIN_IN_WORK):
        reader.errors["status"] = "应为 " + "、".join([*vocabulary.BULLETIN_STATUSES, vocabulary.BULLETIN_IN_WORK]) + " 之一"
    return ask


@bp.get("/bulletins")
@require("bulletins.read")
def list_bulletins() -> dict[str, Any]:
    reader = Reader(request.args)
    ask = list_request(reader)
    reader.done()
    reply = notification().call("ListBulletins", ask)
    return {"bulletins": [to_json(b) for b in reply.bulletins], "next_page_token": reply.next_page_token,
            "total_size": reply.total_size}


@bp.post("/bulletins")
@require("bulletins.draft")
def generate_bulletin() -> Response:
    reply = act("generate", "", json_body())
    g.audit_target = reply.bulletin.id
    return created(reply.bulletin, url_for("api.get_bulletin", bulletin_id=reply.bulletin.id), fresh=not reply.existing)


@bp.get("/bulletins/<bulletin_id>")
@require("bulletins.read")
def get_bulletin(bulletin_id: str) -> dict[str, Any]:
    return to_json(visible_bulletin(bulletin_id))


@bp.patch("/bulletins/<bulletin_id>")
@require("bulletins.draft")
def edit_bulletin(bulletin_id: str) -> dict[str, Any]:
    source = json_body()
    if_match = request.headers.get("If-Match", "").strip('"')
    if if_match and "expected_version" not in source:
        if not if_match.isdigit():
            raise InvalidInput(f"bad If-Match {if_match!r}", {"If-Match": "应为通报版本号"})
        source["expected_version"] = int(if_match)
    return to_json(act("edit", bulletin_id, source).bulletin)


def _bulletin_act(action: str) -> Callable[[str], dict[str, Any]]:
    def view(bulletin_id: str) -> dict[str, Any]:
        g.audit_target = bulletin_id
        return to_json(act(action, bulletin_id).bulletin)

    return view


for _action, _path, _name in (("submit", "submission", "submit_bulletin"), ("approve", "approval", "approve_bulletin"),
                              ("return", "return", "return_bulletin"), ("publish", "publication", "publish_bulletin")):
    _view = _bulletin_act(_action)
    _view.__name__ = _name
    bp.post(f"/bulletins/<bulletin_id>/{_path}")(require(bulletin_writes.WRITES[_action].permission)(_view))


def document_response(bulletin_id: str, fmt: str, inline: bool = False) -> Response:
    """The DOCX, the PDF or the chart (PNG) of a bulletin the caller sees, streamed by chunks: a draft's
    rendered now, a submitted or later one's the stored bytes the leader approves."""
    if fmt not in vocabulary.BULLETIN_FORMATS:
        raise NotFound(f"no format {fmt!r}", {"format": "应为 docx、pdf 或 chart"})
    check_target("bulletin", bulletin_id)
    try:
        return file_response(notification().stream("GetBulletinDocument", notification_pb2.GetBulletinDocumentRequest(
            bulletin_id=bulletin_id, format=fmt, actor=current_actor()), timeout=bulletin_writes.RENDER_TIMEOUT),
            inline=inline)
    except NotFound:
        raise missing(bulletin_id) from None


@bp.get("/bulletins/<bulletin_id>/documents/<fmt>")
@require("bulletins.read")
def bulletin_document(bulletin_id: str, fmt: str) -> Response:
    return document_response(bulletin_id, fmt, inline=fmt == "chart")


@bp.get("/bulletins/<bulletin_id>/chart")
@require("bulletins.read")
def bulletin_chart(bulletin_id: str) -> dict[str, Any]:
    """各单位按时办结率: the data the DOCX's chart is drawn from, for the page's ECharts."""
    return chart_json(visible_bulletin(bulletin_id))


@bp.post("/bulletin-jobs")
@require("bulletins.jobs")
def run_bulletin_jobs() -> dict[str, Any]:
    reply = notification().call("RunBulletinJobs", notification_pb2.RunBulletinJobsRequest(actor=current_actor()),
                                timeout=bulletin_writes.RENDER_TIMEOUT)
    return to_json(reply)


# -- 清零 (a bulletin of kind clearance: approved and published through the bulletin endpoints above)
@bp.post("/clearances")
@require("bulletins.draft")
def generate_clearance() -> Response:
    reply = act("clearance", "", json_body())
    g.audit_target = reply.bulletin.id
    return created(reply.bulletin, url_for("api.get_clearance", year=reply.bulletin.period.year),
                   fresh=not reply.existing)


def _year(year: str) -> int:
    if not year.isdigit() or not 2000 <= int(year) <= 2999:
        raise InvalidInput(f"bad year {year!r}", {"year": "应为年度，如 2026"})
    return int(year)


@bp.get("/clearances/<year>")
@require("bulletins.read")
def get_clearance(year: str) -> dict[str, Any]:
    found = clearance_of(_year(year))
    if found is None:
        raise NotFound(f"no clearance report for {year}", {"year": f"{year}年度尚无清零报告"})
    return to_json(found)


@bp.post("/clearances/<year>/receipt")
@require("bulletins.receipt")
def record_clearance_receipt(year: str) -> dict[str, Any]:
    found = clearance_of(_year(year))
    if found is None:
        raise NotFound(f"no clearance report for {year}", {"year": f"{year}年度尚无清零报告"})
    g.audit_target = found.id
    return to_json(act("receipt", found.id).bulletin)
