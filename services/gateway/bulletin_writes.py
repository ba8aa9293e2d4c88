"""Bulletin (通报) and 清零 writes, each once: who may do it, the RPC, the fields it reads and how its request
is built from them. The API (JSON) and the bulletin pages' forms both go through `send`, so a field is
checked the same way whichever sent it (services/gateway/inspection_writes.py is the same for inspection).

Scope first: a write on a bulletin the user may not see is answered as a missing one (404) before the
service is asked to do anything (services/gateway/bulletin_reads.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g

from duban.notification.v1 import notification_pb2
from libs.common import vocabulary
from services.gateway.calls import actor, notification
from services.gateway.idempotency import write
from services.gateway.inspection_writes import instant
from services.gateway.present import Reader

MAX_MENTIONS = 200
MAX_REQUIREMENTS = 200
MENTION_FIELDS = {"id": 60, "action": 10, "text": 2000, "kind": 20, "unit_id": 40}
REQUIREMENT_TEXTS = {"id": 20, "unit_id": 40, "text": 2000, "due_date": 10, "item_id": 40, "finding_id": 40,
                     "responsible_leader_id": 40}


def _entries(reader: Reader, name: str, most: int) -> list[dict[str, Any]]:
    value = reader.source.get(name, [])
    if value is None and not reader.typed:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        reader.errors[name] = "应为对象列表"
        return []
    if len(value) > most:
        reader.errors[name] = f"最多{most}条"
        return []
    return value


def _texts(reader: Reader, name: str, i: int, entry: Mapping[str, Any], fields: Mapping[str, int]) -> dict[str, str]:
    """The text fields of one entry of a list, each checked like a field of its own (`name[i].field`)."""
    row: dict[str, str] = {}
    for key, longest in fields.items():
        sub = Reader(entry)
        sub.typed = reader.typed
        row[key] = sub.text(key, longest)
        for field, message in sub.errors.items():
            reader.errors[f"{name}[{i}].{field}"] = message
    return row


def mentions(reader: Reader) -> list[notification_pb2.MentionEdit]:
    """通报表扬 / 通报批评 as the office decides them: keep, edit (new text), strike, or add (kind, unit, text)."""
    result = []
    for i, entry in enumerate(_entries(reader, "mentions", MAX_MENTIONS)):
        for key in entry:
            if key not in MENTION_FIELDS:
                reader.errors[f"mentions[{i}].{key}"] = "未知字段"
        row = _texts(reader, "mentions", i, entry, MENTION_FIELDS)
        if row["action"] not in vocabulary.MENTION_ACTIONS:
            reader.errors[f"mentions[{i}].action"] = "应为 " + "、".join(vocabulary.MENTION_ACTIONS) + " 之一"
        elif row["action"] == "add" and row["kind"] not in vocabulary.MENTION_KINDS:
            reader.errors[f"mentions[{i}].kind"] = "增加时应为 commendation（通报表扬）或 criticism（通报批评）"
        elif row["action"] != "add" and not row["id"]:
            reader.errors[f"mentions[{i}].id"] = "请指明是哪一条建议"
        result.append(notification_pb2.MentionEdit(**row))
    return result


def requirements(reader: Reader) -> list[notification_pb2.Requirement]:
    """限时整改的问题: what, which unit, by when (a date or working days from publication)."""
    result = []
    for i, entry in enumerate(_entries(reader, "requirements", MAX_REQUIREMENTS)):
        for key in entry:
            if key not in REQUIREMENT_TEXTS and key != "working_days":
                reader.errors[f"requirements[{i}].{key}"] = "未知字段"
        row = _texts(reader, "requirements", i, entry, REQUIREMENT_TEXTS)
        sub = Reader(entry)
        sub.typed = reader.typed
        days = 0 if not reader.typed and entry.get("working_days") in ("", None) else sub.integer(
            "working_days", 0, 0, 1000)
        for field, message in sub.errors.items():
            reader.errors[f"requirements[{i}].{field}"] = message
        result.append(notification_pb2.Requirement(working_days=days, **row))
    return result


def _edit(bulletin: str, r: Reader, s: Mapping[str, Any]) -> notification_pb2.EditBulletinRequest:
    replace = r.flag("replace_requirements")
    listed = requirements(r)
    return notification_pb2.EditBulletinRequest(
        bulletin_id=bulletin, title=r.text("title", 200), opening=r.text("opening", 20000),
        closing=r.text("closing", 20000), mentions=mentions(r),
        # Sending requirements means "these are the list"; replace_requirements with none empties it.
        replace_requirements=bool(replace) or (replace is None and "requirements" in s), requirements=listed,
        clear_texts=bool(r.flag("clear_texts")), expected_version=r.integer("expected_version", 0, 0, 1_000_000))


def _generate(_: str, r: Reader, s: Mapping[str, Any]) -> notification_pb2.GenerateBulletinRequest:
    kind = r.text("kind", 20)
    if kind and kind not in vocabulary.BULLETIN_KINDS or kind == "clearance":
        r.errors["kind"] = "应为 quarterly（季度）、semiannual（半年）、monthly（月度）或 special（专项）；清零报告见 /api/v1/clearances"
    message = notification_pb2.GenerateBulletinRequest(
        kind=kind, period=r.text("period", 20), starts_on=r.text("starts_on", 10), ends_on=r.text("ends_on", 10),
        title=r.text("title", 200), scope_unit_id=r.text("scope_unit_id", 40),
        corrects_bulletin_id=r.text("corrects_bulletin_id", 40))
    as_of = instant(r, "as_of")
    if as_of is not None:
        message.as_of.CopyFrom(as_of)
    return message


def _clearance(_: str, r: Reader, s: Mapping[str, Any]) -> notification_pb2.GenerateClearanceRequest:
    message = notification_pb2.GenerateClearanceRequest(year=r.integer("year", 0, 2000, 2999))
    if "year" not in s:
        r.errors["year"] = "请填写年度"
    as_of = instant(r, "as_of")
    if as_of is not None:
        message.as_of.CopyFrom(as_of)
    return message


def _approve(bulletin: str, r: Reader, s: Mapping[str, Any]) -> notification_pb2.ApproveBulletinRequest:
    message = notification_pb2.ApproveBulletinRequest(
        bulletin_id=bulletin, docx_sha256=r.text("docx_sha256", 64), pdf_sha256=r.text("pdf_sha256", 64),
        comment=r.text("comment", 2000))
    for field in ("docx_sha256", "pdf_sha256"):
        if field not in r.errors and not getattr(message, field):
            r.errors[field] = "请提供所审阅文件的 SHA-256（批准只对审阅过的文件有效）"
    return message


Build = Callable[[str, Reader, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Write:
    permission: str
    method: str
    target: str  # what the path names: "" (nothing) or "bulletin"
    fields: frozenset[str]
    build: Build  # (target id, reader of the fields, the raw fields) -> the RPC's request, without actor
    timeout: float | None = None


def _write(permission: str, method: str, target: str, fields: str, build: Build, timeout: float | None = None) -> Write:
    return Write(permission, method, target, frozenset(fields.split()), build, timeout)


# Submitting renders the DOCX and the PDF (LibreOffice); publishing registers each problem in the ledger.
RENDER_TIMEOUT = 120.0
WRITES: dict[str, Write] = {
    "generate": _write("bulletins.draft", "GenerateBulletin", "",
                       "kind period starts_on ends_on title scope_unit_id as_of corrects_bulletin_id", _generate, 60.0),
    "edit": _write("bulletins.draft", "EditBulletin", "bulletin",
                   "title opening closing mentions replace_requirements requirements clear_texts expected_version",
                   _edit),
    "submit": _write("bulletins.draft", "SubmitBulletin", "bulletin", "",
                     lambda b, r, s: notification_pb2.BulletinActRequest(bulletin_id=b), RENDER_TIMEOUT),
    "approve": _write("bulletins.approve", "ApproveBulletin", "bulletin", "docx_sha256 pdf_sha256 comment", _approve),
    "return": _write("bulletins.approve", "ReturnBulletin", "bulletin", "comment",
                     lambda b, r, s: notification_pb2.ReturnBulletinRequest(bulletin_id=b, comment=r.text("comment", 2000))),
    "publish": _write("bulletins.publish", "PublishBulletin", "bulletin", "",
                      lambda b, r, s: notification_pb2.BulletinActRequest(bulletin_id=b), RENDER_TIMEOUT),
    "clearance": _write("bulletins.draft", "GenerateClearance", "", "year as_of", _clearance, 60.0),
    "receipt": _write("bulletins.receipt", "RecordClearanceReceipt", "bulletin", "receipt_no filed_on note",
                      lambda b, r, s: notification_pb2.RecordClearanceReceiptRequest(
                          bulletin_id=b, receipt_no=r.text("receipt_no", 100), filed_on=r.text("filed_on", 10),
                          note=r.text("note", 2000))),
}


def build(action: str, target: str, source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Any:
    """The request of `action` on `target` from `source` (a JSON object or a form), every field error at
    once (InvalidInput); `ignore` names fields the sender adds that are not the write's."""
    spec = WRITES[action]
    reader = Reader(source)
    reader.unknown(set(spec.fields | ignore))
    message = spec.build(target, reader, source)
    reader.done()
    message.actor.CopyFrom(actor(g.user))
    return message


def send(action: str, target: str, source: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Any:
    """Build and send the write with this request's idempotency key; returns the RPC's BulletinResponse.
    The caller has made sure the user may see `target` (bulletin_reads.check_target)."""
    spec = WRITES[action]
    return write(notification(), spec.method, build(action, target, source, ignore), timeout=spec.timeout)
