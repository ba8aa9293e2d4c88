"""The OpenAPI description of /api/v1/messages (消息, the caller's inbox), beside the views it describes
(services/gateway/api/messages.py); services/gateway/openapi.py puts it into the document."""

from __future__ import annotations

from typing import Any

from libs.common.vocabulary import MESSAGE_CAUSES, MESSAGE_RECIPIENTS
from services.gateway.openapi_inspection import BOOL, INT, WHEN, path_id
from services.gateway.openapi_parts import IDEMPOTENCY_KEY, PAGE_TOKEN, PERSON, S, ok, problem_responses, q, ref

SCHEMAS: dict[str, Any] = {
    "Message": {
        "type": "object",
        "description": "一条提醒：由催办、逾期、重大问题报告、整改逾期产生，每个接收人、每个原因每天一条；已销号事项不再提醒",
        "required": ["id", "cause", "title", "text"],
        "properties": {
            "id": S, "cause": {"enum": list(MESSAGE_CAUSES), "description": "原因：" + "、".join(MESSAGE_CAUSES.values())},
            "urgent": {**BOOL, "description": "重大问题报告为紧急"}, "day": {"type": "string", "format": "date"},
            "item_id": S, "item_no": S, "subject_id": S, "title": S, "text": S,
            "link": {**S, "description": "去办理的页面"},
            "recipient_person_id": {**S, "description": "空值：发给承办单位工作人员（recipient_unit_id）"},
            "recipient_unit_id": S, "recipient_name": S,
            "why": {"enum": list(MESSAGE_RECIPIENTS), "description": "接收人身份：" + "、".join(MESSAGE_RECIPIENTS.values())},
            "created_at": WHEN, "read_at": {**WHEN, "description": "已读回执：首次阅读的时间；未读时没有"}, "read_by": PERSON,
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/messages": {
        "get": {"summary": "我的消息：未读在前，新的在前（只含本人的消息）", "operationId": "listMessages",
                "parameters": [q("unread_only", BOOL, "只看未读"),
                               q("page_size", {"type": "integer", "minimum": 1, "maximum": 200}),
                               q("page_token", PAGE_TOKEN)],
                "responses": {**ok({"type": "object", "required": ["messages", "next_page_token", "unread_count",
                                                                    "total_size"],
                                    "properties": {"messages": {"type": "array", "items": ref("Message")},
                                                   "next_page_token": S, "unread_count": INT, "total_size": INT}}),
                              **problem_responses(401, 422, 503)}},
    },
    "/api/v1/messages/{message_id}/read": {
        "post": {"summary": "标为已读（已读回执；再次标记保留首次阅读时间）", "operationId": "readMessage",
                 "description": "只能标记本人的消息；他人的消息为 404。",
                 "parameters": [path_id("message_id", "消息 id"), IDEMPOTENCY_KEY],
                 "responses": {**ok(ref("Message")), **problem_responses(401, 404, 409, 422, 503)}},
    },
}
