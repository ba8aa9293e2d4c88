"""What notification hears from the ledger (items), tracking (their course, what raises their lights, urges
and overdue days) and inspection (problems and their rectification, escalations), dispatched by topic to
the projection's use cases and the reminders'."""

from __future__ import annotations

from libs.common import topics
from libs.common.consumer import Handler, by_topic, dispatcher
from services.notification import following, reminding
from services.notification.context import Notification

GROUP = "notification-item-events"


def handler(n: Notification) -> Handler:
    return by_topic({
        topics.LEDGER_EVENTS: dispatcher(n, {
            "item.registered": following.on_item_registered,
            "item.updated": following.on_item_updated,
        }),
        topics.TRACKING_EVENTS: dispatcher(n, {
            "item.assigned": following.on_item_assigned,
            "extension.approved": following.on_extension_approved,
            "item.closed": following.on_item_closed,
            "item.status_changed": following.on_status_changed,
            "progress.reported": following.on_progress_reported,
            "item.raisers_changed": following.on_raisers_changed,
            "item.urged": reminding.on_item_urged,
            "item.overdue": reminding.on_item_overdue,
        }),
        topics.INSPECTION_EVENTS: dispatcher(n, {
            "finding.recorded": following.on_finding_recorded,
            "rectification.ordered": following.on_rectification_changed,
            "rectification.reported": following.on_rectification_changed,
            "rectification.verified": following.on_rectification_changed,
            "rectification.overdue": reminding.on_rectification_overdue,
            "escalation.raised": reminding.on_escalation_raised,
            "item.raisers_changed": following.on_raisers_changed,
        }),
    })
