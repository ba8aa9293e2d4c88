"""Tracking's outgoing events, staged in the outbox (topic duban.tracking.events.v1, key = item id)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.tracking.v1 import events_pb2
from libs.common import topics
from libs.common.cloudevents import FieldsEncoder, new_event
from libs.common.outbox import EventBatch, OutboxEvent
from services.tracking.domain import CLOSED_STATUSES, OWED_REPORTS, REPORTS
from services.tracking.orm import Assignment

SOURCE = topics.event_source("tracking")
ITEM_ASSIGNED = "item.assigned"
ITEM_ACKNOWLEDGED = "item.acknowledged"
PROGRESS_REPORTED = "progress.reported"
ITEM_URGED = "item.urged"
EXTENSION_REQUESTED = "extension.requested"
EXTENSION_APPROVED = "extension.approved"
EXTENSION_REJECTED = "extension.rejected"
ITEM_OVERDUE = "item.overdue"
ITEM_REPLIED = "item.replied"
ITEM_CLOSED = "item.closed"
ITEM_ARCHIVED = "item.archived"
RAISERS_CHANGED = "item.raisers_changed"
STATUS_CHANGED = "item.status_changed"
NOTICE_REVISED = "notice.revised"


def event(type_: str, item_id: str, message: Message, now: dt.datetime) -> OutboxEvent:
    return OutboxEvent(topics.TRACKING_EVENTS, item_id, new_event(type_, SOURCE, item_id, message, now))


def raisers_changed(assignment: Assignment, now: dt.datetime) -> OutboxEvent:
    """The item's expected reports not yet filed (what raises its light once their day passes), for the
    ledger's copy of the light. Staged whenever that set changes: schedule made, report filed, schedule
    extended, item closed (then nothing is open)."""
    open_ = [] if assignment.status in CLOSED_STATUSES else [
        common_pb2.LightRaiser(ref_id=e.id, due_on=e.due_on.isoformat())
        for e in assignment.expected if e.status in OWED_REPORTS]
    message = common_pb2.LightRaisersChanged(item_id=assignment.item_id, source=REPORTS, open=open_)
    return event(RAISERS_CHANGED, assignment.item_id, message, now)


def status_changed(assignment: Assignment, previous: str, now: dt.datetime) -> OutboxEvent:
    """The move just made (moving.move stages it; its seq orders the item's moves for every reader)."""
    return _status(assignment.item_id, assignment.status, previous, assignment.status_seq, now)


def restated(item_id: str, status: str, seq: int, now: dt.datetime) -> OutboxEvent:
    """The item's current status said again (jobs.announce_statuses): no previous status, its last seq."""
    return _status(item_id, status, "", seq, now)


def _status(item_id: str, status: str, previous: str, seq: int, now: dt.datetime) -> OutboxEvent:
    at = Timestamp()
    at.FromDatetime(now)
    message = events_pb2.ItemStatusChanged(item_id=item_id, status=status, previous_status=previous, at=at, seq=seq)
    return event(STATUS_CHANGED, item_id, message, now)


# The sweep's events, written by the tens of thousands: encoded from their fields (see FieldsEncoder).
OVERDUE = FieldsEncoder(events_pb2.ItemOverdue)
URGED = FieldsEncoder(events_pb2.ItemUrged)


def batch(type_: str, encoder: FieldsEncoder, now: dt.datetime, events: list[tuple[str, bytes]]) -> EventBatch:
    """Many events of one type at one instant: (item id, data from `encoder`) each."""
    return EventBatch(topics.TRACKING_EVENTS, type_, SOURCE, encoder.dataschema, now, events)
