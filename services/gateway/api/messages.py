"""The caller's inbox (消息) through the API: their reminders, unread first, and the read receipt. The
notification service answers only the caller's own; another's message is 404 (not 403: its existence is
not the caller's to know)."""

from __future__ import annotations

from typing import Any

from flask import request

from duban.notification.v1 import notification_pb2
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import current_actor, notification
from services.gateway.idempotency import write
from services.gateway.present import Reader, to_json


def list_request(reader: Reader) -> notification_pb2.ListMessagesRequest:
    """The inbox's query, checked (the page reads the same)."""
    return notification_pb2.ListMessagesRequest(
        unread_only=bool(reader.flag("unread_only")), page_size=reader.integer("page_size", 50, 1, 200),
        page_token=reader.text("page_token", 500), actor=current_actor())


@bp.get("/messages")
@require("messages.read")
def list_messages() -> dict[str, Any]:
    reader = Reader(request.args)
    ask = list_request(reader)
    reader.done()
    reply = notification().call("ListMessages", ask)
    return {"messages": [to_json(m) for m in reply.messages], "next_page_token": reply.next_page_token,
            "unread_count": reply.unread_count, "total_size": reply.total_size}


@bp.post("/messages/<message_id>/read")
@require("messages.read")
def read_message(message_id: str) -> dict[str, Any]:
    """Marks the message read; reading it again keeps the first reading's time (idempotent by itself)."""
    reply = write(notification(), "MarkMessageRead", notification_pb2.MarkMessageReadRequest(
        message_id=message_id[:36], actor=current_actor()))
    return to_json(reply.message)
