"""Reminders from what tracking and inspection decide (item.urged, item.overdue, escalation.raised,
rectification.overdue) into the recipients' inboxes, in the consumer's transaction: who from the item's
projection (or the ledger, for an item not in it yet) and the ledger's directory, what from reminder_rules; a message whose key exists is not made
again (a redelivered or repeated event, a second urge on the same day)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import grpc
from sqlalchemy import select

from duban.inspection.v1 import events_pb2 as inspection_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import RetryableError
from libs.common.db import UnitOfWork
from libs.common.directory_client import DirectoryUnavailable
from libs.common.directory_entries import PersonEntry
from libs.common.vocabulary import FORMER_STATUSES
from services.notification import following, metrics
from services.notification import reminder_rules as rules
from services.notification.context import Notification
from services.notification.orm import KnownFinding, KnownItem, Message


def _day(event: CloudEvent) -> dt.date:
    return event.time.astimezone(OFFICE_TZ).date()


def _person(entry: PersonEntry | None) -> rules.Person | None:
    return rules.Person(entry.id, entry.name, entry.unit_id, entry.active) if entry is not None else None


@dataclass(frozen=True)
class ItemFacts:
    """What a reminder says of its item and whom it asks: the projection's row, or the ledger's word."""

    closed: bool
    item_no: str
    title: str
    unit_id: str  # the lead unit
    unit_name: str
    person_id: str  # 责任人


NO_ITEM = ItemFacts(False, "", "", "", "", "")


def _item(n: Notification, tx: UnitOfWork, item_id: str) -> ItemFacts:
    """The item as the projection keeps it. Tracking's urge of a new item may come before the ledger's
    item.registered (another topic): the ledger is asked then, once, rather than reaching the unit's desk
    for want of the responsible person (a consumer waiting for the other topic would wait on itself)."""
    if not item_id:
        return NO_ITEM
    row = tx.session.get(KnownItem, item_id)
    if row is not None and row.item_no:
        return ItemFacts(rules.is_closed(row.status, row.closed_on), row.item_no, row.title, row.unit_id, row.unit_name,
                         row.person_id)
    try:
        item = n.ledger().GetItem(ledger_pb2.GetItemRequest(id=item_id),  # type: ignore[attr-defined]
                                  timeout=n.ledger_timeout_seconds).item
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return NO_ITEM
        raise RetryableError(f"the ledger did not answer for item {item_id}: {exc.code()}") from exc
    lead = next((u for u in item.units if u.role == "lead"), item.units[0] if item.units else None)
    closed = rules.is_closed(FORMER_STATUSES.get(item.status, item.status), None)
    return ItemFacts(closed, item.item_no, item.title, lead.unit_id if lead else "", lead.unit_name if lead else "",
                     item.responsible_person.id)


def _unit_recipients(n: Notification, unit_id: str, item: ItemFacts) -> tuple[str, list[rules.Recipient]]:
    """(the unit's name, whom its reminder reaches) from the ledger's directory."""
    directory = n.reminders_directory()
    try:
        unit = directory.find_unit(unit_id) if unit_id else None
        responsible = directory.find_person(item.person_id) if item.person_id else None
        head = directory.find_person(unit.head_person_id) if unit is not None and unit.head_person_id else None
    except DirectoryUnavailable as exc:
        raise RetryableError(str(exc)) from exc
    name = unit.name if unit is not None else (item.unit_name if item.unit_id == unit_id and item.unit_name else unit_id)
    return name, rules.reach_unit(unit_id, name, _person(responsible), _person(head))


def _keep(n: Notification, tx: UnitOfWork, found: list[rules.Draft]) -> int:
    """Stores the drafts whose key is new; returns how many were."""
    if not found:
        return 0
    keys = {d.dedupe_key for d in found}
    have = set(tx.session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(keys))))
    now = n.clock.now()
    made = 0
    for d in found:
        if d.dedupe_key in have:
            continue
        have.add(d.dedupe_key)
        tx.session.add(Message(
            id=str(uuid.uuid4()), dedupe_key=d.dedupe_key, recipient_person_id=d.recipient.person_id,
            recipient_unit_id=d.recipient.unit_id, recipient_name=d.recipient.name[:100], why=d.recipient.why,
            cause=d.cause, urgent=d.urgent, day=d.day, item_id=d.item_id, item_no=d.item_no, subject_id=d.subject_id,
            title=d.title, text=d.text, link=d.link, created_at=now, is_read=0, read_at=None, read_by=""))
        made += 1
    if made:
        metrics.MESSAGES.labels(found[0].cause).inc(made)
    return made


def on_item_urged(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """催办: the urged unit's responsible person (or its staff) and its head."""
    body = event.decode(tracking_events.ItemUrged())
    item = _item(n, tx, body.item_id)
    if item.closed:
        return
    title, item_no = item.title, body.item_no or item.item_no
    unit_name, recipients = _unit_recipients(n, body.unit_id, item)
    subject = rules.Subject(rules.ITEM_URGED, body.item_id, _day(event), body.item_id, item_no, title,
                            rules.item_link(body.item_id))
    _keep(n, tx, rules.drafts(subject, recipients, f"催办：{rules.quoted(item_no, title)}",
                              rules.urged_text(unit_name, item_no, title, body.text)))


def on_item_overdue(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """逾期 (once per item per day from tracking's sweep): the lead unit's responsible person (or its
    staff) and its head; co-units are not chased by this message (the lead unit answers for the item)."""
    body = event.decode(tracking_events.ItemOverdue())
    item = _item(n, tx, body.item_id)
    lead = item.unit_id or (body.unit_ids[0] if body.unit_ids else "")
    if item.closed or not lead:
        return
    title, item_no = item.title, body.item_no or item.item_no
    day = dt.date.fromisoformat(body.day) if body.day else _day(event)
    unit_name, recipients = _unit_recipients(n, lead, item)
    subject = rules.Subject(rules.ITEM_OVERDUE, body.item_id, day, body.item_id, item_no, title,
                            rules.item_link(body.item_id))
    _keep(n, tx, rules.drafts(subject, recipients, f"逾期：{rules.quoted(item_no, title)}",
                              rules.overdue_text(unit_name, item_no, title, body.due_date, body.working_days_late)))


def on_escalation_raised(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """重大问题报告 (Art. 6.4): urgent, to every recipient the event names (inspection decided who)."""
    body = event.decode(inspection_events.EscalationChanged())
    e = body.escalation
    item = _item(n, tx, e.item_id)
    if item.closed:
        return
    recipients = [rules.Recipient(r.person.id, r.person.unit_id, r.person.name or r.person.id, r.why)
                  for r in e.recipients if r.person.id]
    title = item.title
    raised = e.raised_at.ToDatetime(dt.UTC).astimezone(OFFICE_TZ).date() if e.raised_at.seconds else _day(event)
    subject = rules.Subject(rules.ESCALATION, e.id, raised, e.item_id, e.item_no, title,
                            body.link or f"/inspection/escalations/{e.id}")
    about = f"{e.unit_name}{'：' + rules.quoted(e.item_no, title) if e.item_no else ''}"
    text = f"重大问题报告（{about}）：{e.text.strip()}。请及时阅处"
    _keep(n, tx, rules.drafts(subject, recipients, body.title or "重大问题报告", text))


def on_rectification_overdue(n: Notification, tx: UnitOfWork, event: CloudEvent) -> None:
    """整改逾期: the projection of problems moves as before; then the unit is reminded like an overdue item."""
    following.on_rectification_changed(n, tx, event)
    body = event.decode(inspection_events.RectificationChanged())
    item = _item(n, tx, body.item_id)
    finding = tx.session.get(KnownFinding, body.finding_id)
    unit_id = body.unit_id or (finding.unit_id if finding is not None else "")  # the unit that must rectify
    if item.closed or not unit_id:
        return
    item_no = item.item_no or (finding.item_no if finding is not None else "")
    title = item.title
    unit_name, recipients = _unit_recipients(n, unit_id, item)
    link = rules.item_link(body.item_id) or "/inspection/findings"
    subject = rules.Subject(rules.RECTIFICATION_OVERDUE, body.finding_id, _day(event), body.item_id, item_no, title,
                            link)
    problem = finding.text if finding is not None else ""
    _keep(n, tx, rules.drafts(subject, recipients, f"整改逾期：{unit_name}",
                              rules.rectification_text(unit_name, item_no, title, problem, body.due_date)))
