"""What tracking hears from the ledger and from inspection, dispatched to its use cases: a registered
item opens its assignment; edits are followed; other services' obligations raise the items' lights."""

from __future__ import annotations

from libs.common import light_raisers, topics
from libs.common.consumer import Handler, by_topic, dispatcher
from services.tracking import assigning, raisers
from services.tracking.context import Tracking

# One group for every topic tracking reads (one group join, not one per topic). Named when it read the
# ledger's alone, and kept: its committed offsets, its processed event ids and its reconcile
# checkpoints are all under this name - a new one would apply every retained event again.
GROUP = "tracking-ledger-events"


def handler(tracking: Tracking) -> Handler:
    return by_topic({
        topics.LEDGER_EVENTS: dispatcher(tracking, {
            "item.registered": assigning.on_item_registered,
            "item.updated": assigning.on_item_updated,
        }),
        topics.INSPECTION_EVENTS: dispatcher(tracking, {light_raisers.EVENT_TYPE: raisers.on_raisers_changed}),
    })
