"""What inspection keeps of the ledger's items (number, title, units, responsible leader) and of their
status (tracking's item.status_changed): enough to name a finding's item and to address an escalation,
without a call to the ledger per finding."""

from __future__ import annotations

from duban.ledger.v1 import events_pb2 as ledger_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common.cloudevents import CloudEvent
from libs.common.db import UnitOfWork
from services.inspection.context import Inspection
from services.inspection.orm import KnownItem


def _fill(row: KnownItem, item: ledger_pb2.Item) -> None:
    units = sorted(item.units, key=lambda u: u.role != "lead")
    row.item_no, row.title = item.item_no, item.title
    row.lead_unit_id = units[0].unit_id if units else ""
    row.unit_ids = ",".join(u.unit_id for u in units)[:400]
    row.leader_id, row.leader_name = item.responsible_leader.id, item.responsible_leader.name


def on_item_registered(inspection: Inspection, tx: UnitOfWork, event: CloudEvent) -> None:
    _keep(tx, event.decode(ledger_events.ItemRegistered()).item)


def on_item_updated(inspection: Inspection, tx: UnitOfWork, event: CloudEvent) -> None:
    _keep(tx, event.decode(ledger_events.ItemUpdated()).item)


def _keep(tx: UnitOfWork, item: ledger_pb2.Item) -> None:
    """The item as the ledger has it now (an edit may arrive for an item registered before inspection ran)."""
    row = tx.session.get(KnownItem, item.id)
    if row is None:
        row = KnownItem(item_id=item.id, status="awaiting_notice", status_seq=0)
        tx.session.add(row)
    _fill(row, item)


def on_status_changed(inspection: Inspection, tx: UnitOfWork, event: CloudEvent) -> None:
    """Newer moves only (their seq orders them whatever order they arrive in)."""
    body = event.decode(tracking_events.ItemStatusChanged())
    row = tx.session.get(KnownItem, body.item_id)
    if row is not None and body.seq > row.status_seq:
        row.status, row.status_seq = body.status, body.seq
