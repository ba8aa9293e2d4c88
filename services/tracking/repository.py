"""Loading assignments: one by item (optionally locked for a change), and the keyset order of lists."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from sqlalchemy import tuple_

from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, NotFound
from services.tracking.orm import Assignment


def get_assignment(tx: UnitOfWork, item_id: str, lock: bool = False) -> Assignment:
    """The item's assignment; `lock` serialises concurrent acts on one item (PostgreSQL row lock)."""
    session = tx.session
    if lock and session.get_bind().dialect.name == "postgresql":
        found = session.get(Assignment, item_id, with_for_update=True)
    else:
        found = session.get(Assignment, item_id)
    if found is None:
        raise NotFound(f"no assignment for item {item_id}", {"item_id": "督查事项不存在或尚未进入跟踪"})
    return found


def lead_unit(assignment: Assignment) -> str:
    return next((u.unit_id for u in assignment.units if u.role == "lead"), "")


# Keyset paging in list order: deadline, item number, item id (numbers are unique within one ledger,
# the id makes the order total whatever feeds this service).
LIST_ORDER = (Assignment.due_date, Assignment.item_no, Assignment.item_id)


def page_token(row: Any) -> str:  # an Assignment or a row with the LIST_ORDER columns
    return base64.urlsafe_b64encode(json.dumps([row.due_date.isoformat(), row.item_no, row.item_id]).encode()).decode()


def after_token(token: str) -> Any:
    """The condition "after the page that ended here" for a page token."""
    try:
        day, item_no, item_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (dt.date.fromisoformat(day), str(item_no), str(item_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return tuple_(*LIST_ORDER) > tuple_(*cursor)
