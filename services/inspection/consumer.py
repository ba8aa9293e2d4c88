"""What inspection hears from the ledger and tracking, dispatched to its use cases."""

from __future__ import annotations

from libs.common.consumer import Handler, dispatcher
from services.inspection import following
from services.inspection.context import Inspection

GROUP = "inspection-item-events"


def handler(inspection: Inspection) -> Handler:
    return dispatcher(inspection, {
        "item.registered": following.on_item_registered,
        "item.updated": following.on_item_updated,
        "item.status_changed": following.on_status_changed,
    })
