"""Inspection's writes, each once: who may do it, the RPC, the fields it reads and how its request is built
from them. The API (JSON, or multipart with photos) and the inspection pages' forms both go through
`send`, so a field is checked the same way whichever sent it (services/gateway/tracking_writes.py is the
same for tracking).

Scope first: a write on a plan or a finding the user may not see is answered as a missing one (404),
before the service is asked to do anything - the service itself would refuse an inspector who is not on
the plan with 403, and that would tell them the plan exists.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, request
from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.inspection.v1 import inspection_pb2
from services.gateway.calls import actor, inspection
from services.gateway.idempotency import write
from services.gateway.present import Reader

MAX_PHOTOS = 9  # the service's own limit (services/inspection/domain.py); more are refused there too


def photos(source: Mapping[str, Any], reader: Reader, name: str = "photos") -> list[inspection_pb2.Photo]:
    """JSON clients send photos as [{filename, data (base64)}]; forms send multipart files named `name`."""
    result = []
    listed = source.get(name, [])
    if isinstance(listed, str) and not reader.typed:  # a form's empty file field arrives as text
        listed = []
    if not isinstance(listed, list):
        reader.errors[name] = "应为照片列表"
        listed = []
    for i, entry in enumerate(listed):
        if not isinstance(entry, dict):
            reader.errors[f"{name}[{i}]"] = "应为 {filename, data} 对象"
            continue
        try:
            data = base64.b64decode(str(entry.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            reader.errors[f"{name}[{i}].data"] = "应为 base64 编码"
            continue
        result.append(inspection_pb2.Photo(filename=str(entry.get("filename", ""))[:200], data=data))
    for upload in request.files.getlist(name):
        if upload.filename:
            result.append(inspection_pb2.Photo(filename=upload.filename[:200], data=upload.read()))
    return result


def _number(reader: Reader, name: str, low: float, high: float) -> float | None:
    """A decimal (a form's text, or a JSON number); None when left out or empty."""
    value = reader.source.get(name)
    if value is None or (value == "" and not reader.typed):
        return None
    if reader.typed and (isinstance(value, bool) or not isinstance(value, int | float)):
        reader.errors[name] = "应为数字"
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        reader.errors[name] = "应为数字"
        return None
    if not math.isfinite(number) or not low <= number <= high:
        reader.errors[name] = f"应在 {low:g} 到 {high:g} 之间"
        return None
    return number


def instant(reader: Reader, name: str) -> Timestamp | None:
    """An ISO 8601 instant with its offset (the tablet's clock: `new Date().toISOString()`)."""
    text = reader.text(name, 40).strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        reader.errors[name] = "应为带时区的时间，如 2026-11-26T09:30:00+08:00"
        return None
    if when.tzinfo is None:
        reader.errors[name] = "应为带时区的时间，如 2026-11-26T09:30:00+08:00"
        return None
    stamp = Timestamp()
    stamp.FromDatetime(when.astimezone(dt.UTC))
    return stamp


def _strings(reader: Reader, name: str, max_len: int, max_items: int = 200) -> list[str]:
    """A list of strings, or one text with a line each (a form's textarea), or a form's repeated field."""
    value = reader.source.get(name, [])
    if isinstance(value, str) and not reader.typed:
        value = [line.strip() for line in value.splitlines() if line.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader.errors[name] = "应为字符串列表"
        return []
    if len(value) > max_items or any(len(v) > max_len for v in value):
        reader.errors[name] = f"最多{max_items}条，每条不超过{max_len}字"
        return []
    return value


def _objects(reader: Reader, name: str, fields: dict[str, int]) -> list[dict[str, str]]:
    """A list of objects of text fields (`fields`: name -> longest), each checked."""
    value = reader.source.get(name, [])
    if value is None and not reader.typed:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        reader.errors[name] = "应为对象列表"
        return []
    result = []
    for i, entry in enumerate(value):
        row: dict[str, str] = {}
        for key in entry:
            if key not in fields:
                reader.errors[f"{name}[{i}].{key}"] = "未知字段"
        for key, longest in fields.items():
            text = entry.get(key, "")
            if not isinstance(text, str):
                reader.errors[f"{name}[{i}].{key}"] = "应为字符串"
            elif len(text) > longest:
                reader.errors[f"{name}[{i}].{key}"] = f"不能超过{longest}字"
            else:
                row[key] = text
        result.append(row)
    return result


def _working_days(reader: Reader) -> int:
    """A deadline in working days; a form's empty field (or none) is 0: the service's default."""
    if not reader.typed and reader.source.get("working_days") == "":
        return 0
    return reader.integer("working_days", 0, 0, 1000)


def _bool(reader: Reader, name: str, missing: str = "") -> bool:
    value = reader.flag(name)
    if value is None and missing:
        reader.errors[name] = missing
    return bool(value)


DRAFT_FIELDS = "title kind starts_on ends_on item_ids stops leader_id members leads training preparation"


def draft(reader: Reader) -> inspection_pb2.PlanDraft:
    """督查工作方案 as the office writes it (CreatePlan and UpdatePlan take the whole draft)."""
    return inspection_pb2.PlanDraft(
        title=reader.text("title", 200), kind=reader.text("kind", 20), starts_on=reader.text("starts_on", 10),
        ends_on=reader.text("ends_on", 10), item_ids=_strings(reader, "item_ids", 40),
        stops=[inspection_pb2.PlanStop(unit_id=s.get("unit_id", ""), place=s.get("place", ""),
                                       scheduled_on=s.get("scheduled_on", ""))
               for s in _objects(reader, "stops", {"unit_id": 40, "place": 200, "scheduled_on": 10})],
        leader_id=reader.text("leader_id", 40),
        members=[inspection_pb2.PlanMember(person=common_pb2.PersonSnapshot(id=m.get("person_id", "")),
                                           seconded_from_unit_id=m.get("seconded_from_unit_id", ""))
                 for m in _objects(reader, "members", {"person_id": 40, "seconded_from_unit_id": 40})],
        leads=[inspection_pb2.Lead(unit_id=x.get("unit_id", ""), item_id=x.get("item_id", ""), text=x.get("text", ""),
                                   source=x.get("source", ""))
               for x in _objects(reader, "leads", {"unit_id": 40, "item_id": 40, "text": 2000, "source": 100})],
        training=_strings(reader, "training", 500, 30), preparation=reader.text("preparation", 4000))


def _evidence(reader: Reader, source: Mapping[str, Any], text_field: str = "text") -> inspection_pb2.Evidence:
    return inspection_pb2.Evidence(text=reader.text(text_field, 4000), photos=photos(source, reader))


def _position(reader: Reader) -> inspection_pb2.GeoPosition | None:
    latitude = _number(reader, "latitude", -90, 90)
    longitude = _number(reader, "longitude", -180, 180)
    accuracy = _number(reader, "accuracy", 0, 1_000_000)
    if latitude is None and longitude is None:
        return None  # no fix: a finding is recorded without a position, never held back for one
    if latitude is None or longitude is None:
        reader.errors["latitude" if latitude is None else "longitude"] = "经度和纬度须同时填写"
        return None
    return inspection_pb2.GeoPosition(latitude=latitude, longitude=longitude, accuracy_m=accuracy or 0.0,
                                      datum="WGS-84")


def _finding(target: str, r: Reader, s: Mapping[str, Any]) -> inspection_pb2.RecordFindingRequest:
    message = inspection_pb2.RecordFindingRequest(
        plan_id=target, visit_id=r.text("visit_id", 36), unit_id=r.text("unit_id", 40), item_id=r.text("item_id", 40),
        text=r.text("text", 4000), category=r.text("category", 40), severity=r.text("severity", 20),
        place=r.text("place", 200), client_key=r.text("client_key", 100), photos=photos(s, r))
    position = _position(r)
    if position is not None:
        message.position.CopyFrom(position)
    device_time = instant(r, "device_time")
    if device_time is not None:
        message.device_time.CopyFrom(device_time)
    return message


def _visit(target: str, r: Reader, s: Mapping[str, Any]) -> inspection_pb2.RecordVisitRequest:
    message = inspection_pb2.RecordVisitRequest(
        plan_id=target, unit_id=r.text("unit_id", 40), place=r.text("place", 200),
        ledger_kept=bool(r.flag("ledger_kept")), ledger_current=bool(r.flag("ledger_current")),
        ledger_note=r.text("ledger_note", 2000), summary=r.text("summary", 4000), client_key=r.text("client_key", 100),
        checks=[inspection_pb2.ItemCheck(item_id=c.get("item_id", ""), process=c.get("process", ""),
                                         result=c.get("result", ""), note=c.get("note", ""))
                for c in _objects(r, "checks", {"item_id": 40, "process": 20, "result": 20, "note": 2000})])
    visited_at = instant(r, "visited_at")
    if visited_at is not None:
        message.visited_at.CopyFrom(visited_at)
    return message


Build = Callable[[str, Reader, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Write:
    permission: str
    method: str
    target: str  # what the path names: "" (nothing), "plan", "finding" or "escalation"
    fields: frozenset[str]
    build: Build  # (target id, reader of the fields, the raw fields) -> the RPC's request, without actor
    timeout: float | None = None  # writes that check and store photos take longer


def _write(permission: str, method: str, target: str, fields: str, build: Build, timeout: float | None = None) -> Write:
    return Write(permission, method, target, frozenset(fields.split()), build, timeout)


PHOTO_TIMEOUT = 60.0
WRITES: dict[str, Write] = {
    "plan": _write("inspection.plan", "CreatePlan", "", DRAFT_FIELDS,
                   lambda _, r, s: inspection_pb2.CreatePlanRequest(draft=draft(r))),
    "plan_update": _write("inspection.plan", "UpdatePlan", "plan", DRAFT_FIELDS + " reason expected_version",
                          lambda plan, r, s: inspection_pb2.UpdatePlanRequest(
                              plan_id=plan, draft=draft(r), reason=r.text("reason", 2000),
                              expected_version=r.integer("expected_version", 0, 0, 1_000_000))),
    "approval": _write("inspection.approve", "ApprovePlan", "plan", "comment",
                       lambda plan, r, s: inspection_pb2.ApprovePlanRequest(plan_id=plan, comment=r.text("comment", 2000))),
    "start": _write("inspection.plan", "StartPlan", "plan", "",
                    lambda plan, r, s: inspection_pb2.PlanActRequest(plan_id=plan)),
    "finish": _write("inspection.plan", "FinishPlan", "plan", "",
                     lambda plan, r, s: inspection_pb2.PlanActRequest(plan_id=plan)),
    "training": _write("inspection.read", "ConfirmTraining", "plan", "",
                       lambda plan, r, s: inspection_pb2.PlanActRequest(plan_id=plan)),
    "visit": _write("inspection.inspect", "RecordVisit", "plan",
                    "unit_id place visited_at ledger_kept ledger_current ledger_note checks summary client_key", _visit),
    "finding": _write("inspection.inspect", "RecordFinding", "plan",
                      "visit_id unit_id item_id text category severity place latitude longitude accuracy device_time "
                      "client_key photos", _finding, PHOTO_TIMEOUT),
    "escalation": _write("inspection.inspect", "RaiseEscalation", "plan", "unit_id item_id text",
                         lambda plan, r, s: inspection_pb2.RaiseEscalationRequest(
                             plan_id=plan, unit_id=r.text("unit_id", 40), item_id=r.text("item_id", 40),
                             text=r.text("text", 4000))),
    "order": _write("inspection.inspect", "OrderRectification", "finding",
                    "mode working_days due_date requirement evidence photos",
                    lambda finding, r, s: inspection_pb2.OrderRectificationRequest(
                        finding_id=finding, mode=r.text("mode", 20),
                        working_days=_working_days(r), due_date=r.text("due_date", 10),
                        requirement=r.text("requirement", 2000), on_spot=_evidence(r, s, "evidence")),
                    PHOTO_TIMEOUT),
    "report": _write("inspection.rectify", "ReportRectification", "finding", "text photos",
                     lambda finding, r, s: inspection_pb2.ReportRectificationRequest(
                         finding_id=finding, report=_evidence(r, s)), PHOTO_TIMEOUT),
    "verification": _write("inspection.inspect", "VerifyRectification", "finding",
                           "passed text photos working_days due_date client_key",
                           lambda finding, r, s: inspection_pb2.VerifyRectificationRequest(
                               finding_id=finding, passed=_bool(r, "passed", "请选择回头看是否通过"),
                               verification=_evidence(r, s), working_days=_working_days(r),
                               due_date=r.text("due_date", 10), client_key=r.text("client_key", 100)), PHOTO_TIMEOUT),
    "ledger_item": _write("inspection.register_item", "RegisterFindingAsItem", "finding",
                          "title category responsible_leader_id",
                          lambda finding, r, s: inspection_pb2.RegisterFindingAsItemRequest(
                              finding_id=finding, title=r.text("title", 200), category=r.text("category", 20),
                              responsible_leader_id=r.text("responsible_leader_id", 40)), 30.0),
    "acknowledgement": _write("inspection.acknowledge", "AcknowledgeEscalation", "escalation", "",
                              lambda escalation, r, s: inspection_pb2.AcknowledgeEscalationRequest(
                                  escalation_id=escalation)),
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
    """Build and send the write with this request's idempotency key; returns the RPC's response. The
    caller has made sure the user may see `target` (services/gateway/inspection_reads.py)."""
    spec = WRITES[action]
    return write(inspection(), spec.method, build(action, target, source, ignore), timeout=spec.timeout)
