"""What the bulletins are counted from, kept from the other services' events: the ledger's items (number,
title, category, key tracking, lead unit, registration day, deadline), tracking's course of each (the
deadline after an approved extension, the signature that closed it, its status and the unit's latest
words) and what raises its light, and inspection's problems with their rectification state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from duban.common.v1 import common_pb2
from duban.inspection.v1 import events_pb2 as inspection_events
from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import events_pb2 as ledger_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import CloudEvent
from libs.common.db import UnitOfWork
from libs.common.vocabulary import FORMER_STATUSES
from services.notification.context import Notification
from services.notification.orm import KnownFinding, KnownItem, KnownRaiser

CLOSED_STATUSES = ("closed", "archived")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(OFFICE_TZ).date()


def _row(tx: UnitOfWork, item_id: str, day: dt.date) -> KnownItem:
    """The item's row; an event of tracking may come before the ledger's (another topic): a row then
    waits with the event's day as its registration day until item.registered fills it in."""
    row = tx.session.get(KnownItem, item_id)
    if row is None:
        row = KnownItem(item_id=item_id, registered_on=day, status="awaiting_notice", status_seq=0, extended=False)
        tx.session.add(row)
    return row


def _keep(tx: UnitOfWork, item: ledger_pb2.Item, event: CloudEvent) -> None:
    row = _row(tx, item.id, _day(event.time))
    lead = next((u for u in item.units if u.role == "lead"), item.units[0] if item.units else None)
    row.item_no, row.title, row.category = item.item_no, item.title[:200], item.category or "general"
    row.key_tracking, row.source = item.key_tracking, item.source
    row.unit_id, row.unit_name = (lead.unit_id, lead.unit_name) if lead else ("", "")
    row.leader_id = item.responsible_leader.id
    row.person_id = item.responsible_person.id
    row.registered_on = _date(item.registered_on) or row.registered_on
    due = _date(item.due_date)
    if not row.extended and due is not None:  # an approved extension's deadline is tracking's word
        row.due_date = due
        row.original_due_date = due
    if row.status_seq == 0 and item.status:
        row.status = FORMER_STATUSES.get(item.status, item.status)


def on_item_registered(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    _keep(tx, event.decode(ledger_events.ItemRegistered()).item, event)


def on_item_updated(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    _keep(tx, event.decode(ledger_events.ItemUpdated()).item, event)


def on_item_assigned(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(tracking_events.ItemAssigned())
    row = _row(tx, body.item_id, _day(event.time))
    due = _date(body.due_date)
    if due is not None and not row.extended:
        row.due_date = due
        row.original_due_date = row.original_due_date or due


def on_extension_approved(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """转期: the working deadline moves; the original is kept (what a late item is measured against
    without an approved extension)."""
    body = event.decode(tracking_events.ExtensionDecided())
    row = _row(tx, body.item_id, _day(event.time))
    row.due_date = _date(body.due_date) or _date(body.extension.new_due_date) or row.due_date
    row.original_due_date = _date(body.original_due_date) or row.original_due_date
    row.extended = True
    row.reason = f"已转期：{body.extension.reason}"[:500]


def on_item_closed(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(tracking_events.ItemClosed())
    row = _row(tx, body.item_id, _day(event.time))
    signed = body.completion.signed_at
    row.closed_on = _day(signed.ToDatetime(dt.UTC)) if signed.seconds else _day(event.time)


def on_status_changed(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """Newer moves only (their seq orders them whatever order they arrive in)."""
    body = event.decode(tracking_events.ItemStatusChanged())
    row = _row(tx, body.item_id, _day(event.time))
    if body.seq > row.status_seq:
        row.status, row.status_seq = body.status, body.seq
        if body.status in CLOSED_STATUSES and row.closed_on is None:
            row.closed_on = _day(body.at.ToDatetime(dt.UTC)) if body.at.seconds else _day(event.time)


def on_progress_reported(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(tracking_events.ProgressReported())
    row = tx.session.get(KnownItem, body.item_id)
    if row is not None and body.report.text:
        row.reason = f"最新进展：{body.report.text}"[:500]


def on_raisers_changed(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """The item's full open set from one source replaces what was kept."""
    body = event.decode(common_pb2.LightRaisersChanged())
    tx.session.execute(delete(KnownRaiser).where(KnownRaiser.item_id == body.item_id,
                                                 KnownRaiser.source == body.source))
    for raiser in body.open:
        due = _date(raiser.due_on)
        if due is not None:
            tx.session.merge(KnownRaiser(item_id=body.item_id, source=body.source, ref_id=raiser.ref_id, due_on=due))


def _rect_status(finding: inspection_pb2.Finding) -> str:
    return finding.rectification.status or "none"


def on_finding_recorded(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    f = event.decode(inspection_events.FindingRecorded()).finding
    row = tx.session.get(KnownFinding, f.id) or KnownFinding(finding_id=f.id, relapses=0)
    row.item_id, row.item_no, row.unit_id, row.unit_name = f.item_id, f.item_no, f.unit_id, f.unit_name
    row.text, row.category, row.severity = f.text, f.category, f.severity or "general"
    row.rect_status = _rect_status(f)
    row.recorded_on = _day(f.recorded_at.ToDatetime(dt.UTC)) if f.recorded_at.seconds else _day(event.time)
    tx.session.merge(row)


def on_rectification_changed(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(inspection_events.RectificationChanged())
    row = tx.session.get(KnownFinding, body.finding_id)
    if row is None:  # its finding.recorded is on the same topic, keyed alike: it came first
        return
    row.rect_status = body.status or row.rect_status
    row.due_date = _date(body.due_date) or row.due_date
    row.relapses = body.relapses
    if body.status == "rectified" and row.rectified_on is None:
        row.rectified_on = _day(body.at.ToDatetime(dt.UTC)) if body.at.seconds else _day(event.time)
