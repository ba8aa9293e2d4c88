"""The retained outbox as a log (ListEvents, pruning) and the reconciler against it, over real gRPC."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from duban.common.v1 import common_pb2
from duban.tracking.v1 import events_pb2
from libs.common import eventlog, topics
from libs.common.call_auth import KeySet, Verifier
from libs.common.cloudevents import CloudEvent, from_headers, new_event
from libs.common.consumer import ConsumerRunner, InvalidMessage
from libs.common.db import UnitOfWork, UnitOfWorkFactory, make_engine
from libs.common.grpc_server import RunningServer, create_server
from libs.common.outbox import OutboxEvent, outbox, processed_events, runtime_metadata
from libs.common.reconcile import Reconciler
from libs.common.service_app import ServiceParts
from libs.common.service_table import SERVICES, ServiceRow, service
from libs.common.testing import call_keys

TOPIC = "duban.test.events.v1"
NOW = dt.datetime.now(dt.UTC)


def _uow(tmp_path, name: str) -> UnitOfWorkFactory:
    engine = make_engine(f"sqlite:///{tmp_path}/{name}.db")
    runtime_metadata.create_all(engine)
    return UnitOfWorkFactory(engine)


def _publish(uow: UnitOfWorkFactory, subjects: list[str], sent_ago: dt.timedelta | None = dt.timedelta(hours=1)) -> None:
    with uow() as tx:
        for subject in subjects:
            tx.publish(OutboxEvent(TOPIC, subject, new_event("item.urged", "duban/test", subject,
                                                             events_pb2.ItemUrged(item_id=subject), NOW)))
        tx.commit()
    if sent_ago is not None:
        with uow.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.sent_at.is_(None)).values(
                sent_at=dt.datetime.now(dt.UTC) - sent_ago))


@pytest.fixture
def source(tmp_path) -> Iterator[tuple[UnitOfWorkFactory, RunningServer]]:
    uow = _uow(tmp_path, "source")
    server = create_server(service="source", registrations=eventlog.registrations(uow.engine),
                           verifier=Verifier(KeySet.load(call_keys().trusted), "source"), port=0, host="127.0.0.1")
    yield uow, server
    server.stop(0)
    uow.engine.dispose()


class Recorder:
    """A consumer's handler that records what it applied; `refuse` makes it fail for some subjects."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.refuse: dict[str, Exception] = {}

    def __call__(self, tx: UnitOfWork, event: CloudEvent) -> None:
        if event.subject in self.refuse:
            raise self.refuse[event.subject]
        self.applied.append(event.subject)


def _reconciler(tmp_path, server: RunningServer, handler: Recorder) -> Reconciler:
    runner = ConsumerRunner(name="sink-group", bootstrap="127.0.0.1:1", topics_=[TOPIC], handler=handler,
                            uow=_uow(tmp_path, "sink"), producer=None)  # type: ignore[arg-type]
    return Reconciler(service="sink", runner=runner, source="source", topic=TOPIC, signer=call_keys().signer("ledger"),
                      address=f"127.0.0.1:{server.port}", settle_seconds=5, page_size=3)


def _gap() -> float:
    return REGISTRY.get_sample_value("duban_reconcile_gap_events_total", {"service": "sink", "source": "source"}) or 0


def test_list_events_stops_at_the_first_event_still_on_its_way(tmp_path) -> None:
    uow = _uow(tmp_path, "log")
    _publish(uow, ["a", "b"])
    _publish(uow, ["c"], sent_ago=dt.timedelta(seconds=1))  # sent, not settled
    _publish(uow, ["d"])
    request = common_pb2.ListEventsRequest(topic=TOPIC, after_seq=0, settle_seconds=5)
    answer = eventlog.list_events(uow.engine, request)
    assert [e.key for e in answer.events] == ["a", "b"] and answer.oldest_seq == 1 and not answer.more
    assert answer.events[0].headers["ce_type"] == "item.urged"
    _publish(uow, ["e"], sent_ago=None)  # pending
    later = eventlog.list_events(uow.engine, request, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10))
    assert [e.key for e in later.events] == ["a", "b", "c", "d"]  # stops before the pending one
    page = eventlog.list_events(uow.engine, common_pb2.ListEventsRequest(topic=TOPIC, after_seq=1, limit=2))
    assert [e.seq for e in page.events] == [2, 3] and page.more
    assert not eventlog.list_events(uow.engine, common_pb2.ListEventsRequest(topic="other", after_seq=0)).events


def test_pruning_deletes_only_sent_rows_past_the_retention_in_bounded_batches(tmp_path) -> None:
    uow = _uow(tmp_path, "prune")
    _publish(uow, [f"old{i}" for i in range(7)], sent_ago=dt.timedelta(days=8))
    _publish(uow, ["recent"], sent_ago=dt.timedelta(days=1))
    _publish(uow, ["pending"], sent_ago=None)
    assert eventlog.prune_sent(uow.engine, dt.timedelta(days=7), "test", batch_size=5) == 5
    assert eventlog.prune_sent(uow.engine, dt.timedelta(days=7), "test", batch_size=5) == 2
    assert eventlog.prune_sent(uow.engine, dt.timedelta(days=7), "test", batch_size=5) == 0
    with uow.engine.connect() as conn:
        assert sorted(r.key for r in conn.execute(select(outbox.c.key))) == ["pending", "recent"]
    # The newest row is kept even when expired (SQLite would number the next row from an empty table's 1).
    _publish(uow, ["last"], sent_ago=dt.timedelta(days=8))
    with uow.engine.begin() as conn:
        conn.execute(update(outbox).values(sent_at=NOW - dt.timedelta(days=9)))
    assert eventlog.prune_sent(uow.engine, dt.timedelta(days=7), "test") == 2
    with uow.engine.connect() as conn:
        assert [r.key for r in conn.execute(select(outbox.c.key))] == ["last"]


def test_the_reconciler_applies_what_is_missing_once_and_moves_its_checkpoint(source, tmp_path) -> None:
    uow, server = source
    _publish(uow, ["i1", "i2", "i3", "i4", "i5", "i6", "i7"])
    handler = Recorder()
    reconciler = _reconciler(tmp_path, server, handler)
    reconciler.runner.apply(_event_of(uow, "i2"))  # Kafka delivered two of them already
    reconciler.runner.apply(_event_of(uow, "i5"))
    before = _gap()
    assert reconciler.run_once() == 5  # pages of 3: all seven checked
    assert handler.applied == ["i2", "i5", "i1", "i3", "i4", "i6", "i7"]
    assert reconciler.checkpoint() == 7 and _gap() - before == 5
    assert reconciler.run_once() == 0  # nothing new: nothing applied twice
    with reconciler.runner.uow.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(processed_events)).scalar_one() == 7


def test_an_event_that_fails_holds_the_checkpoint_and_a_poison_one_is_skipped(source, tmp_path) -> None:
    uow, server = source
    _publish(uow, ["p1", "p2", "p3", "p4"])
    handler = Recorder()
    handler.refuse = {"p2": InvalidMessage("never applicable"), "p3": RuntimeError("database away")}
    reconciler = _reconciler(tmp_path, server, handler)
    reconciler.run_once()
    assert handler.applied == ["p1"] and reconciler.checkpoint() == 2  # p2 skipped (as Kafka dead-letters it)
    del handler.refuse["p3"]  # the dependency is back
    reconciler.run_once()
    assert handler.applied == ["p1", "p3", "p4"] and reconciler.checkpoint() == 4


def test_events_pruned_before_they_were_checked_are_reported(source, tmp_path) -> None:
    uow, server = source
    _publish(uow, ["e1", "e2"])
    reconciler = _reconciler(tmp_path, server, Recorder())
    reconciler.run_once()
    _publish(uow, ["e3", "e4", "e5"])  # sent while this consumer was away ...
    with uow.engine.begin() as conn:  # ... for longer than the retention: all pruned
        conn.execute(update(outbox).values(sent_at=NOW - dt.timedelta(days=30)))
    assert eventlog.prune_sent(uow.engine, dt.timedelta(days=7), "source", batch_size=10) == 4  # the newest stays
    labels = {"service": "sink", "source": "source"}
    before = REGISTRY.get_sample_value("duban_reconcile_expired_total", labels) or 0
    _publish(uow, ["e6"])
    reconciler.run_once()
    assert (REGISTRY.get_sample_value("duban_reconcile_expired_total", labels) or 0) - before == 1
    assert reconciler.checkpoint() == 6 and reconciler.runner.handler.applied == ["e1", "e2", "e5", "e6"]  # type: ignore[attr-defined]


def _event_of(uow: UnitOfWorkFactory, subject: str) -> CloudEvent:
    answer = eventlog.list_events(uow.engine, common_pb2.ListEventsRequest(topic=TOPIC, after_seq=0))
    record = next(e for e in answer.events if e.key == subject)
    return from_headers([(k, v.encode()) for k, v in record.headers.items()], record.payload)


def test_the_relay_prunes_in_bounded_turns(tmp_path) -> None:
    from libs.common.outbox import OutboxRelay

    calls: list[bool] = []
    more = [True, False]  # a full batch, then the rest

    def prune() -> bool:
        calls.append(True)
        return more.pop(0) if more else False

    relay = OutboxRelay(_uow(tmp_path, "relay").engine, producer=None, service="t", prune=prune,  # type: ignore[arg-type]
                        prune_every_seconds=3600)
    relay._prune()
    relay._prune()  # the last batch was full: straight on
    relay._prune()  # that one was not: nothing until prune_every_seconds have passed
    assert len(calls) == 2


def test_reconciliation_settings() -> None:
    from libs.common.config import ConfigError, service_basics

    env = {"DUBAN_KAFKA_BOOTSTRAP": "k:9092", "DUBAN_TRACKING_ADDR": "tracking:50052"}
    basics = service_basics("ledger", 50051, 9101, env)
    assert basics["outbox_retention_hours"] == 168
    reconcile = basics["reconcile"]
    # Only the sources given an address are reconciled: never a default port another stack may hold.
    assert reconcile.source_addrs == {"tracking": "tracking:50052"}  # type: ignore[attr-defined]
    assert (reconcile.interval_seconds, reconcile.settle_seconds) == (60.0, 60)  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="DUBAN_OUTBOX_RETENTION_HOURS"):
        service_basics("ledger", 50051, 9101, {**env, "DUBAN_OUTBOX_RETENTION_HOURS": "0"})


# The inspection service's row as its issue names it (libs/common/service_table.py gets it with the
# service). The two tests below set the table as it is before and after, whichever it is now.
INSPECTION_ROW = ServiceRow("inspection", "duban.inspection.v1.InspectionService",
                            "duban.inspection.v1.inspection_pb2_grpc:InspectionServiceStub", 50053, 9103,
                            topics.INSPECTION_EVENTS, (topics.LEDGER_EVENTS, topics.TRACKING_EVENTS))
BEFORE = tuple(row for row in SERVICES if row.name != "inspection")
AFTER = (*BEFORE, INSPECTION_ROW)


def _services(monkeypatch, rows: tuple[ServiceRow, ...]) -> None:
    from libs.common import config, service_app

    monkeypatch.setattr(config, "SERVICES", rows)
    monkeypatch.setattr(service_app, "SERVICES", rows)


def _parts(env: dict[str, str]) -> ServiceParts:
    """A ledger's parts as far as consume() needs them (nothing connects)."""
    from libs.common.config import service_basics

    basics = service_basics("ledger", 50051, 9101, {"DUBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1", **env})
    return ServiceParts("ledger", "127.0.0.1:1", None, None, None, None, None,  # type: ignore[arg-type]
                        reconcile=basics["reconcile"], signer=call_keys().signer("ledger"))  # type: ignore[arg-type]


def test_a_topic_whose_service_is_not_built_yet_is_consumed_and_says_why_it_is_not_reconciled(
        monkeypatch, caplog) -> None:
    _services(monkeypatch, BEFORE)
    # Even an address given too early (no row: nobody reads DUBAN_INSPECTION_ADDR) changes nothing.
    parts = _parts({"DUBAN_TRACKING_ADDR": "127.0.0.1:2", "DUBAN_INSPECTION_ADDR": "127.0.0.1:3"})
    with caplog.at_level(logging.INFO, logger="libs.common.service_app"):
        runner = parts.consume("ledger-tracking-events", list(service("ledger").consumes), lambda tx, event: None)
    # one group, every topic (evaluation's too: no row yet, so read from the broker only)
    assert runner.topics == [topics.TRACKING_EVENTS, topics.INSPECTION_EVENTS, topics.EVALUATION_EVENTS]
    assert [(r.source, r.topic) for r in parts.reconcilers] == [("tracking", topics.TRACKING_EVENTS)]
    said = [r.getMessage() for r in caplog.records]
    assert ("ledger: duban.inspection.events.v1 is read from the broker only, not reconciled: its source service "
            "inspection is not in libs/common/service_table.py yet (no event log to ask)") in said


def test_once_the_service_has_its_row_and_address_its_topic_is_reconciled(monkeypatch, caplog) -> None:
    _services(monkeypatch, AFTER)
    parts = _parts({"DUBAN_TRACKING_ADDR": "127.0.0.1:2", "DUBAN_INSPECTION_ADDR": "127.0.0.1:3"})
    parts.consume("ledger-tracking-events", list(service("ledger").consumes), lambda tx, event: None)
    assert [(r.source, r.topic, r.address) for r in parts.reconcilers] == [
        ("tracking", topics.TRACKING_EVENTS, "127.0.0.1:2"), ("inspection", topics.INSPECTION_EVENTS, "127.0.0.1:3")]
    # The row without an address (the chart before inspection is enabled): not reconciled, and why.
    parts = _parts({"DUBAN_TRACKING_ADDR": "127.0.0.1:2"})
    with caplog.at_level(logging.INFO, logger="libs.common.service_app"):
        parts.consume("ledger-tracking-events", list(service("ledger").consumes), lambda tx, event: None)
    assert [r.source for r in parts.reconcilers] == ["tracking"]
    assert ("ledger: duban.inspection.events.v1 from inspection is not reconciled: no address for inspection "
            "(DUBAN_INSPECTION_ADDR)") in [r.getMessage() for r in caplog.records]
