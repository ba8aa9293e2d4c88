"""Tracking's outgoing events, staged in the outbox (topic duban.tracking.events.v1, key = item id)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message

from duban.tracking.v1 import events_pb2
from libs.common import topics
from libs.common.cloudevents import FieldsEncoder, new_event
from libs.common.outbox import EventBatch, OutboxEvent

SOURCE = "duban/tracking"
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


def event(type_: str, item_id: str, message: Message, now: dt.datetime) -> OutboxEvent:
    return OutboxEvent(topics.TRACKING_EVENTS, item_id, new_event(type_, SOURCE, item_id, message, now))


# The sweep's events, written by the tens of thousands: encoded from their fields (see FieldsEncoder).
OVERDUE = FieldsEncoder(events_pb2.ItemOverdue)
URGED = FieldsEncoder(events_pb2.ItemUrged)


def batch(type_: str, encoder: FieldsEncoder, now: dt.datetime, events: list[tuple[str, bytes]]) -> EventBatch:
    """Many events of one type at one instant: (item id, data from `encoder`) each."""
    return EventBatch(topics.TRACKING_EVENTS, type_, SOURCE, encoder.dataschema, now, events)
