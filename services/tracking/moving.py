"""Moving an item along domain.TRANSITIONS: the one place its status changes, and the event that says so.

Every use case that moves the item calls `move`, in its own transaction: the table is checked, the
item's move count goes up and item.status_changed is staged with it, so the ledger's copy (and any
outside reader) follows every move - including those that have no event of their own (the last unit
signing, the completion report filled or sent back). Setting `Assignment.status` any other way on a
stored assignment raises, so a new use case cannot move the item and forget to say so.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any

from sqlalchemy import event

from libs.common.db import UnitOfWork
from services.tracking import domain, events
from services.tracking.orm import Assignment

_moving: contextvars.ContextVar[bool] = contextvars.ContextVar("tracking_moving", default=False)


def move(tx: UnitOfWork, assignment: Assignment, to: str, now: dt.datetime) -> None:
    """Move to `to` (FailedPrecondition if the table has no such move) and stage item.status_changed."""
    previous = assignment.status
    new = domain.move(previous, to)
    token = _moving.set(True)
    try:
        assignment.status = new
    finally:
        _moving.reset(token)
    assignment.status_seq = (assignment.status_seq or 0) + 1
    tx.publish(events.status_changed(assignment, previous, now))


@event.listens_for(Assignment.status, "set")
def _only_by_move(_target: Assignment, value: Any, old: Any, _initiator: Any) -> None:
    # A new assignment takes its first status when it is made (old is a NO_VALUE marker, not a str).
    if isinstance(old, str) and value != old and not _moving.get():
        raise RuntimeError(f"assignment status {old} -> {value} set outside moving.move (no item.status_changed)")
