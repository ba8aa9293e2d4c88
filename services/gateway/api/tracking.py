"""Tracking through the API: the notice, signing for it, reports, extensions, the reply, the completion
report and the leader's signature - each on an item the caller may see, each by the role allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, request

from duban.tracking.v1 import tracking_pb2
from libs.common.errors import InvalidInput
from services.gateway import tracking_writes
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import tracking, visible
from services.gateway.present import Reader, file_response, json_body, to_json
from services.gateway.scope import NOBODY, Principal, scoped_tracking_request


def body() -> dict[str, Any]:
    return request.form.to_dict() if request.mimetype == "multipart/form-data" else json_body()


@bp.get("/items/<item_id>/tracking")
@require("tracking.read")
def get_tracking(item_id: str) -> dict[str, Any]:
    return to_json(tracking().call("GetAssignment", tracking_pb2.GetAssignmentRequest(item_id=visible(item_id))).assignment)


def _send(action: str, item_id: str, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """One of tracking's writes (services/gateway/tracking_writes.py: the same builders as the pages')."""
    return to_json(tracking_writes.send(action, visible(item_id), body() if source is None else source).assignment)


@bp.post("/items/<item_id>/notice")
@require("tracking.notice")
def issue_notice(item_id: str) -> dict[str, Any]:
    return _send("notice", item_id)


@bp.post("/items/<item_id>/acknowledgements")
@require("tracking.unit_act")
def acknowledge(item_id: str) -> dict[str, Any]:
    return _send("acknowledge", item_id, body() if request.content_length else {})


@bp.post("/items/<item_id>/reports")
@require("tracking.unit_act")
def file_report(item_id: str) -> dict[str, Any]:
    return _send("report", item_id)


@bp.post("/items/<item_id>/extensions")
@require("tracking.unit_act")
def request_extension(item_id: str) -> dict[str, Any]:
    return _send("extension", item_id)


@bp.post("/items/<item_id>/extensions/<extension_id>/decision")
@require("tracking.sign")
def decide_extension(item_id: str, extension_id: str) -> dict[str, Any]:
    source = body()
    if "extension_id" in source:
        raise InvalidInput("extension_id is in the path", {"extension_id": "未知字段"})
    source["extension_id"] = extension_id  # a fresh object per request; a JSON body stays typed
    return _send("decision", item_id, source)


@bp.post("/items/<item_id>/reply")
@require("tracking.unit_act")
def file_reply(item_id: str) -> dict[str, Any]:
    return _send("reply", item_id)


@bp.post("/items/<item_id>/completion-report")
@require("tracking.completion")
def fill_completion(item_id: str) -> dict[str, Any]:
    return _send("completion", item_id)


@bp.post("/items/<item_id>/urges")
@require("tracking.urge")
def urge_unit(item_id: str) -> dict[str, Any]:
    return _send("urge", item_id)


@bp.post("/items/<item_id>/completion-report/signature")
@require("tracking.sign")
def sign_completion(item_id: str) -> dict[str, Any]:
    return _send("signature", item_id)


DOCUMENT_KINDS = ("notice", "completion_report", "dossier", "attachment")


def document_response(item_id: str, kind: str, attachment_id: str = "") -> Response:
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document {kind!r}", {"kind": "应为 notice、completion_report、dossier 或 attachment"})
    return file_response(tracking().stream("GetDocument", tracking_pb2.GetDocumentRequest(
        item_id=visible(item_id), kind=kind, attachment_id=attachment_id)))


@bp.get("/items/<item_id>/documents/<kind>")
@require("tracking.read")
def get_document(item_id: str, kind: str) -> Response:
    return document_response(item_id, kind, request.args.get("attachment_id", ""))


def scoped_list_request(user: Principal, view: str, page_size: int, token: str) -> tracking_pb2.ListAssignmentsRequest:
    return scoped_tracking_request(user, tracking_pb2.ListAssignmentsRequest(view=view, page_size=page_size, page_token=token))


def read_lights_query(args: Mapping[str, str]) -> tracking_pb2.ListLightsRequest:
    reader = Reader(args)
    light = reader.text("light", 10)  # tracking refuses an unknown light with a field error
    lead_unit_id = reader.text("lead_unit_id", 40)
    size = reader.integer("page_size", 1000, 1, 5000)
    token = reader.text("page_token", 500)
    reader.done()
    return scoped_tracking_request(g.user, tracking_pb2.ListLightsRequest(light=light, lead_unit_id=lead_unit_id, page_size=size,
                                                         page_token=token))


@bp.get("/tracking")
@require("tracking.read")
def list_tracking() -> dict[str, Any]:
    reader = Reader(request.args)
    view = reader.text("view", 20)
    size = reader.integer("page_size", 50, 1, 500)
    token = reader.text("page_token", 500)
    reader.done()
    reply = tracking().call("ListAssignments", scoped_list_request(g.user, view, size, token))
    return {"assignments": [to_json(a) for a in reply.assignments], "next_page_token": reply.next_page_token,
            "total_size": reply.total_size}


@bp.get("/tracking/lights")
@require("tracking.read")
def list_lights() -> dict[str, Any]:
    reply = tracking().call("ListLights", read_lights_query(request.args))
    return {"items": [to_json(i) for i in reply.items], "next_page_token": reply.next_page_token,
            "total_size": reply.total_size, "today": reply.today}


@bp.get("/tracking/lights/board")
@require("tracking.read")
def light_board() -> dict[str, Any]:
    Reader(request.args).done()
    reply = tracking().call("LightBoard", scoped_tracking_request(g.user, tracking_pb2.LightBoardRequest()))
    return {"rows": [to_json(r) for r in reply.rows], "total": to_json(reply.total), "today": reply.today}


@bp.get("/leader/queue")
@require("tracking.sign")
def leader_queue() -> dict[str, Any]:
    reply = tracking().call("LeaderQueue", tracking_pb2.LeaderQueueRequest(leader_id=g.user.person_id or NOBODY))
    return {"extensions_pending": [to_json(a) for a in reply.extensions_pending],
            "closures_pending": [to_json(a) for a in reply.closures_pending]}


@bp.post("/tracking/sweeps")
@require("tracking.sweep")
def run_sweeps() -> dict[str, Any]:
    return to_json(tracking().call("RunSweeps", tracking_pb2.RunSweepsRequest(), timeout=120))
