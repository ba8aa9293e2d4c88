"""Tracking's writes, each once: who may do it, the RPC, the fields it reads and how its request is built
from them. The API (a JSON body, or multipart with files) and the item page's forms both go through
`send`, so a field is checked the same way whichever of the two sent it; only where the answer goes
differs (JSON, or the page again)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, request

from duban.tracking.v1 import tracking_pb2
from services.gateway.calls import actor, tracking
from services.gateway.idempotency import write
from services.gateway.present import Reader


def attachments(source: Mapping[str, Any], reader: Reader) -> list[tracking_pb2.Attachment]:
    """JSON clients send files as {filename, content_type, data (base64)}; forms send multipart files."""
    result = []
    listed = source.get("attachments", [])
    if isinstance(listed, str) and not reader.typed:  # a form's empty file field arrives as text
        listed = []
    if not isinstance(listed, list):
        reader.errors["attachments"] = "应为附件列表"
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


def _lines(source: Mapping[str, Any], reader: Reader, name: str) -> list[str]:
    """A list of strings, or one text with a line each (a form's textarea)."""
    value = source.get(name, [])
    if isinstance(value, str) and not reader.typed:
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader.errors[name] = "应为字符串列表"
        return []
    return value


def _approve(reader: Reader, missing: str) -> bool:
    approve = reader.flag("approve")
    if approve is None:
        reader.errors["approve"] = missing
    return bool(approve)


Build = Callable[[str, Reader, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Write:
    permission: str
    method: str
    fields: frozenset[str]
    build: Build  # (item id, reader of the fields, the raw fields) -> the RPC's request, without actor
    timeout: float | None = None  # writes that store files or render documents take longer


def _write(permission: str, method: str, fields: str, build: Build, timeout: float | None = None) -> Write:
    return Write(permission, method, frozenset(fields.split()), build, timeout)


WRITES: dict[str, Write] = {
    "notice": _write("tracking.notice", "IssueNotice", "requirements contact_name contact_phone",
                     lambda item, r, s: tracking_pb2.IssueNoticeRequest(
                         item_id=item, requirements=_lines(s, r, "requirements"),
                         contact_name=r.text("contact_name", 50), contact_phone=r.text("contact_phone", 50)),
                     timeout=60),
    "acknowledge": _write("tracking.unit_act", "Acknowledge", "unit_id",
                          lambda item, r, s: tracking_pb2.AcknowledgeRequest(item_id=item, unit_id=r.text("unit_id", 40))),
    "report": _write("tracking.unit_act", "FileReport", "text unit_id expected_report_id attachments",
                     lambda item, r, s: tracking_pb2.FileReportRequest(
                         item_id=item, unit_id=r.text("unit_id", 40), text=r.text("text", 8000),
                         expected_report_id=r.text("expected_report_id", 36), attachments=attachments(s, r)),
                     timeout=60),
    "extension": _write("tracking.unit_act", "RequestExtension", "reason new_due_date progress",
                        lambda item, r, s: tracking_pb2.RequestExtensionRequest(
                            item_id=item, reason=r.text("reason", 2000), new_due_date=r.text("new_due_date", 10),
                            progress=r.text("progress", 4000))),
    "decision": _write("tracking.sign", "DecideExtension", "extension_id approve comment",
                       lambda item, r, s: tracking_pb2.DecideExtensionRequest(
                           item_id=item, extension_id=r.text("extension_id", 36),
                           approve=_approve(r, "请选择同意或不同意"), comment=r.text("comment", 2000))),
    "reply": _write("tracking.unit_act", "FileReply", "result root_cause measures attachments",
                    lambda item, r, s: tracking_pb2.FileReplyRequest(
                        item_id=item, result=r.text("result", 8000), root_cause=r.text("root_cause", 4000),
                        measures=r.text("measures", 4000), attachments=attachments(s, r)),
                    timeout=60),
    "completion": _write("tracking.completion", "FillCompletionReport", "report_kind result_summary confirm_unsigned",
                         lambda item, r, s: tracking_pb2.FillCompletionReportRequest(
                             item_id=item, report_kind=r.text("report_kind", 20),
                             result_summary=r.text("result_summary", 8000),
                             confirm_unsigned=bool(r.flag("confirm_unsigned")))),
    "urge": _write("tracking.urge", "UrgeUnit", "unit_id method text",
                   lambda item, r, s: tracking_pb2.UrgeUnitRequest(
                       item_id=item, unit_id=r.text("unit_id", 40), method=r.text("method", 20),
                       text=r.text("text", 2000))),
    "signature": _write("tracking.sign", "SignCompletionReport", "approve opinion follow_up",
                        lambda item, r, s: tracking_pb2.SignCompletionReportRequest(
                            item_id=item, approve=_approve(r, "请选择同意销号或退回"), opinion=r.text("opinion", 2000),
                            follow_up=r.text("follow_up", 4000)),
                        timeout=60),
}


def build(action: str, item_id: str, source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Any:
    """The request of `action` on `item_id` from `source` (a JSON object or a form), every field error
    at once (InvalidInput); `ignore` names fields the sender adds that are not the write's."""
    spec = WRITES[action]
    reader = Reader(source)
    reader.unknown(set(spec.fields | ignore))
    message = spec.build(item_id, reader, source)
    reader.done()
    message.actor.CopyFrom(actor(g.user))
    return message


def send(action: str, item_id: str, source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Any:
    """Build and send the write with this request's idempotency key; returns the RPC's response."""
    spec = WRITES[action]
    return write(tracking(), spec.method, build(action, item_id, source, ignore), timeout=spec.timeout)
