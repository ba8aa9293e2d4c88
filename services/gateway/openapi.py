"""The OpenAPI 3.1 description of /api/v1, served at /api/openapi.json and rendered at /api/docs.

Written by hand next to the views it describes; tests run schemathesis against it, so a drift between
this document and the real behaviour fails the build.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from libs.common.vocabulary import (
    CATEGORIES,
    IMPORT_MODES,
    IMPORT_OUTCOMES,
    IMPORT_PHASES,
    IMPORT_STATES,
    SOURCES,
    STATUSES,
)

bp = Blueprint("openapi", __name__)

S = {"type": "string"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "examples": ["2026-11-26"]}
DATE_OR_EMPTY = {"type": "string", "pattern": r"^(\d{4}-\d{2}-\d{2})?$", "description": "YYYY-MM-DD；空值表示不限"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_responses(*codes: int) -> dict[str, Any]:
    text = {400: "请求格式错误", 401: "未登录或令牌无效", 403: "无权限", 404: "不存在或不在本单位范围内",
            409: "版本冲突或状态不允许；或同一 Idempotency-Key 的请求仍在处理中（Retry-After 秒后重试）",
            413: "文件过大",
            422: "字段错误（errors 列出各字段）；或 Idempotency-Key 已用于内容不同的请求（errors.idempotency_key）",
            429: "登录尝试过多", 503: "后端服务不可用"}
    return {str(c): {"description": text[c], "content": {"application/problem+json": {"schema": ref("Problem")}}}
            for c in codes}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def ok(schema: dict[str, Any], description: str = "成功", code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {"application/json": {"schema": schema}}}}


def q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# Every POST/PATCH that writes through a service takes it; the services keep the keys.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 128},
    "description": "幂等键（最长 128 个可打印 ASCII 字符，如 UUID）。同一用户以同一键重复提交相同内容只执行一次，"
                   "返回第一次的结果（响应头 Idempotent-Replayed: true）；同一键、不同内容返回 422；第一次仍在处理中返回 409。"
                   "键按用户与操作区分，保留 24 小时（DUBAN_IDEMPOTENCY_RETENTION_HOURS）。",
}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
           "description": "事项 id 或立项编号"}
FILTERS = [
    q("unit_id", S, "承办单位（主办或协办）"),
    q("source", {"type": "string", "enum": [""] + list(SOURCES)}),
    q("category", {"type": "string", "enum": ["", *CATEGORIES]}),
    q("key_tracking", {"type": "boolean"}),
    q("status", {"type": "string", "enum": ["", *STATUSES]}),
    q("due_from", DATE_OR_EMPTY),
    q("due_to", DATE_OR_EMPTY),
    q("q", {"type": "string", "maxLength": 100}, "编号、名称或内容中的文字"),
    q("light", {"type": "string", "enum": ["", "green", "yellow", "red"]}),
]
PERSON = {"type": "object", "properties": {"id": S, "name": S, "unit_id": S, "unit_name": S}}
ITEM_UNIT = {"type": "object", "properties": {"unit_id": S, "unit_name": S, "role": {"enum": ["lead", "co"]}, "duty": S}}
CO_UNIT = {"type": "object", "properties": {"unit_id": S, "duty": S}, "required": ["unit_id"]}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["title", "status"],
        "properties": {"type": S, "title": S, "status": {"type": "integer"}, "detail": S,
                       "errors": {"type": "object", "additionalProperties": S}},
    },
    "Item": {
        "type": "object",
        "required": ["id", "item_no", "title", "source", "category", "due_date", "status", "light", "version"],
        "properties": {
            "id": S, "item_no": S, "title": S, "content": S, "source": {"enum": list(SOURCES)},
            "category": {"enum": list(CATEGORIES)}, "key_tracking": {"type": "boolean"},
            "units": {"type": "array", "items": ITEM_UNIT}, "responsible_leader": PERSON,
            "responsible_person": PERSON, "supervisor": PERSON, "registered_on": S, "assigned_on": S,
            "due_date": S, "due_date_reason": S, "due_date_provisional": {"type": "boolean"},
            "status": {"enum": list(STATUSES)}, "supervision_status": S, "result": S, "closure_signature": S,
            "extension_reason": S, "extension_signature": S, "remarks": S, "version": {"type": "integer"},
            "created_at": S, "updated_at": S, "legacy_no": S, "follow_up_of": S, "follow_up_of_no": S,
            "light": {"enum": ["green", "yellow", "red"]},
            "light_reason": S, "working_days_left": {"type": "integer"},
        },
    },
    "ItemPage": {
        "type": "object",
        "required": ["items", "next_page_token"],
        "properties": {"items": {"type": "array", "items": ref("Item")}, "next_page_token": S,
                       "total_size": {"type": "integer"}},
    },
    "RegisterItem": {
        "type": "object",
        "required": ["title", "source", "category", "lead_unit_id"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 200}, "content": {"type": "string", "maxLength": 4000},
            "source": {"enum": list(SOURCES)}, "category": {"enum": list(CATEGORIES)},
            "key_tracking": {"type": "boolean"}, "lead_unit_id": S, "lead_duty": S,
            "co_units": {"type": "array", "items": CO_UNIT}, "responsible_leader_id": S,
            "responsible_person_id": S, "supervisor_id": S, "registered_on": DATE, "due_date": DATE,
            "due_date_reason": S, "remarks": S,
        },
    },
    "ItemPatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": S, "content": S, "source": {"enum": list(SOURCES)}, "category": {"enum": list(CATEGORIES)},
            "key_tracking": {"type": "boolean"}, "lead_unit_id": S, "co_units": {"type": "array", "items": CO_UNIT},
            "responsible_leader_id": S, "responsible_person_id": S, "supervisor_id": S, "due_date": DATE,
            "supervision_status": S, "remarks": S, "expected_version": {"type": "integer", "minimum": 0},
            "reason": {"type": "string", "description": "修改完成时限时必填"},
        },
    },
    "Change": {"type": "object", "properties": {"at": S, "actor": {"type": "object"}, "field": S, "old_value": S,
                                                "new_value": S, "reason": S}},
    "Unit": {"type": "object", "properties": {"id": S, "name": S, "kind": S, "active": {"type": "boolean"}}},
    "Person": {"type": "object", "properties": {"id": S, "name": S, "unit_id": S, "role": S, "title": S,
                                                "active": {"type": "boolean"}}},
    "ImportJob": {
        "type": "object",
        "description": "导入任务：上传后由台账服务在后台逐行检查、写入；status 说明进度，结束后说明确切写入了什么",
        "required": ["id", "state", "mode"],
        "properties": {
            "id": S, "filename": S,
            "mode": {"enum": list(IMPORT_MODES), "description": "validate 仅检查不写入；all_or_nothing 有错误行则全部不写入；"
                                                               "good_rows 只写入正确的行"},
            "state": {"enum": list(IMPORT_STATES)},
            "phase": {"enum": ["", *IMPORT_PHASES], "description": "运行中所处阶段：读取、检查、写入"},
            "done": {"type": "integer", "description": "本阶段已处理行数"},
            "phase_total": {"type": "integer", "description": "本阶段总行数（读取阶段为 0：尚不知道）"},
            "rows": {"type": "integer", "description": "文件中的数据行数"},
            "passed": {"type": "integer", "description": "通过检查的行数（将写入或已写入）"},
            "created": {"type": "integer", "description": "已写入的事项数（与事项在同一事务中计数，确切）"},
            "duplicates": {"type": "integer", "description": "已在台账中（或文件中重复）而跳过的行数"},
            "error_rows": {"type": "integer", "description": "被拒绝的行数"},
            "committed": {"type": "boolean", "description": "是否写入了事项（created > 0）"},
            "outcome": {"enum": ["", *IMPORT_OUTCOMES],
                        "description": "结束时：validated 已检查（未写入）；imported 已写入；rejected 有错误行，全部未写入"},
            "failure": {"type": "string", "description": "失败原因（超出限制、文件损坏、多次中断）"},
            "errors": {"type": "array", "description": "每个被拒绝的行的问题（仅单个任务的状态中）", "items": {
                "type": "object", "properties": {"row": {"type": "integer"}, "field": S, "message": S}}},
            "item_nos": {"type": "array", "items": S, "description": "已写入事项的立项编号（仅单个任务的状态中）"},
            "started_by": S, "started_by_id": S, "attempts": {"type": "integer"}, "size": {"type": "integer"},
            "created_at": S, "finished_at": S, "expires_at": {"type": "string", "description": "结果保留至此时"},
        },
    },
    "Assignment": {
        "type": "object",
        "description": "督办跟踪：交办、签收、应报进展、转期、回复、办结报告单、灯及其时间线",
        "required": ["item_id", "status", "due_date", "original_due_date", "light"],
        "properties": {
            "item_id": S, "item_no": S, "title": S, "status": {"enum": list(STATUSES)},
            "notice_due_on": S, "notice_no": S, "due_date": S, "original_due_date": S,
            "light": {"enum": ["green", "yellow", "red"]}, "light_reason": S,
            "units": {"type": "array", "items": {"type": "object"}},
            "expected_reports": {"type": "array", "items": {"type": "object"}},
            "reports": {"type": "array", "items": {"type": "object"}},
            "extensions": {"type": "array", "items": {"type": "object"}},
            "reply": {"type": "object"}, "completion": {"type": "object"},
            "office_urges": {"type": "array", "items": {"type": "object"}},
            "timeline": {"type": "array", "items": {"type": "object", "properties": {"day": S, "text": S}}},
            "needs_failure_analysis": {"type": "boolean"}, "version": {"type": "integer"},
        },
    },
    "ItemLight": {
        "type": "object", "required": ["item_id", "item_no", "due_date", "light", "light_reason"],
        "properties": {"item_id": S, "item_no": S, "title": S, "status": {"enum": list(STATUSES)},
                       "due_date": DATE, "lead_unit_id": S, "lead_unit_name": S,
                       "light": {"enum": ["green", "yellow", "red"]}, "light_reason": S,
                       "missed_reports": {"type": "integer", "minimum": 0}},
    },
    "LightBoardRow": {
        "type": "object", "required": ["unit_id", "unit_name", "red", "yellow", "green"],
        "properties": {"unit_id": S, "unit_name": S, "red": {"type": "integer", "minimum": 0},
                       "yellow": {"type": "integer", "minimum": 0}, "green": {"type": "integer", "minimum": 0}},
    },
    "UploadedFile": {"type": "object", "required": ["filename", "data"],
                     "properties": {"filename": S, "content_type": S, "data": {"type": "string", "contentEncoding": "base64"}}},
    "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": S, "display_name": S,
                                              "role": S, "unit_id": S, "person_id": S,
                                              "extra_roles": {"type": "array", "items": S},
                                              "active": {"type": "boolean"}, "last_login_at": {}}},
}

AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]


def tracking_act(summary: str, op_id: str, body: dict[str, Any] | None, *params: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "operationId": op_id, "parameters": [ITEM_ID, *params, IDEMPOTENCY_KEY],
        "responses": {**ok(ref("Assignment")), **problem_responses(401, 403, 404, 409, 422, 503)},
    }
    if body is not None:
        operation["requestBody"] = json_body(body)
    return {"post": operation}


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}


TRACKING_PATHS: dict[str, Any] = {
    "/api/v1/items/{item_id}/tracking": {"get": {
        "summary": "督办跟踪情况（含灯与时间线）", "operationId": "getTracking", "parameters": [ITEM_ID],
        "responses": {**ok(ref("Assignment")), **problem_responses(401, 404, 503)}}},
    "/api/v1/items/{item_id}/notice": tracking_act(
        "发出督办通知（督查室）", "issueNotice",
        obj("contact_name", requirements={"type": "array", "items": S}, contact_name=S, contact_phone=S)),
    "/api/v1/items/{item_id}/acknowledgements": tracking_act("签收督办通知", "acknowledge", None),
    "/api/v1/items/{item_id}/urges": tracking_act(
        "催办：电话督办或书面督办（督查室），记入事项", "urgeUnit",
        obj("unit_id", "method", "text", unit_id=S, method={"enum": ["phone", "written"]}, text=S)),
    "/api/v1/items/{item_id}/reports": tracking_act(
        "报送进展", "fileReport",
        obj("text", text=S, unit_id=S, expected_report_id=S, attachments={"type": "array", "items": ref("UploadedFile")})),
    "/api/v1/items/{item_id}/extensions": tracking_act(
        "申请转期（牵头单位，须在完成时限前）", "requestExtension",
        obj("reason", "new_due_date", reason=S, new_due_date=DATE, progress=S)),
    "/api/v1/items/{item_id}/extensions/{extension_id}/decision": tracking_act(
        "转期签字（该事项责任领导）", "decideExtension", obj("approve", approve={"type": "boolean"}, comment=S),
        {"name": "extension_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}),
    "/api/v1/items/{item_id}/reply": tracking_act(
        "书面回复办理结果（逾期须附问题根源与整改措施）", "fileReply",
        obj("result", result=S, root_cause=S, measures=S, attachments={"type": "array", "items": ref("UploadedFile")})),
    "/api/v1/items/{item_id}/completion-report": tracking_act(
        "填写督查事项办结报告单（督查室）", "fillCompletionReport",
        obj("report_kind", report_kind={"enum": ["special", "comprehensive"]}, result_summary=S)),
    "/api/v1/items/{item_id}/completion-report/signature": tracking_act(
        "办结报告单签字销号或退回（该事项责任领导）；follow_up：新的批示，随销号登记为续办事项", "signCompletionReport",
        obj("approve", approve={"type": "boolean"}, opinion=S, follow_up=S)),
    "/api/v1/items/{item_id}/documents/{kind}": {"get": {
        "summary": "下载督办通知、办结报告单、档案或附件", "operationId": "getDocument",
        "parameters": [ITEM_ID, {"name": "kind", "in": "path", "required": True,
                                 "schema": {"enum": ["notice", "completion_report", "dossier", "attachment"]}},
                       q("attachment_id", S)],
        "responses": {"200": {"description": "文件", "content": {"application/octet-stream": {
            "schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
            **problem_responses(401, 404, 422, 503)}}},
    "/api/v1/tracking": {"get": {
        "summary": "督办工作清单（本单位/本人范围）", "operationId": "listTracking",
        "parameters": [q("view", {"enum": ["", "notices_due", "overdue", "unacknowledged", "urged_today"]}),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 500}), q("page_token", S)],
        "responses": {**ok({"type": "object", "properties": {
            "assignments": {"type": "array", "items": ref("Assignment")}, "next_page_token": S,
            "total_size": {"type": "integer"}}}), **problem_responses(401, 422, 503)}}},
    "/api/v1/tracking/lights": {"get": {
        "summary": "红黄绿灯：未办结事项的灯与原因（本单位/本人范围，最急在前）", "operationId": "listLights",
        "parameters": [q("light", {"enum": ["", "red", "yellow", "green"]}), q("lead_unit_id", S),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 5000}), q("page_token", S)],
        "responses": {**ok({"type": "object", "required": ["items", "next_page_token", "total_size", "today"],
                            "properties": {"items": {"type": "array", "items": ref("ItemLight")},
                                           "next_page_token": S, "total_size": {"type": "integer"},
                                           "today": DATE}}), **problem_responses(401, 422, 503)}}},
    "/api/v1/tracking/lights/board": {"get": {
        "summary": "红黄绿灯看板：各牵头单位的红灯、黄灯、绿灯数", "operationId": "lightBoard",
        "responses": {**ok({"type": "object", "required": ["rows", "total", "today"],
                            "properties": {"rows": {"type": "array", "items": ref("LightBoardRow")},
                                           "total": ref("LightBoardRow"), "today": DATE}}),
                      **problem_responses(401, 422, 503)}}},
    "/api/v1/leader/queue": {"get": {
        "summary": "待我签批（转期、销号）", "operationId": "leaderQueue",
        "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 503)}}},
    "/api/v1/tracking/sweeps": {"post": {
        "summary": "立即运行逾期与催办检查（管理员；平时由定时任务运行）", "operationId": "runSweeps",
        "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 503)}}},
}


def with_field_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a path parameter, a query parameter or a body may answer 422: text is
    refused at the field when it holds control characters or lone surrogates (libs/common/text.py)."""
    for path, operations in paths.items():
        for operation in operations.values():
            if "{" in path or operation.get("parameters") or operation.get("requestBody"):
                operation["responses"].setdefault("422", problem_responses(422)["422"])
    return paths


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "duban 督查督办 API", "version": "1.0.0",
                 "description": "“710”督查事项台账。所有接口需登录（Bearer 令牌或网页会话）；"
                                "承办单位只能看到本单位主办或协办的事项。错误为 application/problem+json。"},
        "servers": [{"url": "/"}],
        "security": AUTH,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token 获取"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "网页会话；修改类请求须带 X-CSRF-Token"},
            },
        },
        "paths": with_field_errors({
            "/api/v1/auth/token": {
                "post": {"summary": "用户名密码换取 Bearer 令牌", "security": [], "operationId": "createToken",
                         "requestBody": json_body({"type": "object", "required": ["username", "password"],
                                                   "properties": {"username": S, "password": S, "name": S}}),
                         "responses": {**ok({"type": "object", "properties": {"token": S, "token_type": S,
                                                                              "expires_at": S}}, "令牌", "201"),
                                       **problem_responses(401, 422, 429)}},
                "delete": {"summary": "撤销当前令牌", "operationId": "revokeToken",
                           "responses": {"204": {"description": "已撤销"}, **problem_responses(400, 401)}},
            },
            "/api/v1/me": {"get": {"summary": "当前用户", "operationId": "me",
                                   "responses": {**ok({"type": "object"}), **problem_responses(401)}}},
            "/api/v1/items": {
                "get": {"summary": "台账列表（键集分页）", "operationId": "listItems",
                        "parameters": FILTERS + [q("page_size", {"type": "integer", "minimum": 1, "maximum": 500}),
                                                 q("page_token", S), q("include_total", {"type": "boolean"})],
                        "responses": {**ok(ref("ItemPage")), **problem_responses(401, 422, 503)}},
                "post": {"summary": "立项登记", "operationId": "registerItem",
                         "parameters": [IDEMPOTENCY_KEY],
                         "requestBody": json_body(ref("RegisterItem")),
                         "responses": {**ok(ref("Item"), "已登记", "201"), **ok(ref("Item"), "重复提交，返回原事项"),
                                       **problem_responses(401, 403, 409, 422, 503)}},
            },
            "/api/v1/items/{item_id}": {
                "get": {"summary": "事项详情", "operationId": "getItem", "parameters": [ITEM_ID],
                        "responses": {**ok(ref("Item")), **problem_responses(401, 404, 503)}},
                "patch": {"summary": "修改事项（留痕）", "operationId": "updateItem",
                          "parameters": [ITEM_ID, {"name": "If-Match", "in": "header", "required": False,
                                                   "schema": S, "description": "事项版本（ETag）"}, IDEMPOTENCY_KEY],
                          "requestBody": json_body(ref("ItemPatch")),
                          "responses": {**ok(ref("Item")), **problem_responses(401, 403, 404, 409, 422, 503)}},
            },
            "/api/v1/items/{item_id}/history": {
                "get": {"summary": "修改记录", "operationId": "itemHistory", "parameters": [ITEM_ID],
                        "responses": {**ok({"type": "object", "properties": {
                            "changes": {"type": "array", "items": ref("Change")}}}), **problem_responses(401, 404)}},
            },
            "/api/v1/units": {"get": {"summary": "单位目录", "operationId": "listUnits", "responses": {
                **ok({"type": "object", "properties": {"units": {"type": "array", "items": ref("Unit")}}}),
                **problem_responses(401)}}},
            "/api/v1/people": {"get": {"summary": "人员目录", "operationId": "listPeople",
                                       "parameters": [q("unit_id", S), q("role", S)], "responses": {
                **ok({"type": "object", "properties": {"people": {"type": "array", "items": ref("Person")}}}),
                **problem_responses(401)}}},
            "/api/v1/ledger/export": {
                "get": {"summary": "导出台账 XLSX", "operationId": "exportLedger",
                        "parameters": [q("form", {"type": "string", "enum": ["ledger_710", "unit_ledger", "full"]})]
                        + FILTERS,
                        "responses": {"200": {"description": "XLSX 文件", "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
                            **problem_responses(401, 422, 503)}},
            },
            "/api/v1/ledger/import": {
                "post": {"summary": "导入 XLSX 台账（后台任务）", "operationId": "importLedger",
                         "description": "文件在上传时检查大小、解压后大小与行数上限；通过后排入导入任务并立即返回 202，"
                                        "Location 为任务状态地址（GET 轮询，直到 state 为 finished 或 failed）。",
                         "parameters": [IDEMPOTENCY_KEY],
                         "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                             "type": "object", "required": ["file"],
                             "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"},
                                            "mode": {"enum": list(IMPORT_MODES)}}}}}},
                         "responses": {"202": {"description": "已排入导入任务（同一 Idempotency-Key 重复提交返回同一任务）",
                                               "headers": {"Location": {"description": "任务状态地址",
                                                                        "schema": S, "required": True}},
                                               "content": {"application/json": {"schema": ref("ImportJob")}}},
                                       **problem_responses(401, 403, 409, 413, 422, 503)}},
            },
            "/api/v1/ledger/imports": {
                "get": {"summary": "最近的导入任务", "operationId": "listImports",
                        "parameters": [q("page_size", {"type": "integer", "minimum": 1, "maximum": 100})],
                        "responses": {**ok({"type": "object", "properties": {
                            "jobs": {"type": "array", "items": ref("ImportJob")}}}),
                            **problem_responses(401, 403, 422, 503)}},
            },
            "/api/v1/ledger/imports/{job_id}": {
                "get": {"summary": "导入任务状态与结果", "operationId": "getImport",
                        "parameters": [{"name": "job_id", "in": "path", "required": True,
                                        "schema": {"type": "string", "minLength": 1}}],
                        "responses": {**ok(ref("ImportJob")), **problem_responses(401, 403, 404, 422, 503)}},
            },
            "/api/v1/users": {
                "get": {"summary": "用户列表（管理员）", "operationId": "listUsers", "responses": {
                    **ok({"type": "object", "properties": {"users": {"type": "array", "items": ref("User")}}}),
                    **problem_responses(401, 403)}},
                "post": {"summary": "新建用户（管理员）", "operationId": "createUser",
                         "requestBody": json_body({"type": "object", "required": ["username", "display_name",
                                                                                   "password", "role"],
                                                   "properties": {"username": S, "display_name": S, "password": S,
                                                                  "role": S, "unit_id": S, "person_id": S,
                                                                  "extra_roles": {"type": "array", "items": S}}}),
                         "responses": {**ok(ref("User"), "已创建", "201"), **problem_responses(401, 403, 409, 422)}},
            },
            "/api/v1/audit": {"get": {"summary": "审计日志（管理员）", "operationId": "listAudit",
                                      "parameters": [q("before_id", {"type": "integer", "minimum": 0}),
                                                     q("page_size", {"type": "integer", "minimum": 1, "maximum": 500})],
                                      "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 422)}}},
            **TRACKING_PATHS,
        }),
    }


@bp.get("/api/openapi.json")
def openapi_json() -> dict[str, Any]:
    return spec()


@bp.get("/api/docs")
def openapi_page() -> str:
    return render_template("api/docs.html", spec=spec())
