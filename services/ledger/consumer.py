"""The ledger hears tracking: its status columns (交办时间, 转期理由/签字, 办理结果, 销号签字) fill in.

Each applied event is recorded in the item's history as a change by the system, so the ledger shows
who signed and when without anyone typing it twice.
"""

from __future__ import annotations

import datetime as dt

from duban.tracking.v1 import events_pb2
from libs.common import vocabulary
from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import CloudEvent
from libs.common.db import UnitOfWork
from services.ledger import events as ledger_events
from services.ledger.handlers import Ledger, _change
from services.ledger.orm import Item

GROUP = "ledger-tracking-events"
TRACKING = Actor(user_id="tracking", name="督查跟踪", role="system")


def _signature(name: str, when: dt.datetime) -> str:
    return f"{name} {when.astimezone(OFFICE_TZ):%Y-%m-%d}"


def handler(ledger: Ledger):  # type: ignore[no-untyped-def]
    def handle(tx: UnitOfWork, event: CloudEvent) -> None:
        changes: dict[str, str] = {}
        if event.type == "item.assigned":
            body = event.decode(events_pb2.ItemAssigned())
            changes = {"assigned_on": body.assigned_on, "status": "assigned"}
        elif event.type == "extension.approved":
            body = event.decode(events_pb2.ExtensionDecided())
            signer = body.extension.decided_by.name
            changes = {"due_date": body.due_date, "extension_reason": body.extension.reason,
                       "extension_signature": _signature(signer, body.extension.decided_at.ToDatetime(dt.UTC))}
        elif event.type == "item.replied":
            body = event.decode(events_pb2.ItemReplied())
            changes = {"result": body.reply.result}
        elif event.type == "item.closed":
            body = event.decode(events_pb2.ItemClosed())
            signed = body.completion.signed_at.ToDatetime(dt.UTC)
            changes = {"result": body.result, "status": "closed",
                       "closure_signature": _signature(body.completion.signed_by.name, signed)}
        elif event.type == "item.archived":
            changes = {"status": "archived"}
        if changes:
            apply(ledger, tx, event, changes)

    return handle


def apply(ledger: Ledger, tx: UnitOfWork, event: CloudEvent, changes: dict[str, str]) -> None:
    item = tx.session.get(Item, event.subject)
    if item is None:
        return  # an item this ledger never had (another environment's event): nothing to fill
    now = ledger.clock.now()
    recorded = []
    for field, value in changes.items():
        old = getattr(item, field)
        old_text = old.isoformat() if isinstance(old, dt.date) else str(old or "")
        if old_text == value:
            continue
        new = dt.date.fromisoformat(value) if field in ("assigned_on", "due_date") else value
        setattr(item, field, new)
        # Readable in the history, and traceable to the event that caused it.
        reason = f"{vocabulary.EVENT_LABELS.get(event.type, event.type)}（督办跟踪自动填写，事件 {event.id[:8]}）"
        recorded.append(_change(item.id, now, TRACKING, field, old_text, value, reason))
    if not recorded:
        return
    item.version += 1
    item.updated_at = now
    tx.session.add_all(recorded)
    tx.session.flush()
    tx.publish(ledger_events.item_updated(item, recorded, now))
