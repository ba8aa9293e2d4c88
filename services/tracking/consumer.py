"""What tracking hears from the ledger: a registered item opens its assignment; edits are followed."""

from __future__ import annotations

from duban.ledger.v1 import events_pb2 as ledger_events
from libs.common.cloudevents import CloudEvent
from libs.common.db import UnitOfWork
from services.tracking import assigning
from services.tracking.service import Tracking

GROUP = "tracking-ledger-events"


def handler(tracking: Tracking):  # type: ignore[no-untyped-def]
    def handle(tx: UnitOfWork, event: CloudEvent) -> None:
        if event.type == "item.registered":
            assigning.on_item_registered(tracking, tx, event.decode(ledger_events.ItemRegistered()))
        elif event.type == "item.updated":
            assigning.on_item_updated(tracking, tx, event.decode(ledger_events.ItemUpdated()))
        # Other ledger events are not tracking's business.

    return handle
