"""Every Kafka topic name, in one place. One topic per service's event stream; key = item id."""

LEDGER_EVENTS = "duban.ledger.events.v1"
TRACKING_EVENTS = "duban.tracking.events.v1"
INSPECTION_EVENTS = "duban.inspection.events.v1"
NOTIFICATION_EVENTS = "duban.notification.events.v1"
EVALUATION_EVENTS = "duban.evaluation.events.v1"


def dead_letter(consumer_group: str) -> str:
    """Poison records of one consumer group go to its own dead-letter topic, with the error."""
    return f"duban.dlq.{consumer_group}"


ALL_EVENT_TOPICS = (LEDGER_EVENTS, TRACKING_EVENTS, INSPECTION_EVENTS, NOTIFICATION_EVENTS, EVALUATION_EVENTS)

# The service that produces each event topic: a consumer reconciles a topic against its source.
SOURCE_OF = {LEDGER_EVENTS: "ledger", TRACKING_EVENTS: "tracking", INSPECTION_EVENTS: "inspection",
             NOTIFICATION_EVENTS: "notification", EVALUATION_EVENTS: "evaluation"}  # the service that publishes it


def event_source(service: str) -> str:
    """The CloudEvents `source` of a service's events ("duban/<service>"): a consumer that reads the
    topics of several services tells their events apart by it (libs.common.consumer.by_topic)."""
    return f"duban/{service}"
