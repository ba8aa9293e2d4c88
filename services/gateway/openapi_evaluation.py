"""The OpenAPI description of the assessment (考核评分): /api/v1/scores, /api/v1/assessment-years,
/api/v1/adjustments and /api/v1/scoring-rules, beside the views it describes (services/gateway/api/scores.py);
services/gateway/openapi.py puts it into the document."""

from __future__ import annotations

from typing import Any

from libs.common.vocabulary import (
    ADJUSTMENT_STATUSES,
    ASSESSMENT_YEAR_STATUSES,
    RULE_SET_STATUSES,
    SCORE_ENTRY_STATES,
    SCORE_RULES,
    SCORE_SUBJECT_KINDS,
)
from services.gateway.openapi_inspection import BOOL, INT, WHEN, path_id
from services.gateway.openapi_parts import (
    DATE_OR_EMPTY,
    IDEMPOTENCY_KEY,
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

NUMBER = {"type": "number", "description": "分值（最多两位小数）"}
YEAR = {"name": "year", "in": "path", "required": True, "description": "考核年度，如 2026",
        "schema": {"type": "string", "pattern": "^(20[0-9]{2}|2100)$"}}
VERSION = {"name": "version", "in": "path", "required": True, "description": "评分规则版本号",
           "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,5}$"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUBJECT = {"type": "object", "description": "考核对象：责任单位、责任人或责任领导", "properties": {
    "kind": {"enum": list(SCORE_SUBJECT_KINDS)}, "id": S, "name": S,
    "unit_id": S | {"description": "责任人、责任领导所在单位"}}}
DIFF = {"type": "array", "description": "总分有变化的考核对象：调整前 → 调整后", "items": {"type": "object", "properties": {
    "subject": SUBJECT, "before": NUMBER, "after": NUMBER}}}

SCHEMAS: dict[str, Any] = {
    "ScoreEntry": {
        "type": "object", "required": ["id", "year", "subject", "rule", "points", "explanation"],
        "description": "一条得分记录：依据哪条评分规则（及其版本）、由哪个事件引起、按哪一版工作日历计算，附中文说明",
        "properties": {
            "id": S, "year": INT, "subject": SUBJECT, "rule": {"enum": list(SCORE_RULES)}, "rule_version": INT,
            "points": NUMBER, "item_id": S, "item_no": S, "day": S, "explanation": S, "basis": S,
            "state": {"enum": list(SCORE_ENTRY_STATES)}, "calendar_version": S,
            "cause": {"type": "object", "description": "依据事件（所消费的事件，或考核办确认年度等本服务的动作）",
                      "properties": {"source": S, "event_id": S, "type": S, "topic": S, "partition": INT,
                                     "offset": {"type": "string", "description": "int64，以字符串表示"}, "time": WHEN}}}},
    "SubjectTotal": {"type": "object", "properties": {
        "year": INT, "subject": SUBJECT, "total": NUMBER, "entries": INT, "plus": NUMBER, "minus": NUMBER}},
    "AssessmentYear": {"type": "object", "required": ["year", "status"], "properties": {
        "year": INT, "status": {"enum": list(ASSESSMENT_YEAR_STATUSES)}, "frozen_at": WHEN,
        "frozen_by": S, "as_of": S | {"description": "考核截止日期：冻结时未办结的事项按此日计算超期"},
        "rules_version": INT, "calendar_version": S, "entries": INT, "adjustments_pending": INT, "events_archived": INT}},
    "Adjustment": {"type": "object", "description": "年度冻结后到达的事件所产生的得分：考核办决定计入或不予计入", "properties": {
        "id": S, "entry": ref("ScoreEntry"), "status": {"enum": list(ADJUSTMENT_STATUSES)}, "reason": S,
        "decided_by": S, "decided_at": WHEN}},
    "RuleSet": {"type": "object", "required": ["year", "version", "status"], "properties": {
        "year": INT, "version": INT, "effective_from": S, "status": {"enum": list(RULE_SET_STATUSES)},
        "yaml": S, "sha256": S, "created_at": WHEN, "created_by": S,
        "rules": {"type": "array", "items": {"type": "object", "properties": {
            "code": S, "label": S, "points": NUMBER, "cap": NUMBER}}}}},
}


def _problems(*codes: int) -> dict[str, Any]:
    return problem_responses(401, *codes, 503)


def _write(summary: str, op_id: str, params: list[dict[str, Any]], body: dict[str, Any] | None,
           answer: dict[str, Any], description: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "operationId": op_id, "description": description,
                                 "parameters": [*params, IDEMPOTENCY_KEY],
                                 "responses": {**ok(answer), **_problems(403, 404, 409, 422)}}
    if body is not None:
        operation["requestBody"] = json_body(body, required=bool(body.get("required")))
    return {"post": operation}


PATHS: dict[str, Any] = {
    "/api/v1/scores/{year}/totals": {"get": {
        "summary": "年度考核得分合计：每个考核对象一行（责任单位、责任人、责任领导），总分高者在前；只含本人可见的",
        "operationId": "listScoreTotals", "description": "承办单位看到本单位及本单位人员的得分；责任人看到自己的；"
                                                         "督查室、考核办与领导看到全部。",
        "parameters": [YEAR, q("kind", one_of(["", *SCORE_SUBJECT_KINDS]), "考核对象类别；空值为全部"),
                       q("unit_id", text(40), "只看该单位及其人员")],
        "responses": {**ok({"type": "object", "required": ["totals"], "properties": {
            "totals": {"type": "array", "items": ref("SubjectTotal")}}}), **_problems(422)}}},
    "/api/v1/scores/{year}/entries": {"get": {
        "summary": "年度得分记录（新的在前），可按考核对象、事项、评分规则筛选；只含本人可见的",
        "operationId": "listScoreEntries",
        "parameters": [YEAR, q("subject_kind", one_of(["", *SCORE_SUBJECT_KINDS])), q("subject_id", text(40)),
                       q("item_id", text(40)), q("rule", one_of(["", *SCORE_RULES])),
                       q("page_size", {"type": "integer", "minimum": 1, "maximum": 500}),
                       q("page_token", text(500, description="上一页返回的 next_page_token；其他值返回 422（errors.page_token）"))],
        "responses": {**ok({"type": "object", "required": ["entries", "next_page_token"], "properties": {
            "entries": {"type": "array", "items": ref("ScoreEntry")}, "next_page_token": S}}), **_problems(422)}}},
    "/api/v1/scores/{year}/export.xlsx": {"get": {
        "summary": "导出年度考核得分表 XLSX：全区（可见全部者）、某单位及其人员、或某人；同样的得分记录得到同样的文件",
        "operationId": "exportScores",
        "parameters": [YEAR, q("unit_id", text(40)), q("person_id", text(40))],
        "responses": {"200": {"description": "XLSX 文件（Content-Disposition；文件名 UTF-8）", "content": {
            XLSX: {"schema": {"type": "string", "contentMediaType": XLSX}}}},
            **_problems(403, 422)}}},
    "/api/v1/assessment-years/{year}": {"get": {
        "summary": "考核年度：考核中或已确认（冻结）、考核截止日期、现行评分规则版本、得分记录与待决定调整事项数",
        "operationId": "getAssessmentYear", "parameters": [YEAR],
        "responses": {**ok(ref("AssessmentYear")), **_problems(422)}}},
    "/api/v1/assessment-years/{year}/freeze": _write(
        "确认并冻结考核年度（考核办）：尚未办结的事项按考核截止日期计算超期后冻结；之后的事件进入调整事项", "freezeAssessmentYear",
        [YEAR], obj(as_of=DATE_OR_EMPTY | {"description": "考核截止日期；空值为今天"}), ref("AssessmentYear"),
        "每年一次：再次提交返回已冻结的年度；考核截止日期不同则 409。"),
    "/api/v1/assessment-years/{year}/adjustments": {"get": {
        "summary": "调整事项（考核办）：年度冻结后到达的事件所产生的得分", "operationId": "listAdjustments",
        "parameters": [YEAR, q("status", one_of(["", *ADJUSTMENT_STATUSES]))],
        "responses": {**ok({"type": "object", "properties": {"adjustments": {"type": "array", "items": ref("Adjustment")}}}),
                      **_problems(403, 422)}}},
    "/api/v1/adjustments/{adjustment_id}/decision": _write(
        "决定调整事项（考核办）：计入（并入合计）或不予计入，须写明理由；只能决定一次", "decideAdjustment",
        [path_id("adjustment_id", "调整事项 id")],
        obj("accept", "reason", accept=BOOL | {"description": "true：计入；false：不予计入"},
            reason=text(2000, filled=True)), ref("Adjustment")),
    "/api/v1/scoring-rules/{year}": {"get": {
        "summary": "年度评分规则：现行版本（或指定版本），YAML 原文与逐条规则", "operationId": "getScoringRules",
        "parameters": [YEAR, q("version", {"type": "integer", "minimum": 0, "maximum": 1_000_000}, "0 或不填：现行版本")],
        "responses": {**ok(ref("RuleSet")), **_problems(404, 422)}}},
    "/api/v1/scoring-rules/{year}/versions": {"get": {
        "summary": "年度评分规则的各版本（已采用、待采用、已被替代）", "operationId": "listScoringRuleVersions",
        "parameters": [YEAR],
        "responses": {**ok({"type": "object", "properties": {"versions": {"type": "array", "items": ref("RuleSet")}}}),
                      **_problems(422)}}},
    "/api/v1/scoring-rules/{year}/proposals": {"post": {
        "summary": "提出新版评分规则（考核办）：YAML 按规则模式检查；返回按新规则重新计算后各考核对象的得分变化，采用前不影响得分",
        "operationId": "proposeScoringRules", "parameters": [YEAR, IDEMPOTENCY_KEY],
        "requestBody": json_body(obj("yaml", yaml=text(100_000, filled=True),
                                     effective_from=DATE_OR_EMPTY | {"description": "自该日起的事实按新版计分；空值为 1 月 1 日"})),
        "responses": {**ok({"type": "object", "properties": {"rules": ref("RuleSet"), "diff": DIFF}},
                           "已提出（Location: /api/v1/scoring-rules/{year}?version=N）", "201"),
                      **ok({"type": "object", "properties": {"rules": ref("RuleSet"), "diff": DIFF}},
                           "同一 Idempotency-Key 重复提交：返回原提议"),
                      **_problems(403, 409, 422)}}},
    "/api/v1/scoring-rules/{year}/versions/{version}/accept": _write(
        "采用待采用的评分规则版本（考核办）：按新版重新计算年度得分（旧版的得分记录保留）；年度已冻结时 409",
        "acceptScoringRules", [YEAR, VERSION], None, ref("RuleSet")),
    "/api/v1/assessment-years/{year}/replay": _write(
        "重放核对（考核办）：由事件存档重新计算年度得分并与现有得分比较：一致，或列出差异；rebuild 为 true 时以重放结果替换",
        "replayAssessmentYear", [YEAR], obj(rebuild=BOOL),
        {"type": "object", "properties": {"year": INT, "events": INT, "entries": INT, "identical": BOOL, "diff": DIFF,
                                          "seconds": NUMBER | {"description": "用时（秒）"},
                                          "export_sha256": S | {"description": "年度得分表 XLSX 的 SHA-256：同样的得分记录相同"}}},
        "重放本身可重复：同样的存档得到同样的结果。"),
}
