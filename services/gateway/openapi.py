"""The OpenAPI 3.1 description of /api/v1, served at /api/openapi.json and rendered at /api/docs.

Written by hand next to the views it describes; tests run schemathesis against it, so a drift between
this document and the real behaviour fails the build.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from libs.common.permissions import ROLE_LABELS
from libs.common.vocabulary import (
    CATEGORIES,
    IMPORT_MODES,
    IMPORT_OUTCOMES,
    IMPORT_PHASES,
    IMPORT_STATES,
    PERSON_ROLES,
    REPORT_KINDS,
    SOURCES,
    STATUSES,
    UNIT_KINDS,
    URGE_METHODS,
)
from services.gateway.accounts import MIN_PASSWORD, NAME_MAX
from services.gateway.openapi_bulletins import PATHS as BULLETIN_PATHS
from services.gateway.openapi_bulletins import SCHEMAS as BULLETIN_SCHEMAS
from services.gateway.openapi_evaluation import PATHS as EVALUATION_PATHS
from services.gateway.openapi_evaluation import SCHEMAS as EVALUATION_SCHEMAS
from services.gateway.openapi_inspection import PATHS as INSPECTION_PATHS
from services.gateway.openapi_inspection import SCHEMAS as INSPECTION_SCHEMAS
from services.gateway.openapi_messages import PATHS as MESSAGE_PATHS
from services.gateway.openapi_messages import SCHEMAS as MESSAGE_SCHEMAS
from services.gateway.openapi_parts import (
    A_DATE,
    BASE64_NOT_EMPTY,
    CO_UNIT,
    DATE,
    DATE_OR_EMPTY,
    DOCX,
    FILTERS,
    IDEMPOTENCY_KEY,
    ITEM_ID,
    ITEM_UNIT,
    PAGE_TOKEN,
    PERSON,
    PERSON_REF,
    PROVISIONAL,
    TODO_KINDS,
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

bp = Blueprint("openapi", __name__)

ASSESSMENT_YEAR: dict[str, Any] = {"type": "integer", "examples": [2026]}
FROZEN_YEAR = ("考核办已确认（冻结）的年度不能登记进去，事项也不能改入或改出该年度：409，errors.assessment_year 说明原因；"
               "不在 2000 至 2100 之间：422")

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["title", "status"],
        "properties": {"type": S, "title": S, "status": {"type": "integer"}, "detail": S,
                       "errors": {"type": "object", "additionalProperties": S},
                       "suggestions": {"type": "object", "additionalProperties": A_DATE,
                                       "description": "被拒绝字段的建议值（字段名 → 值），与 errors 中同名字段对应："
                                                      "手工完成时限不是工作日时为下一个工作日（YYYY-MM-DD）"}},
    },
    "Item": {
        "type": "object",
        "required": ["id", "item_no", "title", "source", "category", "due_date", "status", "light", "version"],
        "properties": {
            "id": S, "item_no": S, "title": S, "content": S, "source": {"enum": list(SOURCES)},
            "category": {"enum": list(CATEGORIES)}, "key_tracking": {"type": "boolean"},
            "units": {"type": "array", "items": ITEM_UNIT}, "responsible_leader": PERSON,
            "responsible_person": PERSON, "supervisor": PERSON, "registered_on": S, "assigned_on": S,
            "due_date": S, "due_date_reason": S, "due_date_provisional": PROVISIONAL,
            "status": {"enum": list(STATUSES)}, "supervision_status": S, "result": S, "closure_signature": S,
            "extension_reason": S, "extension_signature": S, "remarks": S, "version": {"type": "integer"},
            "created_at": S, "updated_at": S, "legacy_no": S, "follow_up_of": S, "follow_up_of_no": S, "origin_finding_id": S,
            "origin_bulletin_id": S,
            "assessment_year": {"type": "integer", "description": "考核年度：事项计入考核的年度，默认为立项时间的年度"},
            "light": {"enum": ["green", "yellow", "red", ""], "description": "红黄绿灯；已办结事项为空（无灯）"},
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
            "title": text(200, filled=True), "content": text(4000),
            "source": one_of(SOURCES), "category": one_of(CATEGORIES),
            "key_tracking": {"type": "boolean"}, "lead_unit_id": UNIT_REF, "lead_duty": text(4000),
            "co_units": {"type": "array", "items": CO_UNIT},
            "responsible_leader_id": PERSON_REF | {"description": "责任领导（人员目录中角色为 leader 的人员 id）", "examples": ["ld-li"]},
            "responsible_person_id": PERSON_REF, "supervisor_id": PERSON_REF,
            "registered_on": DATE_OR_EMPTY | {"description": "立项时间；空值为今天；晚于今天返回 422（errors.registered_on）"},
            "due_date": DATE_OR_EMPTY | {"description": "手工指定完成时限（空值：按类别计算）；须同时填写 due_date_reason，"
                                                        "不早于立项时间，且须为工作日：否则 422，errors.due_date 说明原因，"
                                                        "suggestions.due_date 为下一个工作日"},
            "due_date_reason": text(500), "remarks": text(4000),
            "assessment_year": ASSESSMENT_YEAR | {"anyOf": [{"const": 0}, {"minimum": 2000, "maximum": 2100}],
                                                  "description": "考核年度；0 或不填为立项时间的年度。" + FROZEN_YEAR},
        },
        # A deadline given by hand needs its reason.
        "if": {"required": ["due_date"], "properties": {"due_date": {"minLength": 1}}},
        "then": {"required": ["due_date_reason"], "properties": {"due_date_reason": text(500, filled=True)}},
    },
    "ItemPatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": text(200, filled=True), "content": text(4000), "source": one_of(SOURCES),
            "category": one_of(CATEGORIES), "key_tracking": {"type": "boolean"}, "lead_unit_id": UNIT_REF,
            "co_units": {"type": "array", "items": CO_UNIT}, "responsible_leader_id": PERSON_REF,
            "responsible_person_id": PERSON_REF, "supervisor_id": PERSON_REF,
            "due_date": DATE | {"description": "须同时填写 reason，不早于立项时间，且须为工作日（否则 422，"
                                                "suggestions.due_date 为下一个工作日）"},
            "supervision_status": text(4000), "remarks": text(4000),
            "assessment_year": ASSESSMENT_YEAR | {"minimum": 2000, "maximum": 2100,
                                                  "description": "考核年度（可同时填写 reason，记入修改记录）。" + FROZEN_YEAR},
            "expected_version": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
            "reason": text(500, description="修改完成时限时必填"),
        },
    },
    "Change": {"type": "object", "properties": {"at": S, "actor": {"type": "object"}, "field": S, "old_value": S,
                                                "new_value": S, "reason": S}},
    "Unit": {"type": "object", "properties": {"id": S, "name": S, "kind": S, "active": {"type": "boolean"},
                                              "head_person_id": S}},
    "Person": {"type": "object", "properties": {"id": S, "name": S, "unit_id": S, "role": S, "title": S,
                                                "active": {"type": "boolean"}, "mobile": S, "email": S,
                                                "wecom_user_id": S, "dingtalk_user_id": S}},
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
            "due_date_provisional": PROVISIONAL,
            "notice_revisions": {"type": "array", "description": "督办通知的修订（国务院公布节假日安排后暂定完成时限的调整），先早后晚",
                                 "items": {"type": "object", "properties": {
                                     "at": {"type": "string", "format": "date-time"}, "old_due_date": A_DATE,
                                     "new_due_date": A_DATE, "reason": S,
                                     "calendar_years": {"type": "array", "items": {"type": "integer"}}}}},
            "light": {"enum": ["green", "yellow", "red", ""], "description": "红黄绿灯；已办结事项为空（无灯）"}, "light_reason": S,
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
                       "due_date": A_DATE, "due_date_provisional": PROVISIONAL, "lead_unit_id": S,
                       "lead_unit_name": S, "light": {"enum": ["green", "yellow", "red"]}, "light_reason": S,
                       "missed_reports": {"type": "integer", "minimum": 0}},
    },
    "LightBoardRow": {
        "type": "object", "required": ["unit_id", "unit_name", "red", "yellow", "green"],
        "properties": {"unit_id": S, "unit_name": S, "red": {"type": "integer", "minimum": 0},
                       "yellow": {"type": "integer", "minimum": 0}, "green": {"type": "integer", "minimum": 0}},
    },
    "TodoEntry": {
        "type": "object", "description": "一项待办：最急的在前（已逾期、期限早、等待久）",
        "required": ["kind", "kind_label", "item_id", "item_no", "title", "due_on", "late", "summary", "page"],
        "properties": {
            "kind": {"enum": list(TODO_KINDS)}, "kind_label": S, "item_id": S, "item_no": S, "title": S,
            "unit_id": S, "unit_name": S,
            "due_on": {"type": "string", "description": "期限 YYYY-MM-DD；空值表示没有期限"},
            "due_at": {"type": "string", "description": "精确时限（如签收：交办后 4 个工作小时）"},
            "late": {"type": "boolean"}, "since": {"type": "string", "description": "开始等待的时间（交办、提交申请）"},
            "waited_working_days": {"type": "integer", "minimum": 0},
            "asked_by": PERSON | {"description": "谁提出（申请人、提请人）及其单位"},
            "ref_id": {"type": "string", "description": "所指对象的 id（应报进展、转期申请等）"},
            "summary": S, "details": {"type": "array", "items": {"type": "object", "properties": {"label": S, "text": S}}},
            "page": {"type": "string", "description": "网页中办理的位置"},
            "act": {"type": ["object", "null"], "description": "办理接口；null 表示仅供查看",
                    "properties": {"method": S, "path": S}},
        },
    },
    "UploadedFile": {"type": "object", "required": ["data"],
                     "properties": {"filename": text(description="文件名；超过 200 字的部分不保留"),
                                    "content_type": text(description="内容类型，下载时原样返回；超过 100 字的部分不保留"),
                                    "data": {"type": "string", "contentEncoding": "base64", "pattern": BASE64_NOT_EMPTY,
                                             "description": "文件内容（base64，不能为空）"}}},
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


def directory_id(name: str, label: str) -> dict[str, Any]:
    """A unit's or person's code, as the ledger's directory takes it (services/ledger/directory.py)."""
    return {"name": name, "in": "path", "required": True, "description": f"{label}：1-40位字母、数字、- 或 _",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"}}




# The downloads, each with the media type it is answered with; an attachment keeps the type it was sent with.
DOCUMENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("notice", "下载督办通知（DOCX）", {DOCX: {}}),
    ("completion_report", "下载督查事项办结报告单（DOCX）", {DOCX: {}}),
    ("dossier", "下载档案（ZIP：全部文书、汇报、附件、manifest.json 与 SHA256SUMS）", {"application/zip": {}}),
    ("attachment", "下载附件（上传时的内容类型）", {"*/*": {}}),
]


def document(kind: str, summary: str, media: dict[str, Any]) -> dict[str, Any]:
    parameters = [ITEM_ID]
    if kind == "attachment":
        parameters.append({"name": "attachment_id", "in": "query", "required": True, "schema": text(36),
                           "description": "附件 id（见 reports[].attachments、reply.attachments）"})
    content = {kind_: {"schema": {"type": "string", "contentMediaType": kind_ if kind_ != "*/*" else "application/octet-stream"}}
               for kind_ in media}
    return {"get": {
        "summary": summary, "operationId": "getDocument" + "".join(w.title() for w in kind.split("_")),
        "parameters": parameters,
        "responses": {"200": {"description": "文件（Content-Disposition: attachment，文件名 UTF-8）", "content": content},
                      **problem_responses(401, 404, 422, 503)}}}


TRACKING_PATHS: dict[str, Any] = {
    "/api/v1/items/{item_id}/tracking": {"get": {
        "summary": "督办跟踪情况（含灯与时间线）", "operationId": "getTracking", "parameters": [ITEM_ID],
        "responses": {**ok(ref("Assignment")), **problem_responses(401, 404, 503)}}},
    "/api/v1/items/{item_id}/notice": tracking_act(
        "发出督办通知（督查室）", "issueNotice",
        obj("contact_name", requirements={"type": "array", "maxItems": 20, "items": text(500)},
            contact_name=text(50, filled=True), contact_phone=text(50))),
    "/api/v1/items/{item_id}/acknowledgements": tracking_act("签收督办通知", "acknowledge", None),
    "/api/v1/items/{item_id}/urges": tracking_act(
        "催办：电话督办或书面督办（督查室），记入事项", "urgeUnit",
        obj("unit_id", "method", "text", unit_id=text(40, description="该事项的承办单位；其他单位返回 422"),
            method=one_of(URGE_METHODS), text=text(2000, filled=True))),
    "/api/v1/items/{item_id}/reports": tracking_act(
        "报送进展", "fileReport",
        obj("text", text=text(8000, filled=True), unit_id=text(40, description="该事项的承办单位；其他单位返回 422"),
            expected_report_id=text(36, description="待报送的一期汇报的 id；其他值返回 422"),
            attachments={"type": "array", "items": ref("UploadedFile")})),
    "/api/v1/items/{item_id}/extensions": tracking_act(
        "申请转期（牵头单位，须在完成时限前）", "requestExtension",
        obj("reason", "new_due_date", reason=text(2000, filled=True),
            new_due_date=DATE | {"description": "须晚于现完成时限"}, progress=text(4000))),
    "/api/v1/items/{item_id}/extensions/{extension_id}/decision": tracking_act(
        "转期签字（该事项责任领导）", "decideExtension", obj("approve", approve={"type": "boolean"}, comment=text(2000)),
        {"name": "extension_id", "in": "path", "required": True, "schema": text(minLength=1)}),
    "/api/v1/items/{item_id}/reply": tracking_act(
        "书面回复办理结果（逾期须附问题根源与整改措施）", "fileReply",
        obj("result", result=text(8000, filled=True),
            root_cause=text(4000, description="已超过完成时限时必填"), measures=text(4000, description="已超过完成时限时必填"),
            attachments={"type": "array", "items": ref("UploadedFile")})),
    "/api/v1/items/{item_id}/completion-report": tracking_act(
        "填写督查事项办结报告单（督查室）", "fillCompletionReport",
        obj("report_kind", report_kind=one_of(REPORT_KINDS), result_summary=text(8000),
            confirm_unsigned={"type": "boolean", "description": (
                "有承办单位未签收督办通知时须为 true：确认仍要办结；否则 409，errors.confirm_unsigned 列出这些单位")})),
    "/api/v1/items/{item_id}/completion-report/signature": tracking_act(
        "办结报告单签字销号或退回（该事项责任领导）；follow_up：新的批示，随销号登记为续办事项", "signCompletionReport",
        obj("approve", approve={"type": "boolean"}, opinion=text(2000, description="退回时必填"),
            follow_up=text(4000, description="新的批示；只能随同意销号一起提交"))),
    **{f"/api/v1/items/{{item_id}}/documents/{kind}": document(kind, summary, media)
       for kind, summary, media in DOCUMENTS},
    "/api/v1/tracking": {"get": {
        "summary": "督办工作清单（本单位/本人范围）", "operationId": "listTracking",
        "parameters": [q("view", one_of(["", "notices_due", "overdue", "unacknowledged", "urged_today"])),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 500}), q("page_token", PAGE_TOKEN)],
        "responses": {**ok({"type": "object", "properties": {
            "assignments": {"type": "array", "items": ref("Assignment")}, "next_page_token": S,
            "total_size": {"type": "integer"}}}), **problem_responses(401, 422, 503)}}},
    "/api/v1/tracking/lights": {"get": {
        "summary": "红黄绿灯：未办结事项的灯与原因（本单位/本人范围，最急在前）", "operationId": "listLights",
        "parameters": [q("light", one_of(["", "red", "yellow", "green"])), q("lead_unit_id", text(40)),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 5000}), q("page_token", PAGE_TOKEN)],
        "responses": {**ok({"type": "object", "required": ["items", "next_page_token", "total_size", "today"],
                            "properties": {"items": {"type": "array", "items": ref("ItemLight")},
                                           "next_page_token": S, "total_size": {"type": "integer"},
                                           "today": A_DATE}}), **problem_responses(401, 422, 503)}}},
    "/api/v1/tracking/lights/board": {"get": {
        "summary": "红黄绿灯看板：各牵头单位的红灯、黄灯、绿灯数", "operationId": "lightBoard",
        "responses": {**ok({"type": "object", "required": ["rows", "total", "today"],
                            "properties": {"rows": {"type": "array", "items": ref("LightBoardRow")},
                                           "total": ref("LightBoardRow"), "today": A_DATE}}),
                      **problem_responses(401, 422, 503)}}},
    "/api/v1/todo": {"get": {
        "summary": "我的待办（承办单位：待签收、应报与逾期进展、待回复、待审批转期）与待我签批（责任领导：转期申请、办结报告单）",
        "operationId": "myTodo",
        "description": "当前用户本人的待办，与网页“我的待办”“待我签批”及导航中的数字相同；每项给出办理页面（page）"
                       "与办理接口（act）。督查室等没有待办的角色返回 403。",
        "parameters": [q("kind", one_of(["", *TODO_KINDS]), "只看这一类（不是本人角色的类型则为空）")],
        "responses": {**ok({"type": "object", "required": ["today", "total", "counts", "entries"], "properties": {
            "today": A_DATE, "total": {"type": "integer", "minimum": 0},
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                       "description": "本人各类待办的数目（没有的为 0）"},
            "entries": {"type": "array", "items": ref("TodoEntry")}}}), **problem_responses(401, 403, 422, 503)}}},
    "/api/v1/leader/queue": {"get": {
        "summary": "待我签批（转期、销号）", "operationId": "leaderQueue",
        "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 503)}}},
    "/api/v1/tracking/sweeps": {"post": {
        "summary": "立即运行逾期与催办检查（管理员；平时由定时任务运行）", "operationId": "runSweeps",
        "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 503)}}},
}


def user_body(new: bool) -> dict[str, Any]:
    """An account as the administrator sends it: a new one, or a change of any of its fields. A unit
    staff account needs its unit_id and a leader's its person_id (422 otherwise: on a change it depends
    on what the account already has)."""
    fields: dict[str, Any] = {
        "display_name": text(NAME_MAX, filled=True), "password": text(200, minLength=MIN_PASSWORD),
        "role": one_of(ROLE_LABELS), "unit_id": text(40, description="role 为 unit_staff 时必填"),
        "person_id": text(40, description="role 为 leader 时必填"),
        "extra_roles": {"type": "array", "items": one_of(ROLE_LABELS), "description": "兼任的其他角色"},
    }
    if new:
        return obj("username", "display_name", "password", "role", username=text(60, filled=True), **fields)
    return obj(active={"type": "boolean", "description": "false：停用"}, **fields)


def with_field_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a path parameter, a query parameter or a body may answer 422: text is
    refused at the field when it holds control characters or lone surrogates (libs/common/text.py).
    Every one may answer 414: a request line longer than gunicorn takes never reaches the app."""
    for path, operations in paths.items():
        for operation in operations.values():
            if "{" in path or operation.get("parameters") or operation.get("requestBody"):
                operation["responses"].setdefault("422", problem_responses(422)["422"])
            operation["responses"].setdefault("414", problem_responses(414)["414"])
    return paths


# The areas of the API, in the order the docs page lists them (its table of contents): each operation is
# tagged with the first area one of whose path prefixes its path starts with.
AREAS: list[tuple[str, str, tuple[str, ...]]] = [
    ("auth", "登录与令牌", ("/api/v1/auth", "/api/v1/me")),
    ("todo", "我的待办与待我签批", ("/api/v1/todo", "/api/v1/leader/")),
    ("messages", "消息：催办、逾期、重大问题与整改提醒，已读回执", ("/api/v1/messages",)),
    ("documents", "文书与附件下载", ("/api/v1/items/{item_id}/documents/",)),
    ("tracking", "督办跟踪：交办、签收、进展、转期、回复、销号",
     ("/api/v1/items/{item_id}/tracking", "/api/v1/items/{item_id}/notice", "/api/v1/items/{item_id}/acknowledgements",
      "/api/v1/items/{item_id}/urges", "/api/v1/items/{item_id}/reports", "/api/v1/items/{item_id}/extensions",
      "/api/v1/items/{item_id}/reply", "/api/v1/items/{item_id}/completion-report", "/api/v1/tracking/sweeps")),
    ("lists", "工作清单与红黄绿灯", ("/api/v1/tracking",)),
    ("inspection", "实地督查：方案、督查记录、问题与整改、重大问题报告、平板离线", ("/api/v1/inspection/", "/api/v1/devices")),
    ("bulletins", "督查通报与年度清零报告：起草、修改、报批、批准或退回、印发、下载、备案",
     ("/api/v1/bulletins", "/api/v1/bulletin-jobs", "/api/v1/clearances")),
    ("evaluation", "考核评分：年度得分合计与得分记录、导出、年度确认（冻结）与调整事项、评分规则版本、重放核对",
     ("/api/v1/scores/", "/api/v1/assessment-years/", "/api/v1/adjustments/", "/api/v1/scoring-rules/")),
    ("items", "督查事项（立项、修改、台账）", ("/api/v1/items",)),
    ("ledger", "台账导出与导入", ("/api/v1/ledger/",)),
    ("directory", "单位与人员目录", ("/api/v1/units", "/api/v1/people")),
    ("admin", "用户与审计（管理员）", ("/api/v1/users", "/api/v1/audit")),
]
OTHER_AREA = ("other", "其他接口")


def area_of(path: str) -> str:
    return next((name for name, _, prefixes in AREAS if path.startswith(prefixes)), OTHER_AREA[0])


def with_tags(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation tagged with its area (the contents of the docs page, and any OpenAPI viewer's)."""
    for path, operations in paths.items():
        for operation in operations.values():
            operation["tags"] = [area_of(path)]
    return paths


def contents(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The docs page's sections: each area that has operations, with them (anchor, method, path, summary)."""
    sections: dict[str, dict[str, Any]] = {
        tag["name"]: {"name": tag["name"], "title": tag["description"], "operations": []} for tag in document["tags"]}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            sections[operation["tags"][0]]["operations"].append(
                {"anchor": f"op-{operation['operationId']}", "method": method, "path": path, "op": operation})
    return [s for s in sections.values() if s["operations"]]


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "duban 督查督办 API", "version": "1.0.0",
                 "description": "“710”督查事项台账。所有接口需登录（Bearer 令牌或网页会话）；"
                                "承办单位只能看到本单位主办或协办的事项。错误为 application/problem+json。"},
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": title} for name, title, _ in AREAS]
                + [{"name": OTHER_AREA[0], "description": OTHER_AREA[1]}],
        "security": AUTH,
        "components": {
            "schemas": SCHEMAS | INSPECTION_SCHEMAS | BULLETIN_SCHEMAS | MESSAGE_SCHEMAS | EVALUATION_SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token 获取"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "网页会话；修改类请求须带 X-CSRF-Token"},
            },
        },
        "paths": with_tags(with_field_errors({
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
                                                 q("page_token", PAGE_TOKEN), q("include_total", {"type": "boolean"})],
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
                            "changes": {"type": "array", "items": ref("Change")}}}), **problem_responses(401, 404, 503)}},
            },
            "/api/v1/units": {"get": {"summary": "单位目录", "operationId": "listUnits", "responses": {
                **ok({"type": "object", "properties": {"units": {"type": "array", "items": ref("Unit")}}}),
                **problem_responses(401, 503)}}},
            "/api/v1/units/{unit_id}": {"put": {
                "summary": "新增或修改单位（系统管理员）", "operationId": "putUnit",
                "parameters": [directory_id("unit_id", "单位代码"), IDEMPOTENCY_KEY],
                "requestBody": json_body(obj("name", name=text(100, filled=True),
                                             kind={"enum": list(UNIT_KINDS), "description": "缺省为 department"},
                                             active={"type": "boolean", "description": "缺省为 true；false 即停用"},
                                             head_person_id=text(40, description="单位负责人：本单位人员的编号，空值为无；其他人员返回 422"))),
                "responses": {**ok(ref("Unit")), **problem_responses(401, 403, 409, 422, 503)}}},
            "/api/v1/people/{person_id}": {"put": {
                "summary": "新增或修改人员（系统管理员）", "operationId": "putPerson",
                "parameters": [directory_id("person_id", "人员编号"), IDEMPOTENCY_KEY],
                "requestBody": json_body(obj("name", "role", name=text(50, filled=True), unit_id=text(40),
                                             role={"enum": list(PERSON_ROLES)}, title=text(50),
                                             active={"type": "boolean", "description": "缺省为 true；false 即停用"},
                                             mobile=text(20, description="手机号码（提醒用）：7-20位数字，可含 + 和 -；格式不符返回 422"),
                                             email=text(120, description="电子邮箱（提醒用）；格式不符返回 422"),
                                             wecom_user_id=text(64, description="企业微信账号：字母、数字或 _ . @ -；格式不符返回 422"),
                                             dingtalk_user_id=text(64, description="钉钉账号：字母、数字或 _ . @ -；格式不符返回 422"))),
                "responses": {**ok(ref("Person")), **problem_responses(401, 403, 422, 503)}}},
            "/api/v1/people": {"get": {"summary": "人员目录", "operationId": "listPeople",
                                       "parameters": [q("unit_id", text(40)), q("role", text(20))], "responses": {
                **ok({"type": "object", "properties": {"people": {"type": "array", "items": ref("Person")}}}),
                **problem_responses(401, 503)}}},
            "/api/v1/ledger/export": {
                "get": {"summary": "导出台账 XLSX", "operationId": "exportLedger",
                        "parameters": [q("form", one_of(["", "ledger_710", "unit_ledger", "full"]), "台账样式；空值同 ledger_710")]
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
                                        "schema": text(minLength=1)}],
                        "responses": {**ok(ref("ImportJob")), **problem_responses(401, 403, 404, 422, 503)}},
            },
            "/api/v1/users": {
                "get": {"summary": "用户列表（管理员）", "operationId": "listUsers", "responses": {
                    **ok({"type": "object", "properties": {"users": {"type": "array", "items": ref("User")}}}),
                    **problem_responses(401, 403)}},
                "post": {"summary": "新建用户（管理员）", "operationId": "createUser",
                         "requestBody": json_body(user_body(new=True)),
                         "responses": {**ok(ref("User"), "已创建", "201"), **problem_responses(401, 403, 409, 422)}},
            },
            "/api/v1/users/{user_id}": {
                "patch": {"summary": "修改用户（管理员）：姓名、密码、角色、单位、人员、停用、兼任角色", "operationId": "updateUser",
                          "description": "修改密码、停用、角色、单位、人员或兼任角色时，该用户已有的会话与令牌失效。",
                          "parameters": [{"name": "user_id", "in": "path", "required": True,
                                          "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}],
                          "requestBody": json_body(user_body(new=False)),
                          "responses": {**ok(ref("User")), **problem_responses(401, 403, 404, 422)}},
            },
            "/api/v1/audit": {"get": {"summary": "审计日志（管理员）", "operationId": "listAudit",
                                      "parameters": [q("before_id", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
                                                     q("page_size", {"type": "integer", "minimum": 1, "maximum": 500})],
                                      "responses": {**ok({"type": "object"}), **problem_responses(401, 403, 422)}}},
            **TRACKING_PATHS,
            **INSPECTION_PATHS,
            **BULLETIN_PATHS,
            **MESSAGE_PATHS,
            **EVALUATION_PATHS,
        })),
    }


@bp.get("/api/openapi.json")
def openapi_json() -> dict[str, Any]:
    return spec()


@bp.get("/api/docs")
def openapi_page() -> str:
    document = spec()
    return render_template("api/docs.html", spec=document, sections=contents(document))
