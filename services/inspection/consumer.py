"""What inspection hears from the ledger (items registered and edited) and tracking (their status),
dispatched by topic to its use cases."""

from __future__ import annotations

from libs.common import topics
from libs.common.consumer import Handler, by_topic, dispatcher
from services.inspection import following
from services.inspection.context import Inspection

GROUP = "inspection-item-events"


def handler(inspection: Inspection) -> Handler:
    return by_topic({
        topics.LEDGER_EVENTS: dispatcher(inspection, {
            "item.registered": following.on_item_registered,
            "item.updated": following.on_item_updated,
        }),
        topics.TRACKING_EVENTS: dispatcher(inspection, {"item.status_changed": following.on_status_changed}),
    })
