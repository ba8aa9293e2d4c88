"""The ledger follows tracking: its columns (交办时间, 转期理由/签字, 办理结果, 销号签字, 状态) fill in;
and what raises an item's light (tracking's reports, inspection's rectifications) is copied for its lists.

Each applied event is recorded in the item's history as a change by the system, so the ledger shows
who signed and when without anyone typing it twice. Urges, status moves and extension decisions also
become lines of the item's record (supervision_notes), which the forms' 督查情况 prints below what the
office typed.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete

from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common import light_raisers, vocabulary
from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import InvalidMessage
from libs.common.db import UnitOfWork
from libs.common.errors import FailedPrecondition, InvalidInput
from services.ledger import domain, metrics
from services.ledger import events as ledger_events
from services.ledger.context import Ledger
from services.ledger.orm import Item, ItemUnit, LightRaiser, SupervisionNote
from services.ledger.registering import history_row, register_in

logger = logging.getLogger(__name__)
TRACKING = Actor(user_id="tracking", name="督查跟踪", role="system")


_signature = vocabulary.signature


def on_assigned(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(events_pb2.ItemAssigned())
    apply(ledger, tx, event, {"assigned_on": body.assigned_on})


def on_extension_approved(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(events_pb2.ExtensionDecided())
    item = tx.session.get(Item, event.subject)
    if item is not None:
        # The deadline is now the date the leader signed, not a count: nothing left to recompute.
        item.due_date_provisional = False
    signer = body.extension.decided_by.name
    _extension_note(tx, event, body, approved=True)
    apply(ledger, tx, event, {
        "due_date": body.due_date, "extension_reason": body.extension.reason,
        "extension_signature": _signature(signer, body.extension.decided_at.ToDatetime(dt.UTC))})


def on_extension_rejected(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    _extension_note(tx, event, event.decode(events_pb2.ExtensionDecided()), approved=False)


def _extension_note(tx: UnitOfWork, event: CloudEvent, body: events_pb2.ExtensionDecided, approved: bool) -> None:
    decided = body.extension.decided_at.ToDatetime(dt.UTC)
    due = dt.date.fromisoformat(body.due_date) if body.due_date else None
    note(tx, event.subject, decided, "extension", domain.extension_note(
        decided.astimezone(OFFICE_TZ), approved, body.extension.decided_by.name, body.extension.reason,
        domain.office_day(due) if due else ""))


def on_urged(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    """An urge (the office's 电话督办 / 书面督办, or the sweep's) as a line of the item's record, with the
    unit's name as the ledger knows it."""
    body = event.decode(events_pb2.ItemUrged())
    unit = tx.session.get(ItemUnit, (body.item_id or event.subject, body.unit_id))
    note(tx, event.subject, event.time, "urge", domain.urge_note(
        event.time.astimezone(OFFICE_TZ), unit.unit_name if unit else "", body.reason == "office", body.text))


def note(tx: UnitOfWork, item_id: str, when: dt.datetime, kind: str, text: str) -> None:
    """A line of the item's record (an item this ledger never had is skipped)."""
    if tx.session.get(Item, item_id) is not None:
        tx.session.add(SupervisionNote(item_id=item_id, noted_at=when, kind=kind, text=text))


def on_replied(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    apply(ledger, tx, event, {"result": event.decode(events_pb2.ItemReplied()).reply.result})


def on_closed(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    body = event.decode(events_pb2.ItemClosed())
    signed = body.completion.signed_at.ToDatetime(dt.UTC)
    if body.completion.follow_up.strip():
        open_follow_up(ledger, tx, event, body.completion)
    apply(ledger, tx, event, {"result": body.result,
                              "closure_signature": _signature(body.completion.signed_by.name, signed)})


def on_status_changed(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    """The item's status is tracking's: every move comes as item.status_changed with the item's move
    count. Only a higher count than the one applied is applied, so a repaired event that arrives after a
    later one (libs/common/reconcile.py) or a restatement of what is known leaves the status where it is;
    a count that skips one (its event still on its way) is applied all the same."""
    body = event.decode(events_pb2.ItemStatusChanged())
    if body.status not in domain.STATUSES:
        raise InvalidMessage(f"unknown status {body.status!r} in {event.id}")
    item = tx.session.get(Item, event.subject)
    if item is None or body.seq <= item.status_seq:
        return
    item.status_seq = body.seq
    moved = body.at.ToDatetime(dt.UTC) if body.HasField("at") else event.time
    note(tx, item.id, moved, "status", domain.status_note(moved.astimezone(OFFICE_TZ), body.status))
    apply(ledger, tx, event, {"status": body.status})


def on_raisers_changed(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    """The item's open obligations from one source (tracking's expected reports, inspection's
    rectifications), as they are now: the ledger's copy of what raises its light (replaced whole; an
    item this ledger never had is skipped)."""
    raisers = light_raisers.read(event)
    if tx.session.get(Item, raisers.item_id) is None:
        return
    tx.session.execute(delete(LightRaiser).where(LightRaiser.item_id == raisers.item_id,
                                                 LightRaiser.source == raisers.source))
    tx.session.add_all(LightRaiser(item_id=raisers.item_id, source=raisers.source, ref_id=ref_id, due_on=due_on)
                       for ref_id, due_on in raisers.open)


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
        # Readable in the history: what happened, in words (the event id is for the log, not for people).
        reason = f"{vocabulary.EVENT_LABELS.get(event.type, '督办跟踪')}（督办跟踪自动填写）"
        recorded.append(history_row(item.id, now, TRACKING, field, old_text, value, reason))
    if not recorded:
        return
    logger.info("item %s: %s filled from %s %s", item.id, ",".join(r.field for r in recorded), event.type, event.id)
    item.version += 1
    item.updated_at = now
    tx.session.add_all(recorded)
    tx.session.flush()
    tx.publish(ledger_events.item_updated(item, recorded, now))


def open_follow_up(ledger: Ledger, tx: UnitOfWork, event: CloudEvent, completion: tracking_pb2.CompletionReport) -> None:
    """续办: the leader's new instruction on the completion report becomes an item of its own, linked to
    the closed one - same units and category, the signing leader responsible, registered on the day of
    the signature, its deadline counted as for any item. Applied with the closure: a failed registration
    (a unit since deactivated, say) is written in the closed item's history for the office to register
    by hand, and never holds the closure back."""
    parent = tx.session.get(Item, event.subject)
    if parent is None:
        return
    signed_on = completion.signed_at.ToDatetime(dt.UTC).astimezone(OFFICE_TZ).date()
    instruction = completion.follow_up.strip()
    suffix = "（续办）"
    reg = domain.Registration(
        title=parent.title[:domain.TITLE_MAX - len(suffix)] + suffix,
        content=instruction[:domain.CONTENT_MAX],
        source="leader_instruction",
        category=parent.category,
        key_tracking=parent.key_tracking,
        lead_unit_id=parent.lead_unit_id,
        lead_duty=next((u.duty for u in parent.units if u.role == "lead"), ""),
        co_units=tuple((u.unit_id, u.duty) for u in parent.units if u.role == "co"),
        responsible_leader_id=completion.signed_by.id,
        responsible_person_id=parent.responsible_person_id,
        supervisor_id=parent.supervisor_id,
        registered_on=signed_on.isoformat(),
        remarks=f"{completion.signed_by.name}在{parent.item_no}办结报告单上的批示：{instruction}"[:domain.CONTENT_MAX],
    )
    now = ledger.clock.now()
    try:
        with tx.savepoint():
            child = register_in(ledger, tx, reg, TRACKING, request_id=f"follow-up:{event.id}", follow_up_of=parent)
    except (InvalidInput, FailedPrecondition) as exc:  # the latter: its year's assessment is frozen
        tx.session.add(history_row(parent.id, now, TRACKING, "follow_up", "", "",
                               f"续办事项未能自动登记（{'；'.join(exc.field_errors.values())}），请督查室登记"))
        metrics.FOLLOW_UPS.labels("not_registered").inc()
        return
    tx.session.add(history_row(parent.id, now, TRACKING, "follow_up", "", child.item_no,
                           f"{completion.signed_by.name}在办结报告单上作出新的批示，登记为续办事项"))
    metrics.FOLLOW_UPS.labels("registered").inc()
