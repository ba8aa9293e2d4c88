"""消息: the signed-in person's reminders (unread first), reading one (it is marked read and its page opens),
and the unread count in every page's header."""

from __future__ import annotations

import logging
from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.notification.v1 import notification_pb2
from libs.common import permissions, vocabulary
from libs.common.errors import DomainError
from services.gateway.api.messages import list_request
from services.gateway.auth import require
from services.gateway.calls import current_actor, notification
from services.gateway.clients import ServiceFailed, ServiceUnavailable
from services.gateway.idempotency import write
from services.gateway.pages import bp
from services.gateway.present import Reader

logger = logging.getLogger(__name__)


@bp.get("/messages")
@require("messages.read")
def messages() -> str:
    reader = Reader(request.args)
    ask = list_request(reader)
    reader.done()
    reply = notification().call("ListMessages", ask)
    return render_template("messages/inbox.html", reply=reply, unread_only=ask.unread_only, vocabulary=vocabulary)


@bp.post("/messages/<message_id>/read")
@require("messages.read")
def read_message(message_id: str) -> ResponseReturnValue:
    """标为已读 (back to the inbox), or 查看 (`open`: marked read, then the page the message is about)."""
    read = write(notification(), "MarkMessageRead", notification_pb2.MarkMessageReadRequest(
        message_id=message_id[:36], actor=current_actor())).message
    if request.form.get("open") and read.link.startswith("/"):
        return redirect(read.link)
    return redirect(url_for("pages.messages"))


@bp.app_context_processor
def _messages_navigation() -> dict[str, Any]:
    """`unread_messages()`: the signed-in person's unread count for the header (one count per page, None
    when the notification service cannot say: the page still renders)."""

    def unread_messages() -> int | None:
        user = g.get("user")
        if user is None or not permissions.allowed(user.roles, "messages.read"):
            return None
        if "unread_messages" not in g:
            try:
                g.unread_messages = notification().call("CountUnreadMessages", notification_pb2.CountUnreadMessagesRequest(
                    actor=current_actor())).unread_count
            except (ServiceUnavailable, ServiceFailed, DomainError) as exc:
                logger.warning("unread messages unavailable: %s", exc)
                g.unread_messages = None
        count: int | None = g.unread_messages
        return count

    return {"unread_messages": unread_messages}
