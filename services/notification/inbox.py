"""The in-app inbox (消息): a person's own messages, unread first, and the read receipt.

Whose messages: those addressed to the caller's person, and - for a unit's staff - those addressed to
their unit's desk (no person of the unit named for the item). Nobody else's, whatever their role: a
message that is not the caller's is not found (its existence is not for them to know).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, tuple_, update

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, NotFound
from services.notification import metrics
from services.notification.context import Notification
from services.notification.orm import Message

PAGE_SIZE, PAGE_MAX = 50, 200
DESK_ROLES = frozenset({permissions.UNIT_STAFF, permissions.DEPT_SUPERVISOR})  # who reads their unit's desk


def mine(actor: Actor) -> ColumnElement[bool]:
    """The caller's messages as a condition (false for a caller with neither a person nor a unit desk)."""
    parts = []
    if actor.person_id:
        parts.append(Message.recipient_person_id == actor.person_id)
    if actor.unit_id and DESK_ROLES.intersection(actor.roles):
        parts.append(and_(Message.recipient_person_id == "", Message.recipient_unit_id == actor.unit_id))
    return or_(*parts) if parts else false()


def _token(row: Message) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.is_read, row.created_at.isoformat(), row.id]).encode()).decode()


def _after(token: str) -> Any:
    """Keyset: unread (0) before read (1), then newest first."""
    try:
        is_read, at, message_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (int(is_read), dt.datetime.fromisoformat(at), str(message_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return or_(Message.is_read > cursor[0],
               and_(Message.is_read == cursor[0], tuple_(Message.created_at, Message.id) < tuple_(cursor[1], cursor[2])))


def _count(tx: UnitOfWork, *where: ColumnElement[bool]) -> int:
    return tx.session.scalar(select(func.count()).select_from(Message).where(*where)) or 0


def list_messages(n: Notification, actor: Actor, unread_only: bool, page_size: int, page_token: str,
                  ) -> tuple[list[Message], str, int, int]:
    """(a page of the caller's messages, the next page's token, their unread count, the total listed)."""
    size = min(page_size or PAGE_SIZE, PAGE_MAX)
    where = [mine(actor)] + ([Message.is_read == 0] if unread_only else [])
    with n.uow.read() as tx:
        query = select(Message).where(*where)
        if page_token:
            query = query.where(_after(page_token))
        rows = list(tx.session.scalars(query.order_by(Message.is_read, Message.created_at.desc(), Message.id.desc())
                                       .limit(size + 1)))
        unread = _count(tx, mine(actor), Message.is_read == 0)
        total = unread if unread_only else _count(tx, *where)
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_token(rows[-1]) if more else ""), unread, total


def count_unread(n: Notification, actor: Actor) -> int:
    """The header's badge: one indexed count."""
    with n.uow.read() as tx:
        return _count(tx, mine(actor), Message.is_read == 0)


def mark_read(n: Notification, message_id: str, actor: Actor) -> Message:
    """The first reading is kept (who and when: the read receipt); reading again changes nothing."""
    with n.uow() as tx:
        row = tx.session.scalars(select(Message).where(Message.id == message_id, mine(actor))).first()
        if row is None:
            raise NotFound(f"no message {message_id} for {actor.user_id}", {"message_id": "消息不存在"})
        if not row.is_read:
            # Guarded by is_read = 0: two devices reading at once keep one receipt, the first.
            done = tx.session.execute(update(Message).where(Message.id == message_id, Message.is_read == 0).values(
                is_read=1, read_at=n.clock.now(), read_by=actor.snapshot()).execution_options(
                synchronize_session=False)).rowcount  # type: ignore[attr-defined]
            if done:
                metrics.INBOX_READS.labels(row.cause).inc()
            tx.session.refresh(row)
        tx.commit()
        return row
