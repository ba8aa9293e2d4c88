"""The building blocks of the OpenAPI document (services/gateway/openapi.py and its per-area modules such
as openapi_inspection.py): request text with the characters every service takes, dates, references,
problem responses, the Idempotency-Key header, the directory's ids."""

from __future__ import annotations

from typing import Any

from libs.common.idempotency import MAX_KEY_LENGTH
from libs.common.text import SCHEMA_PATTERN, SCHEMA_PATTERN_NOT_BLANK
from libs.common.todo import KINDS as TODO_KIND_ROWS
from libs.common.vocabulary import CATEGORIES, SOURCES, STATUSES
from services.gateway.gunicorn_conf import limit_request_line

S = {"type": "string"}  # in answers; what a request may send is `text(...)`
# [0-9], not \d: a Python regex (schemathesis generates with one) takes \d for any Unicode digit. The
# pattern cannot tell 2026-02-30 from a date; the API answers that with 422 (errors.<field>).
_YMD = r"(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"  # years of libs/common/dates.py
DATE = {"type": "string", "pattern": f"^{_YMD}$", "examples": ["2026-11-26"]}
DATE_OR_EMPTY = {"type": "string", "pattern": f"^({_YMD})?$", "description": "YYYY-MM-DD；空值表示不限"}
A_DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}  # in answers: a deadline counted past 2999 too
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TODO_KINDS = [k.name for k in TODO_KIND_ROWS]


def text(max_length: int | None = None, *, filled: bool = False, **extra: Any) -> dict[str, Any]:
    """A text field of a request: only characters every service takes (no control characters but tab
    and line breaks, no lone surrogates, no U+FFFE/U+FFFF: libs/common/text.py), at most `max_length`
    of them (the gateway's limit for the field); `filled`: a rule needs it non-blank."""
    schema: dict[str, Any] = {"type": "string", "pattern": SCHEMA_PATTERN_NOT_BLANK if filled else SCHEMA_PATTERN}
    if max_length is not None:
        schema["maxLength"] = max_length
    if filled:
        schema["minLength"] = 1
    return schema | extra


# Standard base64 with its padding, at least one byte: what the gateway decodes (strictly) and keeps.
BASE64_NOT_EMPTY = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$"


def one_of(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_responses(*codes: int) -> dict[str, Any]:
    descriptions = {400: "请求格式错误", 401: "未登录或令牌无效", 403: "无权限", 404: "不存在或不在本单位范围内",
            409: "版本冲突或状态不允许；或同一 Idempotency-Key 的请求仍在处理中（Retry-After 秒后重试）",
            413: "文件过大",
            414: f"请求行（方法、路径与查询串）超过 {limit_request_line} 字节：由 HTTP 服务器（gunicorn）在应用之前拒绝，"
                 "正文为 HTML 而非 problem+json",
            422: "字段错误（errors 列出各字段）；或 Idempotency-Key 已用于内容不同的请求（errors.idempotency_key）",
            429: "登录尝试过多", 503: "后端服务不可用"}
    return {str(c): {"description": descriptions[c], "content": (
        {"text/html": {"schema": {"type": "string"}}} if c == 414
        else {"application/problem+json": {"schema": ref("Problem")}})} for c in codes}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def ok(schema: dict[str, Any], description: str = "成功", code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {"application/json": {"schema": schema}}}}


def q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# Every POST/PATCH that writes through a service takes it; the services keep the keys.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*$"},
    "description": "幂等键（最长 128 个可打印 ASCII 字符，如 UUID）。同一用户以同一键重复提交相同内容只执行一次，"
                   "返回第一次的结果（响应头 Idempotent-Replayed: true）；同一键、不同内容返回 422；第一次仍在处理中返回 409。"
                   "键按用户与操作区分，保留 24 小时（DUBAN_IDEMPOTENCY_RETENTION_HOURS）。",
}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": text(minLength=1),
           "description": "事项 id 或立项编号"}
# A page token is one the server issued with the previous page: any other is refused (422, errors.page_token).
PAGE_TOKEN = text(500, description="上一页返回的 next_page_token；其他值返回 422（errors.page_token）")
FILTERS = [
    q("unit_id", text(40), "承办单位（主办或协办）"),
    q("source", one_of(["", *SOURCES])),
    q("category", one_of(["", *CATEGORIES])),
    q("key_tracking", {"type": "boolean"}),
    q("status", one_of(["", *STATUSES])),
    q("due_from", DATE_OR_EMPTY),
    q("due_to", DATE_OR_EMPTY),
    q("q", text(100), "编号、名称或内容中的文字"),
    q("light", one_of(["", "green", "yellow", "red"])),
]
PERSON = {"type": "object", "properties": {"id": S, "name": S, "unit_id": S, "unit_name": S}}
ITEM_UNIT = {"type": "object", "properties": {"unit_id": S, "unit_name": S, "role": {"enum": ["lead", "co"]}, "duty": S}}
# A unit, a person: the id of one in the directory (GET /api/v1/units, /people); another is refused (422).
UNIT_REF = text(40, description="单位目录中的单位 id；不存在的单位返回 422", examples=["fgj"])
PERSON_REF = text(40, description="人员目录中的人员 id；不存在的人员返回 422", examples=["sv-wang"])
CO_UNIT = {"type": "object", "properties": {"unit_id": UNIT_REF, "duty": text(4000)}, "required": ["unit_id"]}

# Beside every deadline the API gives: counted across a year whose holiday arrangement is not published yet.
PROVISIONAL = {"type": "boolean", "description": "完成时限为暂定：跨越了国务院尚未公布节假日安排的年度（已扣除法定节假日，"
                                                "调休、补休未知）；安排载入后重新计算并改为 false"}


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}
