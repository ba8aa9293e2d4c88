"""One writer at a time in a SQLite database, by turns handed over in this process."""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine

WRITE_LOCK_TIMEOUT = 30.0  # seconds, as SQLite's busy timeout
_write_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_write_locks_guard = threading.Lock()


def sqlite_write_lock(engine: Engine) -> threading.RLock | None:
    """The turn to write in a SQLite database, shared by every writer of this process (units of work,
    the outbox relay). SQLite lets one writer in at a time; waiting in its busy handler means sleeping
    1, 2, 5 ... 100 ms between tries, so under load the lock sat free while the waiters slept and the
    relay's one small UPDATE waited behind whole bursts (p99 1.8 s). A mutex hands the turn over at
    once. Other processes (the CLI sweep) still meet the busy timeout. None for other databases."""
    if engine.dialect.name != "sqlite":
        return None
    with _write_locks_guard:
        return _write_locks.setdefault(engine, threading.RLock())
