"""What tracking hears from the ledger, dispatched to its use cases: a registered item opens its
assignment; edits are followed."""

from __future__ import annotations

from libs.common.consumer import Handler, dispatcher
from services.tracking import assigning
from services.tracking.context import Tracking

GROUP = "tracking-ledger-events"


def handler(tracking: Tracking) -> Handler:
    return dispatcher(tracking, {
        "item.registered": assigning.on_item_registered,
        "item.updated": assigning.on_item_updated,
    })
