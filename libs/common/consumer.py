"""The idempotent consumer runner every service uses to react to other services' events.

For each record: decode the CloudEvent; in one transaction, skip it if its id was processed before,
otherwise apply the handler and store the id; only then commit the offset. A RetryableError (or an
unexpected error) is retried with backoff; after `max_attempts`, or at once for InvalidMessage, the
record goes to the dead-letter topic with the error and the offset moves on.

Records that are already waiting are taken together: one transaction applies them, each in its own
savepoint, and one offset commit follows. The first record that fails ends the batch (what came
before it commits) and is handled alone, with its retries; so a burst costs one commit, not one per
record, and a failure still touches only its own record.

A runner given `skip_before_ms` passes over records older than that moment (Kafka's record timestamp)
without applying them: a test stack that shares its broker with the stacks before it starts where it was
born instead of replaying their events into its own read models. Production never sets it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import confluent_kafka
from sqlalchemy import select

from libs.common import metrics, topics
from libs.common.cloudevents import CloudEvent, InvalidEvent, from_headers, header_pairs
from libs.common.db import UnitOfWork, UnitOfWorkFactory
from libs.common.kafka import Producer, consumer_config, ensure_topics
from libs.common.outbox import processed_events

logger = logging.getLogger(__name__)

LAG_TIMEOUT_SECONDS = 2.0  # one broker request of a lag measurement; the loop waits this long at worst
OFFSET_RESETS_TO_START = ("earliest", "smallest", "beginning")

Handler = Callable[[UnitOfWork, CloudEvent], None]
C = TypeVar("C")


def record_event(msg: confluent_kafka.Message) -> CloudEvent:
    """The CloudEvent of a record, with the topic, partition and offset it was read at."""
    return from_headers(msg.headers(), msg.value(), msg.topic() or "", msg.partition() or 0, msg.offset() or 0)


def dispatcher(core: C, use_cases: Mapping[str, Callable[[C, UnitOfWork, CloudEvent], None]]) -> Handler:
    """A service's consumer: each event type it cares about goes to one use case (which decodes the
    event and applies it in the consumer's transaction); other types are not its business."""

    def handle(tx: UnitOfWork, event: CloudEvent) -> None:
        use_case = use_cases.get(event.type)
        if use_case is not None:
            use_case(core, tx, event)

    return handle


def by_topic(handlers: Mapping[str, Handler]) -> Handler:
    """One consumer of several topics: each event goes to the handler of the topic its source service
    publishes (topics.SOURCE_OF, by the event's CloudEvents source), so two services may use the same
    event type (item.raisers_changed) and one's events never reach the use cases written for the
    other's. Events from a source none of `handlers` names are not this consumer's business."""
    by_source = {topics.event_source(topics.SOURCE_OF[topic]): handler for topic, handler in handlers.items()}

    def handle(tx: UnitOfWork, event: CloudEvent) -> None:
        handler = by_source.get(event.source)
        if handler is not None:
            handler(tx, event)

    return handle


class RetryableError(Exception):
    """A temporary failure (a dependency is down): don't commit, try the same record again."""


class InvalidMessage(Exception):
    """The record can never be applied: dead-letter it."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        topics_: list[str],
        handler: Handler,
        uow: UnitOfWorkFactory,
        producer: Producer,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        batch_size: int = 200,
        extra_config: dict[str, Any] | None = None,
        lag_every_seconds: float = 10.0,
        skip_before_ms: int = 0,
    ) -> None:
        self.name = name
        self.topics = topics_
        self.handler = handler
        self.uow = uow
        self.producer = producer
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.batch_size = max(1, batch_size)
        self.lag_every_seconds = lag_every_seconds
        self.skip_before_ms = skip_before_ms
        self._config = consumer_config(bootstrap, name, extra_config)
        self.dead_letter_topic = topics.dead_letter(name)

    def apply(self, event: CloudEvent) -> str:
        """Apply one event exactly once; returns 'applied' or 'duplicate'."""
        with self.uow() as tx:
            seen = tx.session.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == self.name, processed_events.c.event_id == event.id
                )
            ).first()
            if seen:
                return "duplicate"
            self.handler(tx, event)
            tx.session.execute(
                processed_events.insert().values(
                    consumer=self.name, event_id=event.id, processed_at=dt.datetime.now(dt.UTC)
                )
            )
            tx.commit()
        return "applied"

    def apply_batch(self, events: list[CloudEvent]) -> list[str]:
        """Apply events in order in one transaction, each in a savepoint; stops before the first that
        fails. Returns the outcomes of the events it got through (a prefix of `events`)."""
        outcomes: list[str] = []
        with self.uow() as tx:
            seen = {row.event_id for row in tx.session.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == self.name,
                    processed_events.c.event_id.in_([e.id for e in events])))}
            now = dt.datetime.now(dt.UTC)
            # A savepoint only isolates a failing record from the others; alone, the transaction does
            # (two round trips fewer per record when records trickle in one at a time).
            isolate = tx.savepoint if len(events) > 1 else contextlib.nullcontext
            for event in events:
                if event.id in seen:
                    outcomes.append("duplicate")
                    continue
                try:
                    with isolate():
                        self.handler(tx, event)
                        tx.session.execute(processed_events.insert().values(
                            consumer=self.name, event_id=event.id, processed_at=now))
                except Exception:  # noqa: BLE001 - handled alone, with retries, by handle_record
                    break
                seen.add(event.id)
                outcomes.append("applied")
            if outcomes:
                tx.commit()
        return outcomes

    def _before_start(self, msg: confluent_kafka.Message) -> bool:
        """Whether a record predates this runner's `skip_before_ms` (never, unless that is set)."""
        if not self.skip_before_ms:
            return False
        kind, stamp = msg.timestamp()
        return kind != confluent_kafka.TIMESTAMP_NOT_AVAILABLE and stamp < self.skip_before_ms

    def handle_batch(self, msgs: list[confluent_kafka.Message], stop: threading.Event) -> list[confluent_kafka.Message]:
        """Apply a batch in order; returns the records handled (applied, duplicate, dead-lettered or
        skipped), in the order they came, so a commit never passes a record that was not handled."""
        handled: list[confluent_kafka.Message] = []
        i = 0
        while i < len(msgs):
            run: list[tuple[confluent_kafka.Message, CloudEvent]] = []
            while i < len(msgs):
                if self._before_start(msgs[i]):
                    break  # passed over below, after the events before it
                try:
                    run.append((msgs[i], record_event(msgs[i])))
                except InvalidEvent:
                    break  # dead-lettered below, after the events before it
                i += 1
            if run:
                try:
                    outcomes = self.apply_batch([event for _, event in run])
                except Exception as exc:  # noqa: BLE001 - e.g. the database is down: one by one, with retries
                    logger.warning("consumer %s: batch of %s not applied (%s); one by one", self.name, len(run), exc)
                    outcomes = []
                for outcome in outcomes:
                    metrics.CONSUMED.labels(self.name, outcome).inc()
                handled.extend(msg for msg, _ in run[:len(outcomes)])
                for msg, _ in run[len(outcomes):]:
                    metrics.CONSUMED.labels(self.name, self.handle_record(msg, stop)).inc()
                    handled.append(msg)
            if i < len(msgs) and self._before_start(msgs[i]):
                metrics.CONSUMED.labels(self.name, "skipped").inc()
                handled.append(msgs[i])
                i += 1
            elif i < len(msgs):  # a record that is not a CloudEvent
                metrics.CONSUMED.labels(self.name, self.handle_record(msgs[i], stop)).inc()
                handled.append(msgs[i])
                i += 1
        return handled

    def _dead_letter(self, msg: confluent_kafka.Message, error: str) -> None:
        headers = header_pairs(msg.headers()) + [
            ("dlq_error", error[:2000].encode()),
            ("dlq_topic", (msg.topic() or "").encode()),
            ("dlq_partition", str(msg.partition()).encode()),
            ("dlq_offset", str(msg.offset()).encode()),
        ]
        key = (msg.key() or b"").decode(errors="replace")
        self.producer.produce(self.dead_letter_topic, msg.value() or b"", key, headers)
        if self.producer.flush(10):
            raise RetryableError("dead-letter topic not reachable")
        logger.error("dead-lettered %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), error)

    def handle_record(self, msg: confluent_kafka.Message, stop: threading.Event) -> str:
        try:
            event = record_event(msg)
        except InvalidEvent as exc:
            self._dead_letter(msg, f"invalid CloudEvent: {exc}")
            return "dead_lettered"
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.apply(event)
            except (InvalidMessage, InvalidEvent) as exc:
                self._dead_letter(msg, f"{type(exc).__name__}: {exc}")
                return "dead_lettered"
            except Exception as exc:  # noqa: BLE001 - RetryableError and surprises are retried, then parked
                metrics.CONSUMED.labels(self.name, "retried").inc()
                if attempt >= self.max_attempts:
                    self._dead_letter(msg, f"gave up after {attempt} attempts: {type(exc).__name__}: {exc}")
                    return "dead_lettered"
                logger.warning("retrying %s (attempt %s): %s", event.id, attempt, exc)
                if stop.wait(min(self.backoff_seconds * 2 ** (attempt - 1), 5.0)):
                    raise

    @staticmethod
    def _commit(consumer: confluent_kafka.Consumer, handled: list[confluent_kafka.Message]) -> None:
        """Commit, per partition, the offset after the last handled record (records are in order)."""
        if not handled:
            return
        last: dict[tuple[str, int], int] = {}
        for msg in handled:
            topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
            if topic is not None and partition is not None and offset is not None:  # set on every record
                last[(topic, partition)] = offset
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, partition, offset + 1)
                                 for (topic, partition), offset in last.items()], asynchronous=False)

    def report_lag(self, consumer: confluent_kafka.Consumer) -> None:
        """Set the lag gauge of each topic: the records between the group's committed offsets and the
        ends of the partitions assigned to this consumer (another replica reports its own partitions).

        A partition's end is the larger of two watermarks that can both only trail it: the one of this
        consumer's latest fetch of the partition (current while it consumes, unknown before its first
        fetch), and the broker's answer to ListOffsets (exact on Kafka; the embedded Tansu answers with
        the first offset of the partition's last record batch, up to a batch short). A measurement the
        broker does not answer in time is skipped: the gauge keeps its last value.
        """
        lag = dict.fromkeys(self.topics, 0)
        from_start = str(self._config.get("auto.offset.reset", "")) in OFFSET_RESETS_TO_START
        try:
            for committed in consumer.committed(consumer.assignment(), timeout=LAG_TIMEOUT_SECONDS):
                partition = confluent_kafka.TopicPartition(committed.topic, committed.partition)
                low, listed_end = consumer.get_watermark_offsets(partition, timeout=LAG_TIMEOUT_SECONDS)
                _, fetched_end = consumer.get_watermark_offsets(partition, cached=True)
                end = max(listed_end, fetched_end)
                if committed.offset >= 0:
                    start = committed.offset
                else:  # nothing committed yet: the group starts where auto.offset.reset says
                    start = low if from_start else end
                lag[committed.topic] = lag.get(committed.topic, 0) + max(0, end - start)
        except confluent_kafka.KafkaException as exc:
            logger.info("consumer %s: lag not measured (%s)", self.name, exc)
            return
        for topic, records in lag.items():
            metrics.CONSUMER_LAG.labels(self.name, topic).set(records)

    def run(self, stop: threading.Event, ready: threading.Event | None = None) -> None:
        # Subscribing to a topic that does not exist yet would leave this group idle until the next
        # metadata refresh: create it first (the producer side creates it the same way).
        while not stop.is_set():
            try:
                ensure_topics(self._config["bootstrap.servers"], self.topics)
                break
            except Exception as exc:  # noqa: BLE001 - broker not reachable yet: keep trying, stop-aware
                logger.warning("consumer %s: cannot create topics yet (%s)", self.name, exc)
                stop.wait(1.0)
        consumer = confluent_kafka.Consumer(self._config)
        joined = threading.Event()

        def on_assign(_consumer: confluent_kafka.Consumer, partitions: list[confluent_kafka.TopicPartition]) -> None:
            logger.info("consumer %s assigned %s", self.name, [(p.topic, p.partition) for p in partitions])
            joined.set()
            if ready:
                ready.set()

        def on_revoke(_consumer: confluent_kafka.Consumer, partitions: list[confluent_kafka.TopicPartition]) -> None:
            logger.info("consumer %s revoked %s", self.name, [(p.topic, p.partition) for p in partitions])

        consumer.subscribe(self.topics, on_assign=on_assign, on_revoke=on_revoke)
        lag_due = 0.0
        try:
            while not stop.is_set():
                if joined.is_set() and time.monotonic() >= lag_due:
                    self.report_lag(consumer)
                    lag_due = time.monotonic() + self.lag_every_seconds
                first = consumer.poll(0.25)  # wait for one record, then take what else is already here
                if first is None:
                    continue
                msgs = [first, *consumer.consume(num_messages=self.batch_size - 1, timeout=0)]
                for msg in msgs:
                    error = msg.error()
                    if error is not None and error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
                        logger.warning("consumer %s: %s", self.name, error)
                msgs = [msg for msg in msgs if not msg.error()]
                handled: list[confluent_kafka.Message] = []
                try:
                    handled = self.handle_batch(msgs, stop)
                except Exception:  # noqa: BLE001 - stopping mid-retry: leave that offset uncommitted
                    logger.info("consumer %s stopping before all of a batch was applied", self.name)
                    break
                finally:
                    self._commit(consumer, handled)
        finally:
            # Leaving a group that is still forming has been seen to wedge it on the embedded broker
            # (the next member never gets partitions): finish joining first, bounded, then leave.
            deadline = time.monotonic() + 10
            while not joined.is_set() and time.monotonic() < deadline:
                consumer.poll(0.1)  # anything fetched here is not applied nor committed: it comes again
            consumer.close()
