"""The idempotent consumer runner against the real broker: dedupe, retry, dead letters, commits."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import confluent_kafka
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Column, MetaData, String, Table, select

from duban.common.v1 import common_pb2
from libs.common import topics
from libs.common.cloudevents import header_pairs, new_event
from libs.common.consumer import ConsumerRunner, InvalidMessage, RetryableError
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.kafka import Producer, consumer_config, ensure_topics
from libs.common.outbox import processed_events, runtime_metadata

NOW = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
test_metadata = MetaData()
applied = Table("applied", test_metadata, Column("event_id", String, primary_key=True), Column("name", String))


def event(name: str, event_id: str | None = None):
    return new_event("test.happened", "duban/test", name, common_pb2.Actor(name=name), NOW, event_id=event_id)


@pytest.mark.slow
def test_runner_applies_once_retries_and_dead_letters(broker, tmp_path) -> None:
    topic = f"test.consumer.{uuid.uuid4().hex[:8]}"
    group = f"test-group-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    engine = make_engine(f"sqlite:///{tmp_path}/consumer.db")
    runtime_metadata.create_all(engine)
    test_metadata.create_all(engine)
    uow = UnitOfWorkFactory(engine)
    failures = {"flaky": 2}

    def handler(tx, ev) -> None:
        name = ev.decode(common_pb2.Actor()).name
        if name == "poison":
            raise InvalidMessage("cannot apply poison")
        if failures.get(name, 0) > 0:
            failures[name] -= 1
            raise RetryableError("dependency down")
        tx.session.execute(applied.insert().values(event_id=ev.id, name=name))

    producer = Producer(broker.bootstrap, "test")
    runner = ConsumerRunner(name=group, bootstrap=broker.bootstrap, topics_=[topic], handler=handler, uow=uow,
                            producer=producer, backoff_seconds=0.05)
    first = event("first")
    records = [first, first, event("flaky"), event("poison")]
    for ev in records:
        producer.produce(topic, ev.data, ev.subject, ev.headers())
    producer.produce(topic, b"not an event", "k", [])  # no CloudEvents headers at all
    last = event("last")  # one partition, in order: once "last" is applied, everything before was handled
    producer.produce(topic, last.data, last.subject, last.headers())
    records.append(last)
    assert producer.flush(10) == 0

    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                names = [r.name for r in conn.execute(select(applied))]
            if "last" in names:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(15)
    assert sorted(names) == ["first", "flaky", "last"]  # the duplicate delivery applied once

    # Dead letters keep the original record and say why; read raw (one of them is not a CloudEvent).
    dlq_topic = topics.dead_letter(group)
    dlq = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "dlq-check"})
    partitions = dlq.list_topics(dlq_topic, timeout=10).topics[dlq_topic].partitions
    dlq.assign([confluent_kafka.TopicPartition(dlq_topic, p, confluent_kafka.OFFSET_BEGINNING) for p in partitions])
    errors: list[str] = []
    deadline = time.monotonic() + 10
    while len(errors) < 2 and time.monotonic() < deadline:
        msg = dlq.poll(0.2)
        if msg is not None and not msg.error():
            error = dict(header_pairs(msg.headers()))["dlq_error"]
            errors.append(error.decode() if isinstance(error, bytes) else str(error))
    dlq.close()
    assert any("cannot apply poison" in e for e in errors)
    assert any("missing CloudEvents headers" in e for e in errors)

    # Offsets were committed after each effect: the group's position is the end of the topic.
    check = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    committed = check.committed([confluent_kafka.TopicPartition(topic, 0)], timeout=10)[0].offset
    check.close()
    assert committed == len(records) + 1
    engine.dispose()


@pytest.mark.slow
def test_a_member_stopped_while_joining_does_not_wedge_the_group(broker, tmp_path) -> None:
    """Seen on the embedded broker: leaving a group mid-join left the next member without partitions."""
    topic = f"test.rejoin.{uuid.uuid4().hex[:8]}"
    group = f"test-rejoin-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    engine = make_engine(f"sqlite:///{tmp_path}/rejoin.db")
    runtime_metadata.create_all(engine)
    test_metadata.create_all(engine)
    uow = UnitOfWorkFactory(engine)

    def handler(tx, ev) -> None:
        tx.session.execute(applied.insert().values(event_id=ev.id, name=ev.decode(common_pb2.Actor()).name))

    producer = Producer(broker.bootstrap, "test")

    def runner() -> ConsumerRunner:
        return ConsumerRunner(name=group, bootstrap=broker.bootstrap, topics_=[topic], handler=handler, uow=uow,
                              producer=producer)

    stop = threading.Event()
    early = threading.Thread(target=runner().run, args=(stop,))
    early.start()
    time.sleep(0.5)  # well before the ~3 s join completes
    stop.set()
    early.join(20)
    stop2 = threading.Event()
    late = threading.Thread(target=runner().run, args=(stop2,))
    late.start()
    ev = event("after-restart")
    producer.produce(topic, ev.data, ev.subject, ev.headers())
    assert producer.flush(10) == 0
    try:
        deadline = time.monotonic() + 30
        names: list[str] = []
        while time.monotonic() < deadline and "after-restart" not in names:
            with engine.connect() as conn:
                names = [r.name for r in conn.execute(select(applied))]
            time.sleep(0.1)
    finally:
        stop2.set()
        late.join(20)
        engine.dispose()
    assert "after-restart" in names


def _lag(consumer: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value("duban_consumer_lag_records", {"consumer": consumer, "topic": topic})


def test_lag_is_from_the_committed_offset_to_the_partition_end(broker, tmp_path) -> None:
    """Twelve records in a few produce batches, five committed: seven behind. Tansu answers ListOffsets
    with the first offset of the last batch, not the end, so the end comes from the consumer's own fetch."""
    topic = f"test.lag.{uuid.uuid4().hex[:8]}"
    group = f"test-lag-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    producer = Producer(broker.bootstrap, "test", {"linger.ms": 50})
    for batch in range(3):
        for i in range(4):
            ev = event(f"lag-{batch}-{i}")
            producer.produce(topic, ev.data, ev.subject, ev.headers())
        assert producer.flush(10) == 0
    runner = ConsumerRunner(name=group, bootstrap=broker.bootstrap, topics_=[topic], handler=lambda tx, ev: None,
                            uow=UnitOfWorkFactory(make_engine(f"sqlite:///{tmp_path}/lag.db")), producer=producer)
    consumer = confluent_kafka.Consumer(consumer_config(broker.bootstrap, group))
    partition = confluent_kafka.TopicPartition(topic, 0)
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        fetched, deadline = 0, time.monotonic() + 20
        while fetched < 12 and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            fetched += msg is not None and not msg.error()
        assert fetched == 12
        runner.report_lag(consumer)
        assert _lag(group, topic) == 12  # nothing committed: the group starts at the beginning
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 5)], asynchronous=False)
        runner.report_lag(consumer)
        assert _lag(group, topic) == 7
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 12)], asynchronous=False)
        runner.report_lag(consumer)
        assert _lag(group, topic) == 0
        # ListOffsets alone would not do: on Tansu it says 9 here (7 and 12 above would read 4 and 9).
        assert consumer.get_watermark_offsets(partition, timeout=5)[1] <= 12
    finally:
        consumer.close()


def test_a_running_consumer_reports_its_lag(broker, tmp_path) -> None:
    topic = f"test.lagrun.{uuid.uuid4().hex[:8]}"
    group = f"test-lagrun-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    engine = make_engine(f"sqlite:///{tmp_path}/lagrun.db")
    runtime_metadata.create_all(engine)
    producer = Producer(broker.bootstrap, "test")
    for i in range(5):
        ev = event(f"run-{i}")
        producer.produce(topic, ev.data, ev.subject, ev.headers())
    assert producer.flush(10) == 0
    runner = ConsumerRunner(name=group, bootstrap=broker.bootstrap, topics_=[topic], handler=lambda tx, ev: None,
                            uow=UnitOfWorkFactory(engine), producer=producer, lag_every_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                done = conn.execute(select(processed_events.c.event_id)).all()
            if len(done) == 5 and _lag(group, topic) == 0:
                break
            time.sleep(0.1)
        assert len(done) == 5 and _lag(group, topic) == 0
    finally:
        stop.set()
        thread.join(15)
    engine.dispose()


@pytest.mark.slow
def test_a_test_stack_passes_over_the_records_from_before_it_started(broker, tmp_path) -> None:
    """skip_before_ms: what an earlier stack left on the shared broker is committed past, never applied;
    what came after is applied as usual (the record timestamps the producer set, kept by the broker)."""
    topic = f"test.born.{uuid.uuid4().hex[:8]}"
    group = f"test-born-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    engine = make_engine(f"sqlite:///{tmp_path}/born.db")
    runtime_metadata.create_all(engine)
    test_metadata.create_all(engine)
    producer = Producer(broker.bootstrap, "test")

    def send(*names: str) -> None:
        for name in names:
            ev = event(name)
            producer.produce(topic, ev.data, ev.subject, ev.headers())
        assert producer.flush(10) == 0

    send("earlier-1", "earlier-2")
    time.sleep(0.05)
    born = time.time_ns() // 1_000_000
    send("mine-1", "mine-2")

    def handler(tx, ev) -> None:
        tx.session.execute(applied.insert().values(event_id=ev.id, name=ev.decode(common_pb2.Actor()).name))

    runner = ConsumerRunner(name=group, bootstrap=broker.bootstrap, topics_=[topic], handler=handler,
                            uow=UnitOfWorkFactory(engine), producer=producer, skip_before_ms=born)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        names: list[str] = []
        while time.monotonic() < deadline and "mine-2" not in names:
            with engine.connect() as conn:
                names = [r.name for r in conn.execute(select(applied))]
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(15)
    assert sorted(names) == ["mine-1", "mine-2"]
    assert REGISTRY.get_sample_value("duban_consumer_records_total", {"consumer": group, "outcome": "skipped"}) == 2
    check = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    committed = check.committed([confluent_kafka.TopicPartition(topic, 0)], timeout=10)[0].offset
    check.close()
    assert committed == 4  # the skipped records are behind the group, not waiting for it
    engine.dispose()
