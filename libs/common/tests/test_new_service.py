"""A new service is its folder plus one row: a throwaway service built from the base alone migrates,
serves health, runs one use case that writes a row and an event, the event reaches the broker, and its
consumer applies it once (also when the broker delivers it again).

Everything the service writes here is what a real one writes: its row, a migrations/versions/ file,
a Base from `orm_metadata`, settings from `service_basics`, a bootstrap building an `App`.
"""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import confluent_kafka
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duban.common.v1 import common_pb2
from libs.common.broker import Broker
from libs.common.clock import Clock
from libs.common.cloudevents import CloudEvent, new_event
from libs.common.config import ServiceSettings, service_basics
from libs.common.db import UnitOfWork, orm_metadata
from libs.common.kafka import Producer
from libs.common.outbox import OutboxEvent
from libs.common.service_app import App
from libs.common.service_table import ServiceRow
from libs.common.testing import EventReader, postgres_database, running_service


class Base(DeclarativeBase):
    metadata = orm_metadata()


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Applied(Base):
    """What the consumer did, one row per application: a second application would be a second row."""

    __tablename__ = "applied"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    note_id: Mapped[str] = mapped_column(String(64))


FIRST_REVISION = '''
    """probe: notes, what the consumer applied, and the shared runtime tables"""
    import sqlalchemy as sa
    from alembic import op

    from libs.common import migrations

    revision = "0001"
    down_revision = None
    branch_labels = None
    depends_on = None


    def upgrade() -> None:
        migrations.create_runtime_tables()
        op.create_table("notes", sa.Column("id", sa.String(64), primary_key=True), sa.Column("text", sa.String(200)))
        op.create_table("applied", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("event_id", sa.String(64)), sa.Column("note_id", sa.String(64)))


    def downgrade() -> None:
        op.drop_table("applied")
        op.drop_table("notes")
        migrations.drop_runtime_tables()
'''


def probe_service(tmp: Path) -> tuple[ServiceRow, Callable[..., App[Any, Any]], Path]:
    """The service: a row, a migrations folder and a bootstrap - nothing else."""
    topic = f"duban.probe{uuid.uuid4().hex[:6]}.events.v1"
    row = ServiceRow("probe", "duban.probe.v1.ProbeService", "", 0, 0, topic, (topic,))
    migrations_dir = tmp / "probe" / "migrations"
    (migrations_dir / "versions").mkdir(parents=True)
    (migrations_dir / "versions" / "0001_probe.py").write_text(textwrap.dedent(FIRST_REVISION), encoding="utf-8")

    def bootstrap(settings: ServiceSettings, clock: Clock | None = None, producer: Producer | None = None) -> App[Any, Any]:
        app: App[ServiceSettings, None] = App.build(row, settings, migrations_dir, clock, producer)

        def write_note(request: common_pb2.PersonSnapshot, _context: grpc.ServicerContext) -> common_pb2.PersonSnapshot:
            with app.uow() as tx:  # the use case: a row and its event in one transaction
                tx.session.add(Note(id=request.id, text=request.name))
                tx.publish(OutboxEvent(row.topic, request.id,
                                       new_event("note.written", "duban/probe", request.id, request, app.clock.now())))
                tx.commit()
            return request

        def apply(tx: UnitOfWork, event: CloudEvent) -> None:
            tx.session.add(Applied(event_id=event.id, note_id=event.subject))

        handler = grpc.method_handlers_generic_handler(row.grpc_service, {
            "WriteNote": grpc.unary_unary_rpc_method_handler(
                write_note, request_deserializer=common_pb2.PersonSnapshot.FromString,
                response_serializer=common_pb2.PersonSnapshot.SerializeToString)})
        app.serve(lambda servicer, server: server.add_generic_rpc_handlers((servicer,)), handler)
        app.consume("probe-notes", apply)
        return app

    return row, bootstrap, migrations_dir


def settings_from_env(env: Any) -> ServiceSettings:
    return ServiceSettings(**service_basics("probe", 0, 0, env))  # type: ignore[arg-type]


def wait_for(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/probe.db"
    else:
        with postgres_database("duban_probe") as url:
            yield url


@pytest.mark.slow
def test_a_service_built_from_the_base_alone(broker: Broker, tmp_path: Path, database_url: str) -> None:
    row, bootstrap, _ = probe_service(tmp_path)
    with running_service(bootstrap, settings_from_env, broker.bootstrap, database_url) as probe:
        stub = health_pb2_grpc.HealthStub(probe.channel)
        health = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)  # type: ignore[attr-defined]  # types-grpcio-health-checking's HealthStub declares no methods
        assert health.status == health_pb2.HealthCheckResponse.SERVING

        note = common_pb2.PersonSnapshot(id=str(uuid.uuid4()), name="一条记录")
        call = probe.channel.unary_unary(f"/{row.grpc_service}/WriteNote",
                                         request_serializer=common_pb2.PersonSnapshot.SerializeToString,
                                         response_deserializer=common_pb2.PersonSnapshot.FromString)
        assert call(note, timeout=10) == note

        reader = EventReader(broker.bootstrap, row.topic)
        try:
            events = reader.poll_until(lambda evs: any(e.subject == note.id for e in evs), timeout=30)
        finally:
            reader.close()
        [event] = [e for e in events if e.subject == note.id]
        assert (event.type, event.source) == ("note.written", "duban/probe")
        assert event.decode(common_pb2.PersonSnapshot()) == note

        def applied() -> list[Applied]:
            with probe.app.uow.read() as tx:
                return list(tx.session.scalars(select(Applied)))

        wait_for(lambda: len(applied()) == 1)
        assert [(a.event_id, a.note_id) for a in applied()] == [(event.id, note.id)]

        # The broker delivers the same event again (a producer retry, a replay), then a new event on the
        # same key, so the same partition: once the new one is applied, the duplicate was seen first.
        _, key = next((e, k) for e, k in reader.events if e.id == event.id)
        marker = new_event("note.written", "duban/probe", str(uuid.uuid4()), note, probe.app.clock.now())
        again = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
        again.produce(row.topic, key=key, value=event.data, headers=list(event.header_pairs()))
        again.produce(row.topic, key=key, value=marker.data, headers=list(marker.header_pairs()))
        again.flush(10)
        wait_for(lambda: len(applied()) >= 2)
        assert sorted((a.event_id, a.note_id) for a in applied()) == sorted(
            [(event.id, note.id), (marker.id, marker.subject)])
        with probe.app.uow.read() as tx:
            assert tx.session.scalar(select(func.count()).select_from(Note)) == 1
