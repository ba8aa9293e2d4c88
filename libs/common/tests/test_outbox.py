"""The outbox against the real broker: batches of events read back as the same CloudEvents, and the
relay waits while a bulk job holds it, then sends everything (and never waits past its bound)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import confluent_kafka
import orjson
import pytest
from sqlalchemy import select

from duban.tracking.v1 import events_pb2
from libs.common.cloudevents import FieldsEncoder, from_headers, new_event
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.kafka import Producer, ensure_topics
from libs.common.outbox import EventBatch, OutboxEvent, OutboxRelay, RelayHold, outbox, pending_count, runtime_metadata
from libs.common.testing import postgres_database

NOW = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
OVERDUE = FieldsEncoder(events_pb2.ItemOverdue)


def _overdue(item_id: str) -> events_pb2.ItemOverdue:
    return events_pb2.ItemOverdue(item_id=item_id, item_no=f"DB-{item_id}", due_date="2026-11-20", day="2026-11-26",
                                  working_days_late=4, unit_ids=["fgj", "czj"])


def _batch(topic: str, item_ids: list[str]) -> EventBatch:
    events = [(i, OVERDUE(item_id=i, item_no=f"DB-{i}", due_date="2026-11-20", day="2026-11-26",
                          working_days_late=4, unit_ids=["fgj", "czj"])) for i in item_ids]
    return EventBatch(topic, "item.overdue", "duban/tracking", OVERDUE.dataschema, NOW, events)


def _uow(tmp_path, name: str) -> UnitOfWorkFactory:
    engine = make_engine(f"sqlite:///{tmp_path}/{name}.db")
    runtime_metadata.create_all(engine)
    return UnitOfWorkFactory(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """An outbox database of each kind (on PostgreSQL the relay locks its rows and plans differently)."""
    if request.param == "sqlite":
        yield _uow(tmp_path, "relay")
        return
    with postgres_database("duban_outbox") as url:
        engine = make_engine(url)
        runtime_metadata.create_all(engine)
        yield UnitOfWorkFactory(engine)
        engine.dispose()


def test_a_batch_writes_the_rows_its_events_one_by_one_would(tmp_path) -> None:
    uow = _uow(tmp_path, "rows")
    with uow() as tx:
        tx.publish(_batch("t", ["a1", "a2", "a3"]))
        for i in ("b1", "b2"):
            tx.publish(OutboxEvent("t", i, new_event("item.overdue", "duban/tracking", i, _overdue(i), NOW)))
        tx.commit()
    with uow.engine.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.seq)).all()
    events = [from_headers([(k, v.encode()) for k, v in orjson.loads(r.headers)], r.payload) for r in rows]
    assert [r.key for r in rows] == [e.subject for e in events] == ["a1", "a2", "a3", "b1", "b2"]
    assert all(r.event_id == e.id for r, e in zip(rows, events, strict=True))
    assert len({e.id for e in events}) == 5
    for e in events:
        assert (e.type, e.source, e.time, e.dataschema) == ("item.overdue", "duban/tracking", NOW,
                                                            "duban.tracking.v1.ItemOverdue")
        assert e.decode(events_pb2.ItemOverdue()) == _overdue(e.subject)
    # The same event, batched or not, has the same headers but for its id.
    batched, single = (orjson.loads(rows[0].headers), orjson.loads(rows[3].headers))
    assert [k for k, _ in batched] == [k for k, _ in single]


def _read(bootstrap: str, topic: str, want: int, seconds: float = 20.0) -> list[confluent_kafka.Message]:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex[:8]}",
                                         "enable.auto.commit": False})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        got: list[confluent_kafka.Message] = []
        deadline = time.monotonic() + seconds
        while len(got) < want and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                got.append(message)
        return got
    finally:
        consumer.close()


def _relay(uow: UnitOfWorkFactory, bootstrap: str, hold: RelayHold,
           linger_seconds: float = 0.005) -> tuple[threading.Event, threading.Thread]:
    relay = OutboxRelay(uow.engine, Producer(bootstrap, client_id="test-relay"), service="test",
                        wakeup=uow.events_written, hold=hold, idle_poll_seconds=0.1, linger_seconds=linger_seconds)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def _wait_sent(uow: UnitOfWorkFactory, seconds: float = 20.0) -> float:
    started = time.monotonic()
    while pending_count(uow.engine) and time.monotonic() - started < seconds:
        time.sleep(0.05)
    return time.monotonic() - started


def test_the_relay_waits_for_a_bulk_job_then_sends_all_of_it(broker, database) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    uow = database
    stop, thread = _relay(uow, broker.bootstrap, uow.relay_hold)
    try:
        with uow() as tx:  # the relay is up and sending
            tx.publish(_batch(topic, ["first"]))
            tx.commit()
        assert _wait_sent(uow) < 20 and pending_count(uow.engine) == 0
        ids = [f"i{n:04d}" for n in range(5000)]  # more than one relay batch
        with uow.bulk():
            for chunk in (ids[:2500], ids[2500:]):
                with uow() as tx:
                    tx.publish(_batch(topic, chunk))
                    tx.commit()
                time.sleep(0.5)  # the relay was woken by the commit, and waits
                assert pending_count(uow.engine) == len(ids[:ids.index(chunk[-1]) + 1])
        assert _wait_sent(uow) < 20 and pending_count(uow.engine) == 0
        got = _read(broker.bootstrap, topic, 1 + len(ids))
        assert [(m.key() or b"").decode() for m in got] == ["first", *ids]  # all of them, once, in order
    finally:
        stop.set()
        thread.join(10)


def test_a_lone_commit_is_sent_at_once_and_only_queued_commits_linger(broker, tmp_path) -> None:
    """The relay lingers (here two whole seconds, to be seen) only while commits queue behind each other:
    an event committed after a quiet spell goes out without that wait."""
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    uow = _uow(tmp_path, "linger")
    stop, thread = _relay(uow, broker.bootstrap, uow.relay_hold, linger_seconds=2.0)
    try:
        with uow() as tx:  # the producer's connection and the topic's metadata, once
            tx.publish(_batch(topic, ["warm"]))
            tx.commit()
        assert _wait_sent(uow) < 20
        time.sleep(0.3)
        with uow() as tx:
            tx.publish(_batch(topic, ["lone"]))
            tx.commit()
        assert _wait_sent(uow, seconds=5) < 1.2  # not the linger's 2 s
        for n in range(20):  # a run of commits: every one is sent, in batches
            with uow() as tx:
                tx.publish(_batch(topic, [f"run{n:02d}"]))
                tx.commit()
        assert _wait_sent(uow) < 20 and pending_count(uow.engine) == 0
        got = _read(broker.bootstrap, topic, 22)
        assert [(m.key() or b"").decode() for m in got] == ["warm", "lone", *[f"run{n:02d}" for n in range(20)]]
    finally:
        stop.set()
        thread.join(10)


def test_a_hold_delays_the_relay_at_most_its_bound(broker, tmp_path) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], partitions=1)
    uow = _uow(tmp_path, "bound")
    hold = RelayHold(max_seconds=1.0)
    stop, thread = _relay(uow, broker.bootstrap, hold)
    try:
        with hold():  # a job that never lets go
            with uow() as tx:
                tx.publish(_batch(topic, ["stuck"]))
                tx.commit()
            assert _wait_sent(uow, seconds=15) < 15
            assert pending_count(uow.engine) == 0
    finally:
        stop.set()
        thread.join(10)
