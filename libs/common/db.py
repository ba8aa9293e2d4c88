"""SQLAlchemy engines and the unit of work shared by every service.

SQLite (the embedded default) is tuned for many threads: WAL (readers never block the writer), a busy
timeout, BEGIN IMMEDIATE for writing transactions so two writers queue instead of failing on a lock
upgrade, and a plain deferred BEGIN for read-only ones (`UnitOfWorkFactory.read()`, `read_only()`), so
a long export or a page of the ledger never holds the write lock. PostgreSQL is used as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, MetaData, Table, bindparam, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from libs.common.idempotency import mark_effect
from libs.common.outbox import EventBatch, OutboxEvent, RelayHold, add_outbox_rows
from libs.common.sqltypes import UtcDateTime
from libs.common.write_turn import WRITE_LOCK_TIMEOUT, sqlite_write_lock

__all__ = ["NAMING_CONVENTION", "orm_metadata", "UnitOfWork", "UnitOfWorkFactory", "UtcDateTime", "make_engine", "next_in_sequence"]

# Constraint and index names every service's models use, so Alembic can name (and later drop) them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def orm_metadata() -> MetaData:
    """The MetaData of a service's ORM base, named the same way in every service, so Alembic's
    generated constraint names agree between SQLite and PostgreSQL:

        class Base(DeclarativeBase):
            metadata = orm_metadata()
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read (deferred BEGIN on SQLite)."""
    return engine.execution_options(read_only=True)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class UnitOfWork:
    """One business transaction: the changes and the events they cause commit together or not at all.

    Usage: `with uow() as tx: ...; tx.publish(event); tx.commit()`. Leaving the block without commit
    rolls back. After a commit that wrote events, `on_events` is called so the relay sends them now
    rather than at its next poll.
    """

    def __init__(self, session_factory: sessionmaker[Session], on_events: Callable[[], None] | None = None,
                 write_lock: threading.RLock | None = None):
        self._session_factory = session_factory
        self._on_events = on_events
        self._write_lock = write_lock
        self.session: Session
        self._events: list[OutboxEvent | EventBatch] = []

    def __enter__(self) -> UnitOfWork:
        if self._write_lock is not None and not self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
            raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError(
                f"no write turn within {WRITE_LOCK_TIMEOUT:.0f} s (database is locked)"))
        try:
            self.session = self._session_factory()
        except BaseException:
            self._release()
            raise
        self._events = []
        return self

    def __exit__(self, *exc_info: object) -> None:
        # close() returns the connection (rolling back anything uncommitted) without expiring the
        # loaded objects, so callers may still read what the block returned.
        try:
            self.session.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._write_lock is not None:
            self._write_lock.release()

    def publish(self, event: OutboxEvent | EventBatch) -> None:
        self._events.append(event)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: on error its rows and the events it staged are both dropped."""
        mark = len(self._events)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self._events[mark:]
            raise
        nested.commit()

    def commit(self) -> None:
        wrote_events = bool(self._events)
        if self._events:
            add_outbox_rows(self.session, self._events)
            self._events = []
        # Inside a call with an idempotency key: the key is marked applied in this same transaction, so
        # the effect and the record of it commit together (see libs/common/idempotency.py).
        claim = mark_effect(self.session)
        self.session.commit()
        if claim is not None:
            claim.effect_committed = True
        if wrote_events and self._on_events:
            self._on_events()


class UnitOfWorkFactory:
    """What a service's handlers receive: call it for a fresh unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(read_only(engine), expire_on_commit=False)
        self.events_written = threading.Event()
        self.write_lock = sqlite_write_lock(engine)
        self.relay_hold = RelayHold()

    def bulk(self) -> AbstractContextManager[None]:
        """`with uow.bulk():` around a job's writes of many events: the relay sends them once it is done."""
        return self.relay_hold()

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, on_events=self.events_written.set, write_lock=self.write_lock)

    def read(self) -> UnitOfWork:
        """A unit of work for queries only: it takes no write lock (and must not commit changes)."""
        return UnitOfWork(self.read_session_factory)


def next_in_sequence(session: Session, table: Table, key: object) -> int:
    """Take the next number of `key` (e.g. a year) from a (key, last_value) table, in the caller's
    transaction. The upsert locks the row until commit, so concurrent callers queue here, and a
    rolled-back transaction gives its number back: numbers stay unique and gap-free."""
    dialect_name = session.get_bind().dialect.name
    stmt = _sequence_upserts.get((table.name, dialect_name))
    if stmt is None:  # built once per table and dialect: this runs on every registration
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        key_column, value_column = table.primary_key.columns.values()[0], table.c.last_value
        stmt = (
            dialect.insert(table)
            .values({key_column.name: bindparam("key"), "last_value": 1})
            .on_conflict_do_update(index_elements=[key_column], set_={"last_value": value_column + 1})
            .returning(value_column)
        )
        _sequence_upserts[(table.name, dialect_name)] = stmt
    return session.execute(stmt, {"key": key}).scalar_one()


_sequence_upserts: dict[tuple[str, str], Executable] = {}


def insert_new(session: Session, objects: list[object]) -> None:
    """INSERT new ORM objects with one Core statement per table, in the order given (parents first).

    For the hot write paths: the unit of work's flush (cascades, identity map, relationship syncing)
    cost as much as the rest of a registration. Column defaults are applied to the objects, which stay
    transient - the caller reads them afterwards, nothing loads or expires them. Foreign keys must be
    set explicitly (no relationship syncing here); autoincrement keys are left to the database.
    """
    by_table: dict[Table, list[dict[str, object]]] = {}
    for obj in objects:
        state = sa_inspect(obj)
        values: dict[str, object] = {}
        for prop in state.mapper.column_attrs:
            column = prop.columns[0]
            if prop.key in state.dict:
                values[column.key] = state.dict[prop.key]
            elif column.primary_key and column.autoincrement is not False and not column.foreign_keys:
                continue  # the database numbers it
            else:
                default = column.default.arg if column.default is not None and column.default.is_scalar else None
                setattr(obj, prop.key, default)
                values[column.key] = default
        by_table.setdefault(state.mapper.local_table, []).append(values)
    connection = session.connection()  # Core, below the ORM's statement handling
    for table, rows in by_table.items():
        # One row is a plain execute: as a one-element executemany psycopg would open a pipeline.
        connection.execute(table.insert(), rows[0] if len(rows) == 1 else rows)
