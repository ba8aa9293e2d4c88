"""What the ledger hears from tracking, dispatched to the use cases that apply it (following.py)."""

from __future__ import annotations

from libs.common.consumer import Handler, dispatcher
from services.ledger import following
from services.ledger.context import Ledger

GROUP = "ledger-tracking-events"


def handler(ledger: Ledger) -> Handler:
    return dispatcher(ledger, {
        "item.assigned": following.on_assigned,
        "extension.approved": following.on_extension_approved,
        "extension.rejected": following.on_extension_rejected,
        "item.urged": following.on_urged,
        "item.replied": following.on_replied,
        "item.closed": following.on_closed,
        "item.status_changed": following.on_status_changed,
        "item.raisers_changed": following.on_raisers_changed,
    })
