"""The OpenAPI description of /api/v1/inspection (实地督查), beside the views it describes
(services/gateway/api/inspection.py); services/gateway/openapi.py puts it into the document."""

from __future__ import annotations

from typing import Any

from libs.common.vocabulary import (
    CHECK_VERDICTS,
    FINDING_CATEGORIES,
    FINDING_SEVERITIES,
    PLAN_STATUSES,
    RECTIFICATION_MODES,
    RECTIFICATION_STATUSES,
    REPORT_KINDS,
)
from services.gateway.openapi_parts import (
    DATE_OR_EMPTY,
    IDEMPOTENCY_KEY,
    PAGE_TOKEN,
    PERSON,
    PERSON_REF,
    UNIT_REF,
    S,
    json_body,
    obj,
    ok,
    one_of,
    problem_responses,
    q,
    ref,
    text,
)

BOOL = {"type": "boolean"}
INT = {"type": "integer"}
WHEN = {"type": "string", "format": "date-time"}
ID = text(minLength=1)


def path_id(name: str, label: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": label}


PLAN_ID = path_id("plan_id", "督查方案 id")
FINDING_ID = path_id("finding_id", "问题 id")
ESCALATION_ID = path_id("escalation_id", "重大问题报告 id")
PHOTO_ID = path_id("photo_id", "照片 id（见 photos[].id）")
WORKING_DAYS = {"type": "integer", "minimum": 1, "maximum": 60, "description": "整改期限（工作日）；不填按默认期限"}
DUE_DATE = DATE_OR_EMPTY | {"description": "或指定整改期限（工作日，晚于今天）；不是工作日时 422，suggestions.due_date 为下一个工作日"}
PHOTO_FILES = {"type": "array", "maxItems": 9, "items": {"type": "string", "contentMediaType": "application/octet-stream"},
               "description": "照片（JPEG、PNG 或 HEIC，每个问题最多 9 张）；检查类型、大小、像素与完整性，去除定位信息后保存"}
PHOTOS_B64 = {"type": "array", "maxItems": 9, "description": "照片（JSON 时 base64；multipart 时用 photos 文件字段）",
              "items": {"type": "object", "additionalProperties": False, "required": ["data"],
                        "properties": {"filename": text(200), "data": {"type": "string", "contentEncoding": "base64"}}}}

PHOTO = {"type": "object", "properties": {
    "id": S, "filename": S, "content_type": S, "size": INT, "width": INT, "height": INT, "sha256": S,
    "taken_at": {"type": "string", "description": "相机记录的拍摄时间（EXIF，如有）"},
    "exif_position": {"type": "object", "description": "相机记录的位置（EXIF，如有；保存的照片已去除）"}}}
EVIDENCE = {"type": "object", "properties": {"text": S, "photos": {"type": "array", "items": PHOTO}}}
SCHEMAS: dict[str, Any] = {
    "Plan": {
        "type": "object", "required": ["id", "title", "kind", "status", "version"],
        "description": "督查工作方案：事项、督查单位与地点、督查组（含抽调人员）、问题线索、培训要点、变更记录",
        "properties": {
            "id": S, "plan_no": {"type": "string", "description": "批准时编号，如 督查方案〔2026〕1号"}, "title": S,
            "kind": {"enum": list(REPORT_KINDS)}, "status": {"enum": list(PLAN_STATUSES)}, "starts_on": S, "ends_on": S,
            "items": {"type": "array", "items": {"type": "object"}}, "stops": {"type": "array", "items": {"type": "object"}},
            "members": {"type": "array", "items": {"type": "object"}}, "leads": {"type": "array", "items": {"type": "object"}},
            "training": {"type": "array", "items": S}, "preparation": S, "drafted_by": PERSON, "approved_at": WHEN,
            "approved_by": PERSON, "changes": {"type": "array", "items": {"type": "object", "properties": {
                "at": WHEN, "by": PERSON, "reason": S, "summary": S}}},
            "version": INT, "findings": INT, "open_rectifications": INT, "visits": {"type": "array", "items": ref("Visit")}},
    },
    "PlanDraft": obj(
        "title", "kind", title=text(200, filled=True), kind=one_of(REPORT_KINDS), starts_on=DATE_OR_EMPTY,
        ends_on=DATE_OR_EMPTY | {"description": "不早于开始日期"},
        item_ids={"type": "array", "maxItems": 200, "items": text(40), "description": "督查事项 id（台账中的事项）"},
        stops={"type": "array", "maxItems": 200, "description": "督查单位（每个单位一次）", "items": obj(
            "unit_id", unit_id=UNIT_REF, place=text(200), scheduled_on=DATE_OR_EMPTY)},
        leader_id=PERSON_REF | {"description": "督查组组长（批准前必填）"},
        members={"type": "array", "maxItems": 200, "items": obj(
            "person_id", person_id=PERSON_REF, seconded_from_unit_id=UNIT_REF | {"description": "抽调人员的原单位"})},
        leads={"type": "array", "maxItems": 200, "items": obj(
            unit_id=text(40), item_id=text(40), text=text(2000, description="空的线索不保存"), source=text(100))},
        training={"type": "array", "maxItems": 30, "items": text(500), "description": "培训要点，督查组成员逐条确认"},
        preparation=text(4000)),
    "Visit": {"type": "object", "properties": {
        "id": S, "plan_id": S, "unit_id": S, "unit_name": S, "place": S, "visited_at": WHEN, "recorded_by": PERSON,
        "ledger_kept": BOOL, "ledger_current": BOOL, "ledger_note": S, "summary": S,
        "checks": {"type": "array", "items": {"type": "object", "properties": {
            "item_id": S, "item_no": S, "title": S, "process": {"enum": list(CHECK_VERDICTS)},
            "result": {"enum": list(CHECK_VERDICTS)}, "note": S}}}}},
    "Finding": {
        "type": "object", "required": ["id", "plan_id", "unit_id", "text", "category", "severity", "version"],
        "properties": {
            "id": S, "plan_id": S, "plan_title": S, "visit_id": S, "unit_id": S, "unit_name": S, "item_id": S,
            "item_no": S, "item_title": S, "text": S, "category": {"enum": list(FINDING_CATEGORIES)},
            "severity": {"enum": list(FINDING_SEVERITIES)}, "place": S,
            "position": {"type": "object", "description": "设备定位（WGS-84）", "properties": {
                "latitude": {"type": "number"}, "longitude": {"type": "number"}, "accuracy_m": {"type": "number"},
                "datum": S}},
            "device_time": WHEN, "recorded_at": WHEN, "recorded_by": PERSON, "photos": {"type": "array", "items": PHOTO},
            "rectification": {"type": "object", "description": "整改：方式、状态、各轮（下达、报送、回头看）、回头看未通过次数",
                              "properties": {"mode": {"enum": ["", *RECTIFICATION_MODES]},
                                             "status": {"enum": ["", *RECTIFICATION_STATUSES]},
                                             "rounds": {"type": "array", "items": {"type": "object", "properties": {
                                                 "number": INT, "due_date": S, "requirement": S, "report": EVIDENCE,
                                                 "verdict": {"enum": ["", "passed", "failed"]},
                                                 "verification": EVIDENCE, "overdue": BOOL}}},
                                             "relapses": INT, "on_spot": EVIDENCE}},
            "registered_item_id": S, "registered_item_no": S, "escalation_id": S, "version": INT},
    },
    "Escalation": {
        "type": "object", "required": ["id", "plan_id", "text", "recipients"],
        "properties": {"id": S, "plan_id": S, "finding_id": S, "item_id": S, "item_no": S, "unit_id": S, "unit_name": S,
                       "text": S, "raised_at": WHEN, "raised_by": PERSON, "acknowledged": BOOL,
                       "recipients": {"type": "array", "items": {"type": "object", "properties": {
                           "person": PERSON, "why": {"enum": ["responsible_leader", "office_head"]},
                           "acknowledged_at": WHEN}}}},
    },
}


def _responses(schema: str, *codes: int, code: str = "200") -> dict[str, Any]:
    return {**ok(ref(schema), code=code), **problem_responses(401, *codes, 503)}


def _act(summary: str, op_id: str, target: dict[str, Any], schema: str, body: dict[str, Any] | None,
         *codes: int, multipart: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "operationId": op_id, "parameters": [target, IDEMPOTENCY_KEY],
                                 "responses": _responses(schema, 403, 404, 409, 422, *codes)}
    if body is not None:
        content = {"application/json": {"schema": body}}
        if multipart:
            form = {**body, "properties": {**body["properties"], "photos": PHOTO_FILES}}
            content["multipart/form-data"] = {"schema": form}
        operation["requestBody"] = {"required": True, "content": content}
    return {"post": operation}


def _created(summary: str, op_id: str, schema: str, body: dict[str, Any], params: list[dict[str, Any]],
             description: str = "") -> dict[str, Any]:
    return {"summary": summary, "operationId": op_id, "description": description,
            "parameters": [*params, IDEMPOTENCY_KEY], "requestBody": body,
            "responses": {**ok(ref(schema), "已记录", "201"), **ok(ref(schema), "重复提交，返回原记录"),
                          **problem_responses(401, 403, 404, 409, 413, 422, 503)}}


FINDING_FORM = {
    "type": "object", "additionalProperties": False, "required": ["unit_id", "text", "category", "severity"],
    "properties": {
        "unit_id": UNIT_REF | {"description": "被督查单位（方案所列单位）"}, "item_id": text(40, description="涉及事项（该单位承办的事项）"),
        "visit_id": text(36, description="所属督查记录"), "text": text(4000, filled=True),
        "category": one_of(FINDING_CATEGORIES), "severity": one_of(FINDING_SEVERITIES), "place": text(200),
        "latitude": {"type": "number", "minimum": -90, "maximum": 90, "description": "设备定位纬度（WGS-84）；取不到可不填"},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180, "description": "经度，与纬度同时填写"},
        "accuracy": {"type": "number", "minimum": 0, "maximum": 1_000_000, "description": "定位精度（米）"},
        "device_time": text(40, description="设备时间，带时区的 ISO 8601（如 2026-11-26T09:30:00+08:00）"),
        "client_key": text(100, description="设备为这条问题生成的键：同一方案下同一键只记录一次（重复提交返回原问题，200）；"
                                            "同一键、不同内容返回 422（errors.client_key）"),
        "photos": PHOTO_FILES,
    },
}
EVIDENCE_FIELDS = {"text": text(4000), "photos": PHOTOS_B64}


def CLIENT_KEY(what: str) -> dict[str, Any]:  # noqa: N802 - reads like the other field schemas
    return text(100, description=f"设备为这条{what}生成的键（平板离线同步）：同一键只记录一次（重复提交返回原记录）；"
                                 "同一键、不同内容返回 422（errors.client_key）")


DEVICE_FIELDS: dict[str, Any] = {
    "id": INT, "name": S, "username": S, "display_name": S, "created_at": WHEN, "expires_at": WHEN,
    "last_sync_at": {"type": ["string", "null"], "format": "date-time", "description": "最近一次同步"},
    "pending": {"type": "integer", "description": "平板最近一次联网时报告的未同步记录数"},
    "revoked_at": {"type": ["string", "null"], "format": "date-time"}, "revoked_by": S}
DEVICE = {"type": "object", "required": ["id", "name", "created_at"], "properties": DEVICE_FIELDS}
LEDGER_ROW = {"type": "object", "properties": {
    "id": S, "item_no": S, "title": S, "content": S, "category": S, "status": S, "status_label": S,
    "units": {"type": "array", "items": {"type": "object"}}, "responsible_leader": S, "responsible_person": S,
    "assigned_on": S, "due_date": S, "supervision_status": S, "result": S, "extension_reason": S, "light": S,
    "light_reason": S}}
BUNDLE = {"type": "object", "required": ["plan", "units", "findings", "leads", "checklist", "photo_limits"], "properties": {
    "plan": ref("Plan"),
    "units": {"type": "array", "items": {"type": "object", "properties": {
        "unit_id": S, "unit_name": S, "place": S, "scheduled_on": S, "visit_id": S,
        "items": {"type": "array", "items": LEDGER_ROW, "description": "该单位承办事项的台账"},
        "leads": {"type": "array", "items": {"type": "object"}}}}},
    "findings": {"type": "array", "items": ref("Finding"), "description": "本方案的问题（含整改，供回头看）"},
    "leads": {"type": "array", "items": {"type": "object"}}, "checklist": {"type": "array", "items": S},
    "vocabulary": {"type": "object"}, "taken_at": WHEN, "inspector": {"type": "object"},
    "photo_limits": {"type": "object", "properties": {
        "max_photos": INT, "max_bytes": INT, "max_pixels": INT, "long_side": INT},
        "description": "平板在排队前把照片压缩到这些上限以内"}}}
DEVICE_ID = {"name": "device_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0,
                                                                              "maximum": 2**31 - 1}, "description": "平板设备 id"}

PATHS: dict[str, Any] = {
    "/api/v1/inspection/plans": {
        "get": {"summary": "督查工作方案列表（督查室、考核办：全部；督查组成员：所在方案；其他角色为空）", "operationId": "listPlans",
                "parameters": [q("status", one_of(["", *PLAN_STATUSES])),
                               q("page_size", {"type": "integer", "minimum": 1, "maximum": 200}), q("page_token", PAGE_TOKEN)],
                "responses": {**ok({"type": "object", "required": ["plans", "next_page_token"], "properties": {
                    "plans": {"type": "array", "items": ref("Plan")}, "next_page_token": S}}),
                    **problem_responses(401, 422, 503)}},
        "post": _created("拟定督查工作方案（督查室）", "createPlan", "Plan", json_body(ref("PlanDraft")), []),
    },
    "/api/v1/inspection/plans/{plan_id}": {
        "get": {"summary": "督查工作方案（含督查记录与变更记录）", "operationId": "getPlan", "parameters": [PLAN_ID],
                "responses": _responses("Plan", 404)},
        "patch": {"summary": "修改督查工作方案（整份方案；批准后须写明理由，记入变更记录）", "operationId": "updatePlan",
                  "parameters": [PLAN_ID, {"name": "If-Match", "in": "header", "required": False, "schema": S,
                                           "description": "方案版本（version）"}, IDEMPOTENCY_KEY],
                  "requestBody": json_body({**SCHEMAS["PlanDraft"], "properties": {
                      **SCHEMAS["PlanDraft"]["properties"], "reason": text(2000, description="批准后修改必填"),
                      "expected_version": {"type": "integer", "minimum": 0, "maximum": 1_000_000}}}),
                  "responses": _responses("Plan", 403, 404, 409, 422)},
    },
    "/api/v1/inspection/plans/{plan_id}/approval": _act(
        "批准督查工作方案（督查室主任），方案获得编号", "approvePlan", PLAN_ID, "Plan", obj(comment=text(2000))),
    "/api/v1/inspection/plans/{plan_id}/start": _act("方案开始实施（督查室）", "startPlan", PLAN_ID, "Plan", None),
    "/api/v1/inspection/plans/{plan_id}/finish": _act("方案办结（督查室）", "finishPlan", PLAN_ID, "Plan", None),
    "/api/v1/inspection/plans/{plan_id}/training-confirmation": _act(
        "培训确认（督查组成员本人）", "confirmTraining", PLAN_ID, "Plan", None),
    "/api/v1/inspection/plans/{plan_id}/visits": {"post": _created(
        "实地督查记录（督查组）：台账建立情况、核实事项办理过程与结果", "recordVisit", "Visit", json_body(obj(
            "unit_id", unit_id=UNIT_REF, place=text(200), visited_at=text(40, description="督查时间（ISO 8601 带时区）；不填为现在"),
            ledger_kept=BOOL, ledger_current=BOOL, ledger_note=text(2000), summary=text(4000),
            client_key=CLIENT_KEY("督查记录"),
            checks={"type": "array", "maxItems": 200, "items": obj(
                "item_id", "process", "result", item_id=text(40, filled=True), process=one_of(CHECK_VERDICTS),
                result=one_of(CHECK_VERDICTS), note=text(2000))})), [PLAN_ID])},
    "/api/v1/inspection/plans/{plan_id}/findings": {"post": _created(
        "记录督查发现的问题（督查组，平板现场提交）：照片、定位、设备时间", "recordFinding", "Finding",
        {"required": True, "content": {"multipart/form-data": {"schema": FINDING_FORM}}}, [PLAN_ID],
        "以 multipart/form-data 提交，照片为 photos 文件字段（可多个）。重大问题同时报告该事项责任领导与批准方案的督查室主任。"
        "照片有误（类型、大小、像素、损坏）时 422，errors.photos 说明是哪一张，不保存任何内容。")},
    "/api/v1/inspection/plans/{plan_id}/escalations": {"post": _created(
        "报告重大问题或特殊情况（督查组，不经问题记录）", "raiseEscalation", "Escalation", json_body(obj(
            "text", unit_id=text(40), item_id=text(40), text=text(4000, filled=True))), [PLAN_ID])},
    "/api/v1/inspection/plans/{plan_id}/bundle": {"get": {
        "summary": "带走今天的督查：方案、被督查单位及其台账、问题线索、培训要点、待回头看的问题（平板离线用）",
        "operationId": "fieldBundle", "parameters": [PLAN_ID],
        "description": "只有方案的督查组成员与督查室可取；其他人如同方案不存在（404）。平板以设备令牌（Bearer dbd_…）调用，"
                       "可带 X-Duban-Unsynced 头报告本机未同步的记录数。",
        "responses": {**ok(BUNDLE), **problem_responses(401, 403, 404, 503)}}},
    "/api/v1/inspection/findings": {"get": {
        "summary": "问题列表（督查室、考核办：全部；督查组：所在方案；承办单位：本单位；责任领导：所负责事项）",
        "operationId": "listFindings",
        "parameters": [q("plan_id", text(36)), q("unit_id", text(40)), q("item_id", text(40)),
                       q("rectification_status", one_of(["", "none", *RECTIFICATION_STATUSES]), "none：未下达整改"),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 200}), q("page_token", PAGE_TOKEN)],
        "responses": {**ok({"type": "object", "required": ["findings", "next_page_token", "total_size"], "properties": {
            "findings": {"type": "array", "items": ref("Finding")}, "next_page_token": S, "total_size": INT}}),
            **problem_responses(401, 422, 503)}}},
    "/api/v1/inspection/findings/{finding_id}": {"get": {
        "summary": "问题（照片、定位、整改情况）", "operationId": "getFinding", "parameters": [FINDING_ID],
        "responses": _responses("Finding", 404)}},
    "/api/v1/inspection/findings/{finding_id}/rectification": _act(
        "下达整改：立督立纠（当场整改，附情况或照片）或限时整改（工作日期限）", "orderRectification", FINDING_ID, "Finding",
        obj("mode", mode=one_of(RECTIFICATION_MODES), working_days=WORKING_DAYS, due_date=DUE_DATE,
            requirement=text(2000, description="限时整改必填"), evidence=text(4000, description="当场整改情况"),
            photos=PHOTOS_B64), 413, multipart=True),
    "/api/v1/inspection/findings/{finding_id}/rectification/report": _act(
        "报送整改情况（该问题的被督查单位）", "reportRectification", FINDING_ID, "Finding",
        obj("text", **{**EVIDENCE_FIELDS, "text": text(4000, filled=True)}), 413, multipart=True),
    "/api/v1/inspection/findings/{finding_id}/rectification/verification": _act(
        "回头看（督查组）：通过即已整改；未通过重新限期，计为边改边犯", "verifyRectification", FINDING_ID, "Finding",
        obj("passed", passed=BOOL, working_days=WORKING_DAYS, due_date=DUE_DATE, client_key=CLIENT_KEY("回头看"),
            **EVIDENCE_FIELDS), 413, multipart=True),
    "/api/v1/inspection/findings/{finding_id}/ledger-item": _act(
        "将问题登记为督查事项（督查室）；再次提交返回同一事项", "registerFindingAsItem", FINDING_ID, "Finding",
        obj(title=text(200), category=one_of(["", "general", "complex"]),
            responsible_leader_id=PERSON_REF | {"description": "责任领导；不填按所涉事项"})),
    "/api/v1/inspection/photos/{photo_id}": {"get": {
        "summary": "问题照片（去除定位信息后保存的照片）", "operationId": "getPhoto", "parameters": [PHOTO_ID],
        "responses": {"200": {"description": "照片（Content-Disposition: inline）", "content": {
            "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}},
            "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}},
            **problem_responses(401, 404, 503)}}},
    "/api/v1/inspection/photos/{photo_id}/thumbnail": {"get": {
        "summary": "照片缩略图（JPEG，长边不超过 320 像素）", "operationId": "getThumbnail", "parameters": [PHOTO_ID],
        "responses": {"200": {"description": "缩略图", "content": {
            "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}}},
            **problem_responses(401, 404, 503)}}},
    "/api/v1/inspection/escalations": {"get": {
        "summary": "重大问题报告（督查室、考核办：全部；领导与督查室主任：报送本人的；督查组：按 plan_id 所在方案的）",
        "operationId": "listEscalations",
        "parameters": [q("plan_id", text(36)), q("open_only", BOOL, "只看尚未全部阅知的")],
        "responses": {**ok({"type": "object", "required": ["escalations"], "properties": {
            "escalations": {"type": "array", "items": ref("Escalation")}}}), **problem_responses(401, 403, 404, 422, 503)}}},
    "/api/v1/inspection/escalations/{escalation_id}": {"get": {
        "summary": "重大问题报告（含各接收人阅知情况）", "operationId": "getEscalation", "parameters": [ESCALATION_ID],
        "responses": _responses("Escalation", 404)}},
    "/api/v1/inspection/escalations/{escalation_id}/acknowledgement": _act(
        "阅知重大问题报告（报送本人的领导或督查室主任）", "acknowledgeEscalation", ESCALATION_ID, "Escalation", None),
    "/api/v1/devices": {
        "get": {"summary": "平板设备（督查室：全部；督查组成员：本人绑定的），含最近同步时间", "operationId": "listDevices",
                "responses": {**ok({"type": "object", "required": ["devices"], "properties": {
                    "devices": {"type": "array", "items": DEVICE}}}), **problem_responses(401, 403)}},
        "post": {"summary": "绑定本平板（督查组成员，仅网页会话）：返回设备令牌，只此一次", "operationId": "bindDevice",
                 "description": "平板的现场督查页凭设备令牌同步，不受网页会话 12 小时的限制；督查室可随时撤销。"
                                "设备令牌只能调用现场督查的接口（方案列表、当天数据、督查记录、问题、回头看）。",
                 "requestBody": json_body(obj("name", name=text(100, filled=True))),
                 "responses": {**ok({**DEVICE, "properties": {**DEVICE_FIELDS, "token": S}}, "已绑定", "201"),
                               **problem_responses(401, 403, 422)}},
    },
    "/api/v1/devices/{device_id}": {"delete": {
        "summary": "撤销平板（督查室：任一台；督查组成员：本人的）：该平板不能再同步，其未同步的记录留在平板上",
        "operationId": "revokeDevice", "parameters": [DEVICE_ID],
        "responses": {"204": {"description": "已撤销"}, **problem_responses(401, 403, 404)}}},
}
