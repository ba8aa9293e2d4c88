"""The ledger's outgoing events (item.registered, item.updated), staged in the outbox."""

from __future__ import annotations

import datetime as dt

from duban.ledger.v1 import events_pb2
from libs.common import topics
from libs.common.cloudevents import new_event
from libs.common.outbox import OutboxEvent
from services.ledger import orm
from services.ledger.convert import change_to_proto, item_to_proto

SOURCE = topics.event_source("ledger")
ITEM_REGISTERED = "item.registered"
ITEM_UPDATED = "item.updated"


def item_registered(item: orm.Item, now: dt.datetime) -> OutboxEvent:
    message = events_pb2.ItemRegistered(item=item_to_proto(item))
    return OutboxEvent(topics.LEDGER_EVENTS, item.id, new_event(ITEM_REGISTERED, SOURCE, item.id, message, now))


def item_updated(item: orm.Item, changes: list[orm.ItemChange], now: dt.datetime,
                 calendar_years: tuple[int, ...] = ()) -> OutboxEvent:
    """`calendar_years`: the deadline was recomputed on these years' published tables (not a manual edit)."""
    message = events_pb2.ItemUpdated(item=item_to_proto(item), changes=[change_to_proto(c) for c in changes],
                                     calendar_years=calendar_years)
    return OutboxEvent(topics.LEDGER_EVENTS, item.id, new_event(ITEM_UPDATED, SOURCE, item.id, message, now))
