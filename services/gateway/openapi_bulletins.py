"""The OpenAPI description of /api/v1/bulletins (通报) and /api/v1/clearances (清零), beside the views it
describes (services/gateway/api/bulletins.py); services/gateway/openapi.py puts it into the document."""

from __future__ import annotations

from typing import Any

from libs.common.vocabulary import (
    BULLETIN_IN_WORK,
    BULLETIN_KINDS,
    BULLETIN_STATUSES,
    MENTION_ACTIONS,
    MENTION_KINDS,
    MENTION_STATES,
)
from services.gateway.openapi_inspection import BOOL, INT, WHEN, path_id
from services.gateway.openapi_parts import (
    DATE_OR_EMPTY,
    DOCX,
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

NUMBER = {"type": "number"}
STRINGS = {"type": "array", "items": S}
BULLETIN_ID = path_id("bulletin_id", "通报 id")
YEAR = {"name": "year", "in": "path", "required": True, "description": "年度，如 2026",
        "schema": {"type": "string", "pattern": "^2[0-9]{3}$"}}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$",
          "description": "所审阅文件的 SHA-256（64 位十六进制小写，见通报的 docx_sha256 / pdf_sha256）"}
INSTANT = text(40, description="截至时间（带时区的 ISO 8601）；不填为现在（定期通报须在期末之后）")

UNIT_ROW = {"type": "object", "properties": {
    "unit_id": S, "unit_name": S, "in_scope": INT, "closed": INT, "closed_within_time": INT, "extended": INT,
    "overdue": INT, "still_open": INT, "on_time_pct": S, "on_time_rate": NUMBER, "lagging": BOOL,
    "lagging_reason": S, "lagging_item_nos": STRINGS}}
ITEM_LINE = {"type": "object", "properties": {
    "item_id": S, "item_no": S, "title": S, "unit_id": S, "unit_name": S, "category": S, "key_tracking": BOOL,
    "due_date": S, "original_due_date": S, "extended": BOOL, "closed_on": S, "within_time": BOOL, "light": S,
    "working_days_late": INT, "reason": S, "status": S}}
LINES = {"type": "array", "items": ITEM_LINE}
CHART_FIELDS: dict[str, Any] = {"title": S, "bars": {"type": "array", "items": {"type": "object", "properties": {
    "unit_id": S, "unit_name": S, "value": NUMBER | {"minimum": 0, "maximum": 1}, "label": S, "lagging": BOOL}}}}
CHART = {"type": "object", "required": ["title", "bars"], "properties": CHART_FIELDS}
PERIOD = {"type": "object", "properties": {"kind": S, "code": S, "starts_on": S, "ends_on": S, "year": INT, "label": S}}

SCHEMAS: dict[str, Any] = {
    "Bulletin": {
        "type": "object", "required": ["id", "kind", "status", "title", "version"],
        "description": "督查通报（或清零报告）：系统依据台账、督办跟踪与实地督查起草，督查室修改，主要领导批准后印发；印发后不可更改",
        "properties": {
            "id": S, "kind": {"enum": list(BULLETIN_KINDS)}, "period": PERIOD, "scope_unit_id": S,
            "status": {"enum": list(BULLETIN_STATUSES)}, "title": S, "issue_no": INT, "issue_year": INT,
            "document_no": S, "issuing_office": S, "issued_on": S, "opening": S, "closing": S,
            "draft_opening": S, "draft_closing": S,
            "facts": {"type": "object", "description": "截至 as_of 的事实：合计、各单位、逾期、红黄灯、督查发现问题、图表",
                      "properties": {"as_of": WHEN, "totals": {"type": "object"}, "units": {"type": "array", "items": UNIT_ROW},
                                     "in_scope": LINES, "overdue": LINES, "red": LINES, "yellow": LINES,
                                     "problems": {"type": "array", "items": {"type": "object"}}, "chart": CHART,
                                     "body_cap": INT, "scope_unit_id": S, "scope_unit_name": S}},
            "clearance": {"type": "object", "description": "清零报告：年度全部事项，未办结的附原因与单位", "properties": {
                "year": INT, "as_of": WHEN, "total": INT, "closed": INT, "not_closed": INT, "cleared_pct": S,
                "cleared": BOOL, "not_closed_items": LINES, "units": {"type": "array", "items": UNIT_ROW}, "chart": CHART}},
            "mentions": {"type": "array", "items": {"type": "object", "properties": {
                "id": S, "kind": {"enum": list(MENTION_KINDS)}, "unit_id": S, "unit_name": S, "basis": S, "text": S,
                "state": {"enum": list(MENTION_STATES)}}}},
            "requirements": {"type": "array", "items": {"type": "object", "properties": {
                "id": S, "unit_id": S, "unit_name": S, "text": S, "due_date": S, "working_days": INT, "item_id": S,
                "item_no": S, "finding_id": S, "registered_item_id": S, "registered_item_no": S,
                "responsible_leader_id": S}}},
            "corrects_bulletin_id": S, "corrects_document_no": S, "corrected_by_bulletin_id": S,
            "docx_sha256": S, "pdf_sha256": S, "approved_docx_sha256": S, "approved_pdf_sha256": S,
            "approved_at": WHEN, "approved_by": PERSON, "published_at": WHEN, "published_by": PERSON,
            "acts": {"type": "array", "items": {"type": "object", "properties": {
                "act": S, "at": WHEN, "by": PERSON, "comment": S, "docx_sha256": S, "pdf_sha256": S}}},
            "receipt": {"type": "object", "properties": {"receipt_no": S, "filed_on": S, "recorded_at": WHEN,
                                                         "recorded_by": PERSON, "note": S}},
            "named_unit_ids": STRINGS, "drafted_by": PERSON, "created_at": WHEN, "version": INT, "return_comment": S},
    },
    "BulletinEdit": obj(
        title=text(200), opening=text(20000, description="正文开头；空值不修改"), closing=text(20000),
        clear_texts=BOOL | {"description": "true：正文恢复为系统起草的文字"},
        mentions={"type": "array", "maxItems": 200, "description": "对建议的通报表扬、通报批评：保留、修改、删去，或增加",
                  "items": obj("action", id=text(60, description="建议的 id（增加时不填）"),
                               action=one_of(MENTION_ACTIONS), text=text(2000), kind=one_of(["", *MENTION_KINDS]),
                               unit_id=UNIT_REF | {"description": "增加时：被表扬或批评的单位"})},
        replace_requirements=BOOL | {"description": "true：以 requirements 替换限时整改问题清单（给出 requirements 时默认为 true）"},
        requirements={"type": "array", "maxItems": 200, "description": "限时整改的问题：印发时各登记为一项督查事项（来源：督查通报要求整改事项）",
                      "items": obj("unit_id", "text", id=text(20), unit_id=UNIT_REF, text=text(2000, filled=True),
                                   due_date=DATE_OR_EMPTY | {"description": "整改期限；或填 working_days"},
                                   working_days={"type": "integer", "minimum": 0, "maximum": 1000,
                                                 "description": "自印发之日起的工作日数"},
                                   item_id=text(40), finding_id=text(40),
                                   responsible_leader_id=PERSON_REF | {"description": "不填按原事项的责任领导"})},
        expected_version={"type": "integer", "minimum": 0, "maximum": 1_000_000}),
}


def _responses(*codes: int) -> dict[str, Any]:
    return {**ok(ref("Bulletin")), **problem_responses(401, *codes, 503)}


def _act(summary: str, op_id: str, body: dict[str, Any] | None, description: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "operationId": op_id, "description": description,
                                 "parameters": [BULLETIN_ID, IDEMPOTENCY_KEY], "responses": _responses(403, 404, 409, 422)}
    if body is not None:
        operation["requestBody"] = json_body(body, required=bool(body.get("required")))
    return {"post": operation}


def _generate(summary: str, op_id: str, body: dict[str, Any], location: str) -> dict[str, Any]:
    return {"summary": summary, "operationId": op_id, "parameters": [IDEMPOTENCY_KEY], "requestBody": json_body(body),
            "responses": {**ok(ref("Bulletin"), f"已起草（Location: {location}）", "201"),
                          **ok(ref("Bulletin"), "该期已有通报（或重复提交），返回原通报，不再起草"),
                          **problem_responses(401, 403, 404, 409, 422, 503)}}


FILES: dict[str, dict[str, Any]] = {"docx": {DOCX: {}}, "pdf": {"application/pdf": {}}, "chart": {"image/png": {}}}

PATHS: dict[str, Any] = {
    "/api/v1/bulletins": {
        "get": {"summary": "通报栏：已印发的通报（所有角色）；督查室另见草稿与审批中的，主要领导另见报批后的",
                "operationId": "listBulletins",
                "parameters": [q("kind", one_of(["", *BULLETIN_KINDS])), q("status", one_of(["", *BULLETIN_STATUSES, BULLETIN_IN_WORK])),
                               q("year", {"type": "integer", "minimum": 0, "maximum": 2999}),
                               q("named_unit_id", text(40), "只看点名该单位的通报"),
                               q("scope_unit_id", text(40), "“-”：仅全区通报；单位 id：该部门内部通报"),
                               q("page_size", {"type": "integer", "minimum": 1, "maximum": 200}), q("page_token", PAGE_TOKEN)],
                "responses": {**ok({"type": "object", "required": ["bulletins", "next_page_token", "total_size"],
                                    "properties": {"bulletins": {"type": "array", "items": ref("Bulletin")},
                                                   "next_page_token": S, "total_size": INT}}),
                              **problem_responses(401, 422, 503)}},
        "post": _generate("起草通报（督查室）：季度（一般事项）、半年（复杂事项）、月度（重点跟踪）或专项", "generateBulletin", obj(
            "kind", kind=one_of(["quarterly", "semiannual", "monthly", "special"]),
            period=text(20, description="2026Q3、2026H1、2026-07；专项不填"),
            starts_on=DATE_OR_EMPTY | {"description": "专项：起始日"}, ends_on=DATE_OR_EMPTY,
            title=text(200, description="专项必填"), scope_unit_id=text(40, description="部门内部通报：该部门；空值为全区"),
            as_of=INSTANT, corrects_bulletin_id=text(40, description="更正已印发的通报（新的一期专项通报）")) | {
            # A correction is a special bulletin.
            "if": {"required": ["corrects_bulletin_id"], "properties": {"corrects_bulletin_id": {"minLength": 1}}},
            "then": {"properties": {"kind": {"const": "special"}}}},
            "/api/v1/bulletins/{id}"),
    },
    "/api/v1/bulletin-jobs": {"post": {
        "summary": "立即起草已结束而尚无通报的各期（管理员；平时由定时任务运行），再次运行不重复起草",
        "operationId": "runBulletinJobs",
        "responses": {**ok({"type": "object", "properties": {"drafted_bulletin_ids": STRINGS, "periods": STRINGS}}),
                      **problem_responses(401, 403, 503)}}},
    "/api/v1/bulletins/{bulletin_id}": {
        "get": {"summary": "通报（正文、合计、各单位、逾期与红黄灯清单、督查发现问题、表扬批评、限时整改、签批记录）",
                "operationId": "getBulletin", "parameters": [BULLETIN_ID], "responses": _responses(404)},
        "patch": {"summary": "修改通报草稿（督查室）：标题、正文、表扬批评的保留修改删去、限时整改问题及期限",
                  "operationId": "editBulletin",
                  "parameters": [BULLETIN_ID, {"name": "If-Match", "in": "header", "required": False, "schema": S,
                                               "description": "通报版本（version）"}, IDEMPOTENCY_KEY],
                  "requestBody": json_body(ref("BulletinEdit")), "responses": _responses(403, 404, 409, 422)},
    },
    "/api/v1/bulletins/{bulletin_id}/submission": _act(
        "报主要领导审批（督查室）：首次报批时给定期数与文号，生成并保存 DOCX 与 PDF", "submitBulletin", None),
    "/api/v1/bulletins/{bulletin_id}/approval": _act(
        "批准印发（主要领导）：须给出所审阅 DOCX 与 PDF 的 SHA-256，与报批的文件不一致时 409", "approveBulletin",
        obj("docx_sha256", "pdf_sha256", docx_sha256=SHA256, pdf_sha256=SHA256, comment=text(2000, description="审批意见，如 同意印发"))),
    "/api/v1/bulletins/{bulletin_id}/return": _act(
        "退回修改（主要领导），须写明修改意见", "returnBulletin", obj("comment", comment=text(2000, filled=True))),
    "/api/v1/bulletins/{bulletin_id}/publication": _act(
        "印发（督查室）：仅限已批准且文件与批准时一致的通报；限时整改的问题各登记为督查事项（重复提交只登记一次）",
        "publishBulletin", None),
    "/api/v1/bulletins/{bulletin_id}/chart": {"get": {
        "summary": "各单位按时办结率（清零报告为办结率）：DOCX 中图表所用的同一数据", "operationId": "bulletinChart",
        "parameters": [BULLETIN_ID],
        "responses": {**ok(CHART | {"properties": {**CHART_FIELDS, "bulletin_id": S}}),
                      **problem_responses(401, 404, 503)}}},
    "/api/v1/bulletins/{bulletin_id}/documents/{format}": {"get": {
        "summary": "下载通报：DOCX（GB/T 9704 版式）、由其转换的 PDF、图表（PNG）；报批后为保存的、审批所针对的文件",
        "operationId": "bulletinDocument",
        "parameters": [BULLETIN_ID, {"name": "format", "in": "path", "required": True, "schema": one_of(FILES)}],
        "responses": {"200": {"description": "文件（Content-Disposition；文件名 UTF-8）", "content": {
            media: {"schema": {"type": "string", "contentMediaType": media}} for kinds in FILES.values() for media in kinds}},
            **problem_responses(401, 404, 503)}}},
    "/api/v1/clearances": {"post": _generate(
        "起草年度清零报告（督查室，自每年设定的 12 月日期起）：年度全部事项，未办结的附原因与单位", "generateClearance",
        obj("year", year={"type": "integer", "minimum": 2000, "maximum": 2999}, as_of=INSTANT),
        "/api/v1/clearances/{year}")},
    "/api/v1/clearances/{year}": {"get": {
        "summary": "年度清零报告（报批、批准、印发同通报：/api/v1/bulletins/{id}/...）", "operationId": "getClearance",
        "parameters": [YEAR], "responses": _responses(404)}},
    "/api/v1/clearances/{year}/receipt": {"post": {
        "summary": "记录考核办备案回执（考核办）：已印发的清零报告，只记录一次", "operationId": "recordClearanceReceipt",
        "parameters": [YEAR, IDEMPOTENCY_KEY],
        "requestBody": json_body(obj("receipt_no", receipt_no=text(100, filled=True, description="考核办备案编号"),
                                     filed_on=DATE_OR_EMPTY | {"description": "备案日期；空值为今天"}, note=text(2000))),
        "responses": _responses(403, 404, 409, 422)}},
}
