"""What evaluation hears: every event of the ledger, tracking, inspection and notification, archived and
scored by recording.on_event (scoring.py decides what each type means)."""

from __future__ import annotations

from libs.common import topics
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import Handler, by_topic
from libs.common.db import UnitOfWork
from services.evaluation import recording
from services.evaluation.context import Evaluation

GROUP = "evaluation-events"
CONSUMED = (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS, topics.INSPECTION_EVENTS, topics.NOTIFICATION_EVENTS)


def handler(e: Evaluation) -> Handler:
    def every_event(tx: UnitOfWork, event: CloudEvent) -> None:
        recording.on_event(e, tx, event)

    return by_topic({topic: every_event for topic in CONSUMED})
