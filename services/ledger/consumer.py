"""What the ledger hears from tracking, inspection and evaluation, dispatched to the use cases that apply it
(following.py, freezing.py)."""

from __future__ import annotations

from libs.common import light_raisers, topics
from libs.common.consumer import Handler, by_topic, dispatcher
from services.ledger import following, freezing
from services.ledger.context import Ledger

# One group for every topic the ledger reads (one group join, not one per topic). Named when it read
# tracking's alone, and kept: its committed offsets, its processed event ids and its reconcile
# checkpoints are all under this name - a new one would apply every retained event again.
GROUP = "ledger-tracking-events"


def handler(ledger: Ledger) -> Handler:
    return by_topic({
        topics.TRACKING_EVENTS: dispatcher(ledger, {
            "item.assigned": following.on_assigned,
            "extension.approved": following.on_extension_approved,
            "extension.rejected": following.on_extension_rejected,
            "item.urged": following.on_urged,
            "item.replied": following.on_replied,
            "item.closed": following.on_closed,
            "item.status_changed": following.on_status_changed,
            light_raisers.EVENT_TYPE: following.on_raisers_changed,
        }),
        # Overdue rectifications raise the item's light to red (libs/common/lights.py).
        topics.INSPECTION_EVENTS: dispatcher(ledger, {light_raisers.EVENT_TYPE: following.on_raisers_changed}),
        # A year the assessment office confirmed: its items' assessment year no longer changes.
        topics.EVALUATION_EVENTS: dispatcher(ledger, {freezing.YEAR_FROZEN: freezing.on_year_frozen}),
    })
