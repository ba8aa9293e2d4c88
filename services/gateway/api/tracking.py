"""Tracking through the API: the notice, signing for it, reports, extensions, the reply, the completion
report and the leader's signature - each on an item the caller may see, each by the role allowed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from flask import Response, g, request

from duban.tracking.v1 import tracking_pb2
from libs.common.errors import InvalidInput
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import actor, tracking, visible
from services.gateway.idempotency import write
from services.gateway.present import Reader, file_response, json_body, to_json
from services.gateway.scope import NOBODY, Principal, scoped_tracking_request


# The tracking list requests scoped by the caller (see scoped).
def attachments(body: dict[str, Any], reader: Reader) -> list[tracking_pb2.Attachment]:
    """JSON clients send files as {filename, content_type, data (base64)}; forms send multipart files."""
    result = []
    listed = body.get("attachments", [])
    if not isinstance(listed, list):
        reader.errors["attachments"] = "应为 [{filename, content_type, data}] 列表"
        listed = []
    for i, entry in enumerate(listed):
        if not isinstance(entry, dict):
            reader.errors[f"attachments[{i}]"] = "应为 {filename, content_type, data} 对象"
            continue
        try:
            data = base64.b64decode(str(entry.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            reader.errors[f"attachments[{i}].data"] = "应为 base64 编码"
            continue
        result.append(tracking_pb2.Attachment(filename=str(entry.get("filename", ""))[:200],
                                              content_type=str(entry.get("content_type", ""))[:100], data=data))
    for upload in request.files.getlist("attachments"):
        if upload.filename:
            result.append(tracking_pb2.Attachment(filename=upload.filename[:200], content_type=upload.mimetype or "",
                                                  data=upload.read()))
    return result


def body() -> dict[str, Any]:
    return request.form.to_dict() if request.mimetype == "multipart/form-data" else json_body()


@bp.get("/items/<item_id>/tracking")
@require("tracking.read")
def get_tracking(item_id: str) -> dict[str, Any]:
    return to_json(tracking().call("GetAssignment", tracking_pb2.GetAssignmentRequest(item_id=visible(item_id))).assignment)


@bp.post("/items/<item_id>/notice")
@require("tracking.notice")
def issue_notice(item_id: str) -> dict[str, Any]:
    data = body()
    reader = Reader(data)
    reader.unknown({"requirements", "contact_name", "contact_phone"})
    requirements = data.get("requirements", [])
    if isinstance(requirements, str) and not reader.typed:  # a form's textarea: one requirement a line
        requirements = [line for line in requirements.splitlines() if line.strip()]
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        reader.errors["requirements"] = "应为字符串列表"
        requirements = []
    req = tracking_pb2.IssueNoticeRequest(item_id=visible(item_id), requirements=requirements,
                                          contact_name=reader.text("contact_name", 50),
                                          contact_phone=reader.text("contact_phone", 50), actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "IssueNotice", req).assignment)


@bp.post("/items/<item_id>/acknowledgements")
@require("tracking.unit_act")
def acknowledge(item_id: str) -> dict[str, Any]:
    reader = Reader(body() if request.content_length else {})
    unit_id = reader.text("unit_id", 40)
    reader.done()
    return to_json(write(tracking(), "Acknowledge", tracking_pb2.AcknowledgeRequest(
        item_id=visible(item_id), unit_id=unit_id, actor=actor(g.user))).assignment)


@bp.post("/items/<item_id>/reports")
@require("tracking.unit_act")
def file_report(item_id: str) -> dict[str, Any]:
    data = body()
    reader = Reader(data)
    reader.unknown({"text", "unit_id", "expected_report_id", "attachments"})
    req = tracking_pb2.FileReportRequest(
        item_id=visible(item_id), unit_id=reader.text("unit_id", 40), text=reader.text("text", 8000),
        expected_report_id=reader.text("expected_report_id", 36), attachments=attachments(data, reader),
        actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "FileReport", req, timeout=60).assignment)


@bp.post("/items/<item_id>/extensions")
@require("tracking.unit_act")
def request_extension(item_id: str) -> dict[str, Any]:
    reader = Reader(body())
    reader.unknown({"reason", "new_due_date", "progress"})
    req = tracking_pb2.RequestExtensionRequest(
        item_id=visible(item_id), reason=reader.text("reason", 2000), new_due_date=reader.text("new_due_date", 10),
        progress=reader.text("progress", 4000), actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "RequestExtension", req).assignment)


@bp.post("/items/<item_id>/extensions/<extension_id>/decision")
@require("tracking.sign")
def decide_extension(item_id: str, extension_id: str) -> dict[str, Any]:
    reader = Reader(body())
    reader.unknown({"approve", "comment"})
    approve = reader.flag("approve")
    if approve is None:
        reader.errors["approve"] = "请选择同意或不同意"
    req = tracking_pb2.DecideExtensionRequest(item_id=visible(item_id), extension_id=extension_id,
                                              approve=bool(approve), comment=reader.text("comment", 2000),
                                              actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "DecideExtension", req).assignment)


@bp.post("/items/<item_id>/reply")
@require("tracking.unit_act")
def file_reply(item_id: str) -> dict[str, Any]:
    data = body()
    reader = Reader(data)
    reader.unknown({"result", "root_cause", "measures", "attachments"})
    req = tracking_pb2.FileReplyRequest(
        item_id=visible(item_id), result=reader.text("result", 8000), root_cause=reader.text("root_cause", 4000),
        measures=reader.text("measures", 4000), attachments=attachments(data, reader), actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "FileReply", req, timeout=60).assignment)


@bp.post("/items/<item_id>/completion-report")
@require("tracking.completion")
def fill_completion(item_id: str) -> dict[str, Any]:
    reader = Reader(body())
    reader.unknown({"report_kind", "result_summary"})
    req = tracking_pb2.FillCompletionReportRequest(
        item_id=visible(item_id), report_kind=reader.text("report_kind", 20),
        result_summary=reader.text("result_summary", 8000), actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "FillCompletionReport", req).assignment)


@bp.post("/items/<item_id>/urges")
@require("tracking.urge")
def urge_unit(item_id: str) -> dict[str, Any]:
    reader = Reader(body())
    reader.unknown({"unit_id", "method", "text"})
    req = tracking_pb2.UrgeUnitRequest(item_id=visible(item_id), unit_id=reader.text("unit_id", 40),
                                       method=reader.text("method", 20), text=reader.text("text", 2000),
                                       actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "UrgeUnit", req).assignment)


@bp.post("/items/<item_id>/completion-report/signature")
@require("tracking.sign")
def sign_completion(item_id: str) -> dict[str, Any]:
    reader = Reader(body())
    reader.unknown({"approve", "opinion", "follow_up"})
    approve = reader.flag("approve")
    if approve is None:
        reader.errors["approve"] = "请选择同意销号或退回"
    req = tracking_pb2.SignCompletionReportRequest(item_id=visible(item_id), approve=bool(approve),
                                                   opinion=reader.text("opinion", 2000),
                                                   follow_up=reader.text("follow_up", 4000), actor=actor(g.user))
    reader.done()
    return to_json(write(tracking(), "SignCompletionReport", req, timeout=60).assignment)


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
